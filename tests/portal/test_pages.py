"""Every page answers in HTML and as its JSON twin, and each advertises the other."""

from __future__ import annotations

import pytest

from tests.portal import sample

PAGES = ["/", "/search?q=fiskaren", "/search", "/record/tromso:1001", "/work/w-fiskar", "/libraries",
         "/library/NO-2019020", "/library/karasjok", "/staff", "/lists"]


def _json_twin(url: str) -> str:
    path, _, query = url.partition("?")
    path = "/index.json" if path == "/" else path + ".json"
    return path + ("?" + query if query else "")


@pytest.mark.parametrize("url", PAGES)
def test_every_page_has_html_and_json_twin(client, url):
    html = client.get(url)
    assert html.status_code == 200, url
    assert html.mimetype == "text/html"
    assert 'rel="alternate"' in html.headers["Link"] and "application/json" in html.headers["Link"]
    twin = html.headers["Link"].split(">")[0].lstrip("<")
    assert twin == _json_twin(url).replace(":", "%3A") if "filter" in url else twin == _json_twin(url)
    data = client.get(twin)
    assert data.status_code == 200 and data.mimetype == "application/json"
    assert isinstance(data.get_json(), dict)
    assert 'type="text/html"' in data.headers["Link"]
    fmt = client.get(url + ("&" if "?" in url else "?") + "format=json")
    assert fmt.mimetype == "application/json" and fmt.get_json() == data.get_json()


def test_pages_search_the_tantivy_index_in_data_dir(app, settings):
    """The fixtures' app finds its index the way a deployment's does: no search service handed in."""
    from index.tantivy_backend import TantivyBackend
    from portal import services
    assert "SEARCH_SERVICE" not in app.config
    with app.app_context():
        backend = services.search().backend
    assert isinstance(backend, TantivyBackend) and backend.path == settings.data_dir / "index"
    assert backend.count() == len(sample.records())


def test_api_search_shape(client):
    body = client.get("/api/search?q=olsen").get_json()
    assert body["total"] == 1                      # two editions, one work
    hit = body["hits"][0]
    assert {"id", "title", "languages", "work", "holdings"} <= set(hit)
    assert {k: hit["work"][k] for k in ("id", "editions", "records", "libraries")} == {
        "id": "w-fiskar", "editions": 2, "records": 2, "libraries": 3}
    # `smi` counts every record in any Sami language, as the index does (the filter `language:sami`)
    assert body["facets"]["language"] == [{"value": "nob", "count": 1}, {"value": "sme", "count": 1},
                                          {"value": "smi", "count": 1}]
    assert [v["value"] for v in body["facets"]["year"]] == ["2010-2019", "2020-"]
    assert all(set(v) == {"value", "count"} for values in body["facets"].values() for v in values)


def test_api_empty_query_browses_everything(client):
    body = client.get("/api/search").get_json()
    assert body["total"] == 49
    filtered = client.get("/api/search?filter=library:karasjok").get_json()
    assert filtered["total"] == 1 and filtered["hits"][0]["id"] == "karasjok:77"


def test_api_record_and_libraries(client):
    record = client.get("/api/record/karasjok:77").get_json()
    assert record["record"]["title"] == "Guolásteaddji ja áhpi"
    assert record["other_editions"][0]["id"] == "tromso:1001" and record["other_editions"][0]["translation"]
    libraries = client.get("/api/libraries").get_json()
    by_id = {lib["id"]: lib for lib in libraries["libraries"]}
    assert by_id["tromso"]["records"] == 5 and by_id["karasjok"]["records"] == 1
    assert by_id["kongsbakken"]["records"] == 0 and by_id["kongsbakken"]["kind"] == "school"


def test_record_page_shows_holdings_grouped_with_my_library_first(client):
    page = client.get("/record/tromso:1001?library=kongsbakken")
    html = page.get_data(as_text=True)
    html = html[html.index('class="holding-group'):]
    assert html.index("Kongsbakken videregående skole") < html.index("Tromsø bibliotek og byarkiv")
    assert "mylib=kongsbakken" in page.headers["Set-Cookie"]
    again = client.get("/record/tromso:1001").get_data(as_text=True)    # remembered by cookie
    again = again[again.index('class="holding-group'):]
    assert again.index("Kongsbakken videregående skole") < again.index("Tromsø bibliotek og byarkiv")
    assert "Utlånt" in html and "2025-12-20" in html and "Kun til bruk på stedet" in html


