"""Pages over the real pipeline: the demo's libraries harvested over loopback OAI-PMH, transformed,
clustered and indexed (tantivy), then read through the portal: public record ids, holdings from each
holdings profile, translations, language pages, feeds and the staff language report."""

from __future__ import annotations

import json
import re

import pytest
from lxml import etree
from sqlalchemy import create_engine, select

from tests import staff_signin

NOB = "tromso-trb-ill-nob-001"          # "Nordlys over vidda", Bokmål original (three libraries)
SME = "kautokeino-kau-ill-sme-002"      # its Northern Sami translation (two libraries)


@pytest.fixture(scope="module")
def minted(demo_settings):
    """(source, identifier) -> record_id, straight from the transform stage's table."""
    from transform.tables import transform_records as t
    engine = create_engine(demo_settings.database_url)
    with engine.connect() as conn:
        rows = conn.execute(select(t.c.source, t.c.identifier, t.c.record_id)).all()
    engine.dispose()
    return {(r.source, r.identifier): r.record_id for r in rows}


def test_api_search_ids_are_source_dash_record_id(demo_client, minted):
    body = demo_client.get("/api/search?page_size=100").get_json()
    assert body["total"] > 50
    public = {f"{s}-{rid}" for (s, _i), rid in minted.items()}
    for hit in body["hits"]:
        assert hit["id"] in public, hit["id"]
        assert hit["harvest_id"] == f'{hit["source"]}:{hit["identifier"]}'
        assert minted[(hit["source"], hit["identifier"])] == hit["id"][len(hit["source"]) + 1:]
    assert minted[("tromso", "oai:tromso.demo:NO-1990001:trb-ill-nob-001")] == "trb-ill-nob-001"


def test_record_resolves_by_public_id_and_redirects_index_ids(demo_client):
    page = demo_client.get(f"/record/{NOB}")
    assert page.status_code == 200 and '<h1 lang="nb">Nordlys over vidda' in page.get_data(as_text=True)
    old = demo_client.get("/record/tromso:oai:tromso.demo:NO-1990001:trb-ill-nob-001")
    assert old.status_code == 301 and old.headers["Location"].endswith(f"/record/{NOB}")
    assert demo_client.get("/record/tromso-no-such-record").status_code == 404
    api = demo_client.get(f"/api/record/{NOB}").get_json()
    assert api["record"]["id"] == NOB


def _holdings(client, record_id, **args):
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return client.get(f"/api/record/{record_id}" + (f"?{query}" if query else "")).get_json()["holdings"]


def test_holdings_of_one_edition_from_every_library_and_profile(demo_client):
    groups = {g["library"]: g for g in _holdings(demo_client, NOB)}
    assert set(groups) == {"tromso", "alta-vgs", "kautokeino"}          # three libraries' records, one edition
    assert groups["tromso"]["copies"][0]["status"] == "available"          # Koha 952
    assert groups["tromso"]["copies"][0]["call_number"] == "Nor"
    assert groups["kautokeino"]["copies"][0]["status"] == "in_transit"     # 852 + 876 $j
    assert groups["kautokeino"]["municipality"] == "Guovdageaidnu – Kautokeino"
    on_loan = {g["library"]: g for g in _holdings(demo_client, SME)}["alta-vgs"]["copies"][0]
    assert on_loan["status"] == "on_loan" and on_loan["due_date"] == "2026-12-02"
    koha_loan = {g["library"]: g for g in _holdings(demo_client, "tromso-trb-ill-sme-001")}["tromso"]["copies"][0]
    assert koha_loan["status"] == "on_loan" and koha_loan["due_date"] == "2026-12-14"   # 952 $q
    reference = {g["library"]: g for g in _holdings(demo_client, "tromso-trb-ill-sme-003")}["kautokeino"]
    assert reference["copies"][0]["status"] == "reference"


def test_chosen_library_comes_first(demo_client):
    order = [g["library"] for g in _holdings(demo_client, NOB, library="kautokeino")]
    assert order[0] == "kautokeino"
    html = demo_client.get(f"/record/{NOB}?lang=en").get_data(as_text=True)
    assert "In transit" in html and "3 libraries have this edition" in html


def test_contributors_carry_relator_roles_in_the_interface_language(demo_client):
    record = demo_client.get(f"/api/record/{SME}?lang=en").get_json()["record"]
    roles = {c["name"]: [r["code"] for r in c["roles"]] for c in record["contributors"]}
    assert roles["Nordmo, Kari"] == ["aut"] and roles["Somby, Ánte"] == ["trl"]
    nb = demo_client.get(f"/record/{SME}?lang=nb").get_data(as_text=True)
    assert "Somby, Ánte (oversetter)" in re.sub(r"<[^>]+>", "", nb)       # the name links the agent page
    en = demo_client.get(f"/record/{SME}?lang=en").get_data(as_text=True)
    assert "Somby, Ánte (translator)" in re.sub(r"<[^>]+>", "", en)


