"""Replays "with Solr unreachable, search and record pages answer a generic 500": the demo's catalogue
served with `[search] solr_url` pointing at a loopback port where nothing listens (real HTTP, connection
refused). Search says it is unavailable (503, Retry-After, in four languages; the fixed JSON error
shape), record and work pages are built from the record store and equal what the index served, and
/healthz names the store that is down."""

from __future__ import annotations

import dataclasses
import socket

import pytest

SHAPE = {"ok", "status", "code", "title", "error"}
NOB = "tromso-trb-ill-nob-001"          # "Nordlys over vidda", held by three libraries, translated to sme
OUTAGE_TEXT = {
    "nb": "Søket er utilgjengelig en kort stund",
    "nn": "Søket er utilgjengeleg ei kort stund",
    "se": "Ohcan ii leat olámuttus oanehis áigge",
    "en": "Search is unavailable for a short while",
}


def _dead_port() -> int:
    with socket.socket() as s:                      # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def outage_app(demo_settings):
    from portal.app import create_app
    search = dataclasses.replace(demo_settings.search, solr_url=f"http://127.0.0.1:{_dead_port()}/solr/grenselos",
                                 solr_urls=(f"http://127.0.0.1:{_dead_port()}/solr/grenselos",))
    return create_app(dataclasses.replace(demo_settings, search=search),
                      {"TESTING": True, "SECRET_KEY": "outage-test-key-" + "o" * 32})


@pytest.fixture
def outage(outage_app):
    return outage_app.test_client()


@pytest.mark.parametrize("lang", sorted(OUTAGE_TEXT))
def test_search_outage_is_a_clear_503_in_every_language(outage, lang):
    response = outage.get(f"/search?q=nordlys&lang={lang}")
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and response.mimetype == "text/html"
    assert response.headers["Retry-After"].isdigit()
    assert OUTAGE_TEXT[lang] in html and f'<html lang="{lang}">' in html
    assert "unexpected" not in html and "Traceback" not in html and "127.0.0.1" not in html


@pytest.mark.parametrize("url", ["/api/search?q=nordlys", "/search.json?q=nordlys", "/search?q=nordlys&format=json",
                                 "/language/sme.json"])
def test_search_outage_json_has_the_fixed_error_shape(outage, url):
    response = outage.get(url)
    body = response.get_json()
    assert response.status_code == 503 and SHAPE <= set(body), url
    assert body["code"] == "search_unavailable" and body["ok"] is False and body["status"] == 503
    assert response.headers["Retry-After"].isdigit() and "127.0.0.1" not in response.get_data(as_text=True)


def _comparable(page: dict) -> dict:
    """A record page without what depends on how it was built (order of other editions, the flag)."""
    page = dict(page)
    page.pop("index_available")
    page["other_editions"] = sorted(page["other_editions"], key=lambda e: e["id"])
    page["related"] = sorted(page["related"], key=lambda e: e["id"])
    page["json_ld"] = {k: v for k, v in page["json_ld"].items() if k != "exampleOfWork"}
    return page


def test_record_pages_are_served_from_the_record_store(outage, demo_client):
    ids = [hit["id"] for hit in demo_client.get("/api/search?page_size=100").get_json()["hits"]]
    assert len(ids) > 30
    for record_id in ids:
        healthy = demo_client.get(f"/api/record/{record_id}").get_json()
        response = outage.get(f"/api/record/{record_id}")
        assert response.status_code == 200, record_id
        served = response.get_json()
        assert healthy["index_available"] is True and served["index_available"] is False
        assert _comparable(served) == _comparable(healthy), record_id


def test_record_and_work_pages_in_html_say_search_is_away(outage, demo_client):
    page = outage.get(f"/record/{NOB}?lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<h1 lang=\"nb\">Nordlys over vidda" in html
    assert "Search is unavailable for a short while" in html and "3 libraries have this edition" in html
    work_id = demo_client.get(f"/api/record/{NOB}").get_json()["record"]["work_id"]
    work = outage.get(f"/work/{work_id}?lang=nb")
    assert work.status_code == 200 and "Søket er utilgjengelig" in work.get_data(as_text=True)
    assert outage.get("/record/tromso-no-such-record").status_code == 404    # the truth says: no such record
    old = outage.get("/record/tromso:oai:tromso.demo:NO-1990001:trb-ill-nob-001")
    assert old.status_code == 301 and old.headers["Location"].endswith(f"/record/{NOB}")


def test_healthz_reports_each_store(outage, demo_client):
    healthy = demo_client.get("/healthz")
    body = healthy.get_json()
    assert healthy.status_code == 200 and body["status"] == "ok", body
    assert {name: s["status"] for name, s in body["stores"].items()} == {"records": "ok", "graph": "ok",
                                                                         "search": "ok"}
    assert body["stores"]["search"]["backend"] == "tantivy" and body["stores"]["search"]["documents"] > 30
    assert healthy.headers["Cache-Control"] == "no-store"

    down = outage.get("/healthz")
    body = down.get_json()
    assert down.status_code == 503 and body["status"] == "down" and down.headers["Retry-After"].isdigit()
    assert body["stores"]["records"]["status"] == "ok" and body["stores"]["graph"]["status"] == "ok"
    search = body["stores"]["search"]
    assert search["status"] == "down" and search["backend"] == "solr"
    assert [n["status"] for n in search["nodes"]] == ["down", "down"]
    assert "127.0.0.1" not in down.get_data(as_text=True)        # public: no addresses, no error texts
