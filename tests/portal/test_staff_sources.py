"""Harvest health pages for staff: a librarian's own sources only, the last attempt and its outcome, the
quarantined records with reason and raw record (escaped), deletes and the next run, in HTML and JSON,
in four languages; on SQLite and a real PostgreSQL."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from harvest import attempts
from harvest.store import IncomingRecord, RecordStore
from tests.portal import sample

TOKEN = "karasjok-staff-token-for-harvest-health"
KEY = "staff-sources-tests-" + "0123456789abcdef" * 2
HOSTILE_RAW = b'<record><datafield tag="245"><subfield code="a"><script>alert("x")</script></subfield>'


@pytest.fixture
def app(tmp_path, db_url):
    from core.settings import from_dict
    from portal.app import create_app
    store = RecordStore(db_url)
    ok = attempts.begin(store.engine, "karasjok", started=datetime.now(timezone.utc) - timedelta(hours=1))
    attempts.finish(store.engine, ok, "ok", records=2)
    for _ in range(2):
        failed = attempts.begin(store.engine, "karasjok")
        attempts.finish(store.engine, failed, "failed", error="http://karasjok.test/oai: connection failed")
    store.quarantine("karasjok", "page 3 not well-formed: unescaped &", location="http://karasjok.test/oai?p=3",
                     raw=HOSTILE_RAW)
    store.upsert("karasjok", [IncomingRecord("oai:k:1", marcxml="<record/>", checksum="a"),
                              IncomingRecord("oai:k:2", deleted=True)])
    store.quarantine("tromso", "Tromsø's own problem", raw=b"tromso-secret")
    store.close()
    sources = [dict(s) for s in sample.SOURCES]
    sources[1].update(oai_url="http://karasjok.test/oai", schedule_minutes=30, contact_email="k@bibliotek.test")
    settings = from_dict({"data_dir": str(tmp_path / "data"), "database_url": db_url, "sources": sources,
                          "scheduler": {"jitter_seconds": 0}})
    return create_app(settings, {"TESTING": True, "SECRET_KEY": KEY, "STAFF_TOKENS": {"karasjok": TOKEN}})


def signed_in(app):
    client = app.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/staff/login", data={"library": "karasjok", "token": TOKEN,
                                             "csrf_token": csrf}).status_code == 303
    return client


def test_nobody_signed_in_sees_nothing(app):
    client = app.test_client()
    assert client.get("/staff/sources").status_code == 303
    assert client.get("/staff/sources.json").status_code == 403
    assert client.get("/staff/sources/karasjok.json").status_code == 403


def test_a_librarian_sees_only_their_own_sources(app):
    client = signed_in(app)
    listing = client.get("/staff/sources.json")
    assert listing.status_code == 200 and listing.headers["Cache-Control"] == "private, no-store"
    assert [s["id"] for s in listing.get_json()["sources"]] == ["karasjok"]
    assert client.get("/staff/sources/tromso.json").status_code == 403
    assert client.get("/staff/sources/tromso").status_code == 403
    assert client.get("/staff/sources/nowhere").status_code == 404
    assert "tromso-secret" not in client.get("/staff/sources/karasjok").get_data(as_text=True)


def test_the_source_page_says_what_failed_and_what_is_quarantined(app):
    client = signed_in(app)
    data = client.get("/staff/sources/karasjok.json").get_json()["source"]
    assert data["harvest_status"] == "failed" and data["failures"] == 2
    assert data["last_attempt"]["error"] == "http://karasjok.test/oai: connection failed"
    assert data["last_success"] == data["attempts"][2]["finished"]
    assert [a["outcome"] for a in data["attempts"]] == ["failed", "failed", "ok"]
    assert (data["records"], data["deleted"], data["quarantined"]) == (1, 1, 1)
    [item] = data["quarantine"]
    assert item["cause"].startswith("page 3 not well-formed") and item["raw"] == HOSTILE_RAW.decode()
    assert [d["identifier"] for d in data["deletes"]] == ["oai:k:2"]
    next_run = datetime.fromisoformat(data["next_run"])
    started = datetime.fromisoformat(data["last_attempt"]["started"])
    assert next_run == started + timedelta(minutes=30)
    html = client.get("/staff/sources/karasjok").get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "connection failed" in html and "oai:k:2" in html and "Mislyktes" in html
    assert "mislykte på rad: 2" in html


@pytest.mark.parametrize("lang, heading, outcome", [
    ("nb", "Høstingsstatus", "Mislyktes"), ("nn", "Haustingsstatus", "Mislukkast"),
    ("se", "Čoaggindilli", "Ii lihkostuvvan"), ("en", "Harvest health", "Failed")])
def test_the_pages_speak_four_languages(app, lang, heading, outcome):
    client = signed_in(app)
    listing = client.get(f"/staff/sources?lang={lang}").get_data(as_text=True)
    assert f"<h1>{heading}</h1>" in listing and outcome in listing
    assert heading in client.get("/staff").get_data(as_text=True)          # linked from the staff start page