def test_translation_and_original_link_each_other(demo_client):
    sme = demo_client.get(f"/api/record/{SME}").get_json()
    assert [(r["id"].endswith("-ill-nob-001"), r["relation"]) for r in sme["related"]] == [(True, "original")]
    nob = demo_client.get(f"/api/record/{NOB}").get_json()
    # the transform stage's link: the translation's work, shown by its first edition (either library's copy)
    [translation] = [r["id"] for r in nob["related"] if r["relation"] == "translation"]
    assert demo_client.get(f"/api/record/{translation}").get_json()["work"]["id"] == sme["work"]["id"]
    assert translation in (SME, "alta-vgs-avg-ill-sme-002")
    html = demo_client.get(f"/record/{NOB}?lang=en").get_data(as_text=True)
    assert f'href="/record/{translation}" lang="se">Guovssahasat duoddara badjel</a>' in html


def test_schema_org_json_ld(demo_client):
    html = demo_client.get(f"/record/{SME}").get_data(as_text=True)
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert data["@type"] == "Book" and data["inLanguage"] == ["sme"]
    assert data["author"] == [{"@type": "Person", "name": "Nordmo, Kari"}]
    assert data["translator"] == [{"@type": "Person", "name": "Somby, Ánte"}]
    examples = {e["@id"].rsplit("/", 1)[1] for e in data["exampleOfWork"]["workExample"]}
    assert SME in examples and any(e.endswith("-ill-nob-001") for e in examples)


def test_language_page_over_the_pipeline(demo_client):
    data = demo_client.get("/language/sme.json").get_json()
    assert data["language"]["titles"] >= 3
    libraries = {lib["library"]: lib["count"] for lib in data["libraries"]}
    assert libraries["kautokeino"] >= 3 and libraries["tromso"] >= 2
    assert {c["title"] for c in data["children"]} >= {"Čáhppes beana"}
    assert all(c["id"].split("-", 1)[0] in ("tromso", "kautokeino", "alta", "ebok") for c in data["newest"])
    kven = demo_client.get("/language/fkv.json").get_json()
    assert kven["language"]["titles"] == 2                 # coded fin + 041 $2 iso639-3 fkv (a book, an e-book)


def test_feeds_over_the_pipeline(demo_client):
    feed = etree.fromstring(demo_client.get("/language/sme/feed.atom").get_data())
    entries = feed.findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) >= 3
    updated = entries[0].find("{http://www.w3.org/2005/Atom}updated").text
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", updated)
    library = etree.fromstring(demo_client.get("/library/NO-1990002/feed.atom").get_data())
    assert len(library.findall("{http://www.w3.org/2005/Atom}entry")) >= 10


def _csrf(client, path):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_staff_report_needs_a_sign_in_and_shows_only_that_library(demo_app):
    client = demo_app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.140"       # its failures throttle no other test's sign-in
    assert client.get("/staff/languages").status_code == 303
    assert client.get("/staff/languages.json").status_code == 401
    bad = client.post("/staff/login", data={"username": staff_signin.USER, "password": "wrong-password-123",
                                            "csrf_token": _csrf(client, "/staff/login")})
    assert bad.status_code == 403
    no_csrf = client.post("/staff/login", data={"username": staff_signin.USER, "password": staff_signin.PASSWORD})
    assert no_csrf.status_code == 400
    ok = client.post("/staff/login", data={"username": staff_signin.USER, "password": staff_signin.PASSWORD,
                                           "csrf_token": _csrf(client, "/staff/login")})
    assert ok.status_code == 303 and ok.headers["Location"].endswith("/staff")
    report = client.get("/staff/languages.json")
    assert report.headers["Cache-Control"] == "private, no-store"
    data = report.get_json()
    assert data["source"] == "kautokeino" and data["records"] == 56
    smi = next(s for s in data["suggestions"] if s["identifier"].endswith("kau-ill-smi-001"))
    assert smi["catalogued"] == ["smi"] and smi["suggested"] == "sme"
    assert smi["record_url"] == "/record/kautokeino-kau-ill-smi-001"
    assert "collective smi" in {p["kind"] for p in data["problems"]}
    assert client.get("/staff/languages.json?source=tromso").status_code == 403
    html = client.get("/staff/languages?lang=se").get_data(as_text=True)
    assert "Giellaraporta" in html and "BOAZODOALLU JA LUONDU" in html