def test_record_page_lists_copies_in_every_status_best_first(client):
    from vocab import statuses
    data = client.get(f"/api/record/{sample.EVERY_STATUS}").get_json()
    [tromso] = data["holdings"]
    assert [c["status"] for c in tromso["copies"]] == list(statuses.codes())     # written worst first
    assert tromso["items"] == len(statuses.codes()) and tromso["available"] == 1
    assert [c["due_date"] for c in tromso["copies"] if c["due_date"]] == ["2026-01-15"]    # on loan only
    html = client.get(f"/record/{sample.EVERY_STATUS}?lang=en").get_data(as_text=True)
    for code in statuses.codes():
        assert f"status-{code}" in html and statuses.label(code, "en") in html, code


def test_editions_are_matched_with_the_index_folding():
    """Record pages compare titles as the index folds them: Sami letters fold, ä stays a letter of its own."""
    from portal.editions import same_edition
    edition = {"languages": ["fit"], "year": 2015, "format": "book"}
    assert same_edition({**edition, "title": "Čáhppes gáđgi"}, {**edition, "title": "CAHPPES GADGI"})
    assert not same_edition({**edition, "title": "Meänkieli"}, {**edition, "title": "Meankieli"})


def test_record_page_carries_schema_org_json_ld(client):
    import json
    import re
    html = client.get("/record/karasjok:77").get_data(as_text=True)
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    data = json.loads(block)
    assert data["@type"] == "Book" and data["inLanguage"] == ["sme"]
    assert data["author"] == [{"@type": "Person", "name": "Olsen, Kari"}]
    examples = data["exampleOfWork"]["workExample"]
    assert {e["inLanguage"][0] for e in examples} == {"nob", "sme"}
    norwegian = json.loads(re.search(r'ld\+json">(.*?)</script>',
                                     client.get("/record/tromso:1001").get_data(as_text=True), re.S).group(1))
    assert norwegian["isbn"] == ["9788202000011"]


def test_work_page_lists_editions_and_translations(client):
    html = client.get("/work/w-fiskar").get_data(as_text=True)
    assert "Fiskaren og havet" in html and "Guolásteaddji ja áhpi" in html
    assert client.get("/work/w-none").status_code == 404


def test_library_page_by_isil_or_id(client):
    page = client.get("/library/NO-2022100.json").get_json()
    assert page["library"]["name"] == "Kárášjoga gielda girjerádju"
    assert page["library"]["search_url"] == "/search?filter=library:karasjok"
    assert client.get("/library/NO-0000000").status_code == 404


def test_libraries_page_lists_every_configured_source(client):
    html = client.get("/libraries").get_data(as_text=True)
    for name in ("Tromsø bibliotek og byarkiv", "Kárášjoga gielda girjerádju", "Kongsbakken videregående skole"):
        assert name in html
    assert "Skolebibliotek" in html


def test_portal_before_the_first_index_run_says_so_and_finds_the_index_once_built(tmp_path):
    from core.settings import from_dict
    from portal.app import create_app
    settings = from_dict({"data_dir": str(tmp_path / "data"), "sources": sample.SOURCES})
    client = create_app(settings, {"TESTING": True, "SECRET_KEY": "no-index-yet-" + "n" * 32,
                                   "SEARCH_RETRY_SECONDS": 0}).test_client()
    page = client.get("/search?q=fiskaren")
    assert page.status_code == 200 and "Katalogen gjøres klar" in page.get_data(as_text=True)
    assert client.get("/api/search?q=fiskaren").get_json()["index_available"] is False
    assert client.get("/record/tromso:1001").status_code == 404
    assert not (settings.data_dir / "index").exists()       # the portal reads the index; index runs write it
    sample.build_index(settings)                             # the first index run
    body = client.get("/api/search?q=fiskaren").get_json()
    assert body["index_available"] is True and body["total"] == 1
    assert client.get("/record/tromso:1001").status_code == 200


def test_hits_say_available_now_only_where_a_copy_is_on_the_shelf(client):
    hits = {h["id"]: h for h in client.get("/api/search?q=matematikk&page_size=50").get_json()["hits"]}
    assert hits["kongsbakken:1"]["available_now"] and not hits["kongsbakken:2"]["available_now"]
    html = client.get("/search?q=matematikk+2&lang=en").get_data(as_text=True)
    entry = html.split('href="/record/kongsbakken:2"', 1)[1].split('<li class="hit">', 1)[0]
    assert "Available now" not in entry
    html = client.get("/search?q=matematikk+1&lang=en").get_data(as_text=True)
    entry = html.split('href="/record/kongsbakken:1"', 1)[1].split('<li class="hit">', 1)[0]
    assert "Available now" in entry
