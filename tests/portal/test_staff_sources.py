"""Harvest health pages for staff: a librarian's own sources only, the last attempt and its outcome, the
quarantined records with reason and raw record (escaped), deletes and the next run, in HTML and JSON,
in four languages; on SQLite and a real PostgreSQL."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from harvest import attempts
from harvest.store import IncomingRecord, RecordStore
from tests import staff_signin
from tests.portal import sample

KEY = "staff-sources-tests-" + "0123456789abcdef" * 2
HOSTILE_RAW = b'<record><datafield tag="245"><subfield code="a"><script>alert("x")</script></subfield>'


@pytest.fixture
def app(tmp_path, db_url):
    from core.settings import from_dict
    from portal.app import create_app
    store = RecordStore(db_url)
    ok = attempts.begin(store.engine, "kautokeino", started=datetime.now(timezone.utc) - timedelta(hours=1))
    attempts.finish(store.engine, ok, "ok", records=2)
    for _ in range(2):
        failed = attempts.begin(store.engine, "kautokeino")
        attempts.finish(store.engine, failed, "failed", error="http://kautokeino.test/oai: connection failed")
    store.quarantine("kautokeino", "page 3 not well-formed: unescaped &", location="http://kautokeino.test/oai?p=3",
                     raw=HOSTILE_RAW)
    store.upsert("kautokeino", [IncomingRecord("oai:k:1", marcxml="<record/>", checksum="a"),
                              IncomingRecord("oai:k:2", deleted=True)])
    store.quarantine("tromso", "Tromsø's own problem", raw=b"tromso-secret")
    from sqlalchemy import insert
    from transform.tables import transform_records
    with store.engine.begin() as conn:               # a record the transform stage could not convert
        conn.execute(insert(transform_records).values(
            source="kautokeino", identifier="oai:k:1", record_id="1", status="error", triples=0,
            error="no title (245) in the record", updated_at=datetime.now(timezone.utc)))
    store.close()
    sources = [*sample.SOURCES, {"id": "kautokeino", "name": "Guovdageainnu girjerádju", "oai_url":
                                 "http://kautokeino.test/oai", "contact_email": "k@bibliotek.test"}]
    settings = from_dict({"data_dir": str(tmp_path / "data"), "database_url": db_url, "sources": sources,
                          "scheduler": {"jitter_seconds": 0}})
    staff_signin.add(db_url)
    staff_signin.add(db_url, "tromso-librarian", "tromso")
    staff_signin.add(db_url, "county", "tromso", "county-admin")
    return create_app(settings, {"TESTING": True, "SECRET_KEY": KEY})


def signed_in(app, user=staff_signin.USER):
    client = app.test_client()
    staff_signin.sign_in_client(client, user)
    return client


def test_nobody_signed_in_sees_nothing(app):
    client = app.test_client()
    assert client.get("/staff/sources").status_code == 303
    assert client.get("/staff/sources.json").status_code == 401
    assert client.get("/staff/sources/kautokeino.json").status_code == 401
    assert client.get("/staff/sources/kautokeino").headers["Location"].startswith("/staff/login")


def test_a_librarian_sees_only_their_own_sources(app):
    client = signed_in(app)
    listing = client.get("/staff/sources.json")
    assert listing.status_code == 200 and listing.headers["Cache-Control"] == "private, no-store"
    assert [s["id"] for s in listing.get_json()["sources"]] == ["kautokeino"]
    assert client.get("/staff/sources/tromso.json").status_code == 403
    assert client.get("/staff/sources/tromso").status_code == 403
    assert client.get("/staff/sources/nowhere").status_code == 403
    assert "tromso-secret" not in client.get("/staff/sources/kautokeino").get_data(as_text=True)
    other = signed_in(app, "tromso-librarian")
    assert [s["id"] for s in other.get("/staff/sources.json").get_json()["sources"]] == ["tromso"]
    assert other.get("/staff/sources/kautokeino.json").status_code == 403
    assert "Guovdageainnu" not in other.get("/staff/sources").get_data(as_text=True)


def test_a_county_admin_sees_every_source(app):
    client = signed_in(app, "county")
    ids = [s["id"] for s in client.get("/staff/sources.json").get_json()["sources"]]
    assert ids == ["tromso", "karasjok", "kongsbakken", "kautokeino"]
    assert client.get("/staff/sources/kautokeino.json").get_json()["source"]["failures"] == 2
    assert client.get("/staff/sources/nowhere.json").status_code == 404


def test_the_source_page_says_what_failed_and_what_is_quarantined(app):
    client = signed_in(app)
    data = client.get("/staff/sources/kautokeino.json").get_json()["source"]
    assert data["harvest_status"] == "failed" and data["failures"] == 2
    assert data["last_attempt"]["error"] == "http://kautokeino.test/oai: connection failed"
    assert data["last_success"] == data["attempts"][2]["finished"]
    assert [a["outcome"] for a in data["attempts"]] == ["failed", "failed", "ok"]
    assert (data["records"], data["deleted"], data["quarantined"]) == (1, 1, 1)
    item, conversion = data["quarantine"]
    assert item["cause"].startswith("page 3 not well-formed") and item["raw"] == HOSTILE_RAW.decode()
    assert conversion == {**conversion, "stage": "transform", "identifier": "oai:k:1", "raw": "<record/>",
                          "cause": "no title (245) in the record"}
    assert data["not_converted"] == 1
    assert [d["identifier"] for d in data["deletes"]] == ["oai:k:2"]
    next_run = datetime.fromisoformat(data["next_run"])
    started = datetime.fromisoformat(data["last_attempt"]["started"])
    assert next_run == started + timedelta(minutes=30)              # schedule_minutes' default, no jitter
    html = client.get("/staff/sources/kautokeino").get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "connection failed" in html and "oai:k:2" in html and "Mislyktes" in html
    assert "mislykte på rad: 2" in html and "Konvertering (posten kunne ikke konverteres)" in html


@pytest.mark.parametrize("lang, heading, outcome", [
    ("nb", "Høstingsstatus", "Mislyktes"), ("nn", "Haustingsstatus", "Mislukkast"),
    ("se", "Čoaggindilli", "Ii lihkostuvvan"), ("en", "Harvest health", "Failed")])
def test_the_pages_speak_four_languages(app, lang, heading, outcome):
    client = signed_in(app)
    listing = client.get(f"/staff/sources?lang={lang}").get_data(as_text=True)
    assert f"<h1>{heading}</h1>" in listing and outcome in listing
    assert heading in client.get("/staff").get_data(as_text=True)          # linked from the staff start page