def test_holdings_carry_every_copy_the_index_holds(demo_client):
    record = demo_client.get("/api/record/kautokeino-kau-ill-nob-001").get_json()["record"]
    [holding] = record["holdings"]
    assert holding["isil"] == "NO-1990002" and holding["status"] == "in_transit"
    [copy] = holding["copies"]
    assert copy["id"] > 0                                        # its row in the copies table
    assert {k: v for k, v in copy.items() if k != "id"} == {"status": "in_transit", "due_date": "",
                                                             "location": holding["location"], "call_number": "Nor",
                                                             "deposit_until": "", "deposit_place": ""}
    shelf = {g["library"]: g for g in _holdings(demo_client, NOB)}["kautokeino"]["copies"][0]["location"]
    assert "Kautokeino bibliotek" not in shelf                   # the heading names the library already
    # separate holdings records (004) of the national bibliography: each copy under the library its 852 names
    # (BIBSYS codes through vocab/data/libraries.tsv): UiT's in Tromsø is the region's, the rest are collapsed
    # as other libraries in Norway, never filed under "nb"
    data = demo_client.get("/record/nb-98218834x.json").get_json()
    assert [(g["library"], g["municipality"]) for g in data["holdings"]] == [("uit-ub", "Tromsø")]
    assert data["holdings_summary"]["libraries"] == 1
    elsewhere = {g["library"]: g for g in data["holdings_elsewhere"]}
    assert elsewhere["ntnu-ub"]["items"] == 5 and elsewhere["ntnu-ub"]["name"] == "NTNU Universitetsbiblioteket"
    assert elsewhere["nb"]["items"] == len(elsewhere["nb"]["copies"]) == 6
    assert elsewhere["ubis"]["name"] == "Universitetsbiblioteket i Stavanger"
    html = demo_client.get("/record/nb-98218834x?lang=en").get_data(as_text=True)
    assert '<details class="holdings-elsewhere">' in html and "Other libraries in Norway" in html
    facets = demo_client.get("/api/search?page_size=1").get_json()["facets"]["library"]
    assert {v["value"] for v in facets} <= {"tromso", "kautokeino", "alta-vgs", "uit-ub"}
    html = demo_client.get(f"/record/{SME}?lang=en").get_data(as_text=True)
    assert "On loan" in html and "due 2026-12-02" in html


def test_genres_are_vocabulary_ids_labelled_in_the_interface_language(demo_client):
    record = demo_client.get(f"/api/record/{SME}?lang=se").get_json()["record"]
    assert record["genres"] == ["fiction", "novels"] and record["genre_terms"] == ["Romaner"]
    assert [g["label"] for g in record["genre_labels"]] == ["Čáppagirjjálašvuohta", "Románat"]
    html = demo_client.get(f"/record/{SME}?lang=nb").get_data(as_text=True)
    assert 'href="/search?filter=genre:novels">Romaner</a>' in html
    facets = demo_client.get("/search?filter=genre:novels&lang=en").get_data(as_text=True)
    assert 'value="genre:novels" checked' in facets and "Genre: Novels" in facets


def test_decade_facet_and_its_filter(demo_client):
    body = demo_client.get("/api/search").get_json()
    decades = {v["value"]: v["count"] for v in body["facets"]["year"]}
    assert decades["2010-2019"] > 0 and "-1899" in decades and all(decades.values())
    narrowed = demo_client.get("/api/search?filter=year:2010-2019&page_size=100").get_json()
    assert narrowed["hits"] and all(2010 <= h["year"] <= 2019 for h in narrowed["hits"])
    old = demo_client.get("/api/search?filter=year:-1899").get_json()
    assert old["hits"] and all(h["year"] < 1900 for h in old["hits"])
    html = demo_client.get("/search?lang=en").get_data(as_text=True)
    decade = html[html.index("<legend>Decade</legend>"):]
    assert decade.index("2010–2019") < decade.index("1990–1999") and "Before 1900" in decade


def test_sami_group_filter_is_the_index_own(demo_client):
    body = demo_client.get("/api/search?filter=language:sami&page_size=100").get_json()
    sami = {"sme", "smj", "sma", "smn", "sms", "smi", "sju", "sjd", "sje", "sjt", "sjk"}
    assert body["total"] >= 5 and all(sami & set(h["languages"]) for h in body["hits"])
    everything = demo_client.get("/api/search").get_json()["facets"]["language"]
    group = next(v["count"] for v in everything if v["value"] == "smi")      # editions in any Sami language
    assert group >= max(v["count"] for v in everything if v["value"] in sami - {"smi"})
    html = demo_client.get("/search?lang=en").get_data(as_text=True)
    assert f'All Sami languages <span class="count">({group})</span>' in html


def test_zero_hits_offer_the_index_spelling_and_fewer_words(demo_client):
    body = demo_client.get("/api/search?q=nordlis").get_json()
    assert body["total"] == 0
    assert {"q": "nordlys", "url": "/search?q=nordlys", "total": 3, "kind": "spelling"} in body["suggestions"]
    both = demo_client.get("/api/search?q=nordlis+over").get_json()["suggestions"]
    assert [(s["q"], s["kind"]) for s in both] == [("nordlys over", "spelling"), ("over", "fewer_words")]
    html = demo_client.get("/search?q=nordlis&lang=en").get_data(as_text=True)
    assert 'Did you mean\n        <a href="/search?q=nordlys">nordlys</a>?' in html


def test_searches_that_show_no_facets_ask_for_none(demo_app):
    from portal import services
    from portal.search_service import SearchRequest
    with demo_app.test_request_context():
        service = services.search()
        assert service.search(SearchRequest(q="nordlys", facets=False)).facets == {}
        assert service.search(SearchRequest(q="nordlys")).facets["language"]
        calls = []
        original = service.backend.search
        service.backend.search = lambda query: calls.append(query) or original(query)
        try:
            demo_app.test_client().get(f"/record/{NOB}")
        finally:
            del service.backend.search
        assert calls and all(not query.facets for query in calls)   # work, translations, related titles
