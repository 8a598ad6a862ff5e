"""The portal over the project's real embedded search backend (tantivy), not only the in-memory one."""

from __future__ import annotations

import pytest

from tests.conftest import require
from tests.portal import sample


def _to_index_document(doc: dict):
    from index.document import Document, Holding
    holdings = {}
    for h in doc.get("holdings") or []:
        entry = holdings.setdefault(h["library"], {"library": h["library"], "municipality": h.get("municipality", ""),
                                                   "kind": h.get("kind", "public"), "items": 0, "available": 0,
                                                   "call_number": h.get("call_number", "")})
        entry["items"] += 1
        entry["available"] += h.get("status") == "available"
    return Document(
        id=doc["id"], work_id=doc["work_id"], source=doc["id"].split(":")[0], title=doc["title"],
        contributors=tuple(c["name"] for c in doc.get("contributors") or []),
        contributor_roles=tuple(",".join(c["roles"]) for c in doc.get("contributors") or []),
        subjects={"": tuple(doc.get("subjects") or ())}, genres=tuple(doc.get("genres") or ()),
        isbns=tuple((doc.get("identifiers") or {}).get("isbn") or ()), year=doc.get("year"),
        languages=tuple(doc.get("languages") or ()), formats=(doc.get("format"),) if doc.get("format") else (),
        audiences=tuple(doc.get("audience") or ()), holdings=tuple(Holding(**e) for e in holdings.values()),
        notes=doc.get("summary", ""), work_libraries=len(holdings))


@pytest.fixture
def tantivy_client(settings, record_store, tmp_path):
    try:
        from index.tantivy_backend import TantivyBackend
    except ImportError as exc:
        require(False, f"index.tantivy_backend not importable: {exc}")
    from portal.app import create_app
    from portal.index_adapter import IndexSearchService
    backend = TantivyBackend(tmp_path / "index")
    backend.add([_to_index_document(d) for d in sample.documents()])
    backend.commit()
    app = create_app(settings, {"TESTING": True, "SECRET_KEY": "k" * 40,
                                "SEARCH_SERVICE": IndexSearchService(backend)})
    yield app.test_client()
    backend.close()


def test_search_groups_editions_into_one_work(tantivy_client):
    body = tantivy_client.get("/api/search?q=olsen").get_json()
    assert body["total"] == 1
    hit = body["hits"][0]
    assert hit["work"]["id"] == "w-fiskar" and hit["work"]["editions"] == 2
    assert {"value": "sme", "count": 1} in body["facets"]["language"]
    assert {"id", "title", "languages", "work", "holdings"} <= set(hit)


def test_filters_and_facets_map_to_index_fields(tantivy_client):
    body = tantivy_client.get("/api/search?filter=kind:school&filter=available:true").get_json()
    assert body["total"] > 0
    assert all(any(h["kind"] == "school" for h in hit["holdings"]) for hit in body["hits"])
    years = tantivy_client.get("/api/search?filter=year:2018-2021").get_json()
    assert {h["year"] for h in years["hits"]} <= set(range(2018, 2022)) and years["total"] >= 1


def test_record_and_work_pages_from_the_index(tantivy_client):
    record = tantivy_client.get("/api/record/karasjok:77").get_json()
    assert record["record"]["title"] == "Guolásteaddji ja áhpi"
    assert [e["id"] for e in record["other_editions"]] == ["tromso:1001"]
    assert tantivy_client.get("/work/w-fiskar").status_code == 200
    assert tantivy_client.get("/record/none:1").status_code == 404


def test_hostile_title_from_the_index_renders_as_text(tantivy_client):
    html = tantivy_client.get("/search?q=farlig").get_data(as_text=True)
    assert "Farlig tittel" in html and "<script>alert" not in html and "&lt;script&gt;" in html
    html = tantivy_client.get("/record/tromso:666").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html


def test_search_page_html_over_tantivy(tantivy_client):
    html = tantivy_client.get("/search?q=lærebok&page=2&lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html and "45 results for “lærebok”" in html and 'aria-current="page"' in html
