"""Enrichment overlays end to end: a thin record harvested over real OAI-PMH (the loopback provider) is
offered a richer national record's fields (Sami language codes first), a librarian of its library
accepts them (another library's staff may not), and the overlay shows in the OAI provider's marcxchange
and in the BIBFRAME with its provenance, survives a re-harvest, and gives way when the source brings the
same group itself (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import select

from accounts.tables import staff_events
from core import settings as settings_mod
from harvest.files import import_files
from harvest.loopback import LoopbackRecord, serve
from harvest.marcdata import DataField, to_slim
from harvest.oai import harvest_source
from harvest.store import RecordStore
from tests import staff_signin
from tests.deliveries import book, isbn13, write
from tests.peers.oai_servers import FAST
from grenselos.applier import Applier
from transform import graph_outbox, overlays
from transform.pipeline import run_transform

import pytest

pytestmark = pytest.mark.peer

ISBN = isbn13("978820000031")
USER, PASSWORD = "tromso-cataloguer", "tromso-test-password-0456"
OTHER, OTHER_PASSWORD = "alta-cataloguer", "alta-test-password-0789"


def thin(title: str = "Guovssahasat", summary: str = "") -> str:
    record = book("t1", ISBN, title, "Hætta, Máret", org="NO-1902000", copies=[("0301900100", "Hæt")],
                  language="und")
    if summary:
        record.add_ordered_field(DataField("520", " ", " ", [("a", summary)]))
    return to_slim(record)


def rich():
    record = book("nb1", ISBN, "Guovssahasat : románačála", "Hætta, Máret", org="NO-NB", language="sme")
    for field in (DataField("041", "0", " ", [("a", "sme")]), DataField("082", "0", "4", [("a", "839.4")]),
                  DataField("520", " ", " ", [("a", "Románačála guovssahasaid birra.")]),
                  DataField("650", " ", "7", [("a", "Guovssahasat"), ("2", "noubomn")])):
        record.add_ordered_field(field)
    return record


def settings_for(tmp_path, db_url, url):
    return settings_mod.from_dict({
        "data_dir": str(tmp_path / "data"), "database_url": db_url, "base_uri": "http://data.grenselos.test",
        "harvest": FAST,
        "sources": [{"id": "nb", "name": "Nasjonalbibliografien", "kind": "national"},
                    {"id": "tromso", "name": "Tromsø bibliotek", "municipality": "Tromsø", "isil": "NO-1902000",
                     "holdings": "marc-852", "oai_url": url},
                    {"id": "alta", "name": "Alta bibliotek", "municipality": "Alta", "isil": "NO-2012000",
                     "holdings": "marc-852"}]})


def harvest_and_transform(settings, store):
    summary = harvest_source(settings, store, settings.source("tromso"))
    assert not summary.failed, summary.line()
    run_transform(settings, store, progress=False)


def oai(client, prefix: str) -> str:
    response = client.get(f"/oai?verb=GetRecord&metadataPrefix={prefix}"
                          f"&identifier=oai:data.grenselos.test:NO-1902000:t1")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def world(tmp_path, db_url):
    with serve([LoopbackRecord("oai:lb:t1", "2026-01-05T10:00:00Z", thin())]) as provider:
        settings = settings_for(tmp_path, db_url, provider.url)
        store = RecordStore(db_url)
        import_files(store, settings.source("nb"), [write(tmp_path / "nb.mrc", [rich()])])
        harvest_and_transform(settings, store)
        staff_signin.add(db_url, user=USER, library="tromso", password=PASSWORD)
        staff_signin.add(db_url, user=OTHER, library="alta", password=OTHER_PASSWORD)
        from portal.app import create_app
        app = create_app(settings, {"TESTING": True, "SECRET_KEY": "test-only-key-" + "e" * 32})
        yield settings, store, app, provider
        store.close()


def test_diff_accept_provenance_reharvest_and_source_wins(world):
    settings, store, app, provider = world
    client = app.test_client()
    assert client.get("/staff/records/tromso-t1/enrich.json").status_code == 401
    staff_signin.sign_in_client(client, user=USER, password=PASSWORD)

    diff = client.get("/staff/records/tromso-t1/enrich.json").get_json()
    assert diff["id"] == "tromso-t1" and diff["title"] == "Guovssahasat"
    assert set(diff["missing"]) == {"languages", "subjects", "summary", "classification", "audience"}
    groups = [o["group"] for o in diff["offers"]]
    assert groups[0] == "languages" and diff["offers"][0]["sami_or_kven"] is True     # Sami codes above all
    assert set(groups) == {"languages", "subjects", "summary", "classification"}   # the national record has no audience
    assert diff["offers"][0]["from"] == {"source": "nb", "identifier": "NO-NB:nb1", "library": "Nasjonalbibliografien"}
    texts = {f["text"] for o in diff["offers"] for f in o["fields"]}
    assert {"008/35-37 sme", "041 0# $a sme", "082 04 $a 839.4", "650 #7 $a Guovssahasat $2 noubomn"} <= texts
    assert diff["gain"] == 3 + 5 + 3 + 3 + 2

    batch = client.get("/staff/enrich.json").get_json()
    assert [r["id"] for r in batch["records"]] == ["tromso-t1"] and batch["records"][0]["gain"] == diff["gain"]
    assert "Guovssahasat" in client.get("/staff/enrich").get_data(as_text=True)

    token = staff_signin.csrf_from(client, "/staff/records/tromso-t1/enrich")
    assert client.post("/staff/records/tromso-t1/enrich", data={"group": "summary"}).status_code == 400  # no CSRF
    done = client.post("/staff/records/tromso-t1/enrich", data={"csrf_token": token, "group": [
        "languages", "subjects", "summary"]})
    assert done.status_code == 303
    with store.engine.connect() as conn:
        rows = conn.execute(select(overlays.record_overlays)).all()
        events = conn.execute(select(staff_events).where(staff_events.c.event == "record_enriched")).all()
    assert {r.group_name for r in rows} == {"languages", "subjects", "summary"}
    assert {(r.principal, r.library, r.from_source) for r in rows} == {(USER, "tromso", "nb")}
    assert [(e.principal, e.target) for e in events] == [(USER, "tromso:oai:lb:t1")]
    # The request converted the record but left the graph store to its one writer: the rows wait in the
    # outbox until the applier (`grenselos serve`'s thread, or `grenselos apply`) replays them.
    assert graph_outbox.pending(store.engine)[0] > 0
    applier = Applier(settings)
    applier.apply_once()
    assert applier.graph_rows > 0 and graph_outbox.pending(store.engine)[0] == 0
    after = client.get("/staff/records/tromso-t1/enrich.json").get_json()
    assert [o["group"] for o in after["offers"]] == ["classification"]          # what was left
    assert len(after["overlays"]) == len(rows) and not any(o["superseded"] for o in after["overlays"])

    marc = oai(client, "marcxchange")                                       # what the national services harvest
    assert "info:lc/xmlns/marcxchange-v1" in marc and "Románačála guovssahasaid birra." in marc
    assert ">sme<" in marc and "Guovssahasat" in marc and "839.4" not in marc
    bibframe = oai(client, "bibframe")
    assert "enrichment overlay" in bibframe and "http://data.grenselos.test/instance/nb-nb1" in bibframe
    assert "derivedFrom" in bibframe and "http://id.loc.gov/vocabulary/languages/sme" in bibframe

    # Re-harvest: the source sends the record again (changed title), the overlay stays.
    provider.set_records([LoopbackRecord("oai:lb:t1", "2030-02-01T10:00:00Z", thin("Guovssahasat!"))])
    harvest_and_transform(settings, store)
    assert "Guovssahasat!" in store.get("tromso", "oai:lb:t1").marcxml
    marc = oai(client, "marcxchange")
    assert "Guovssahasat!" in marc and "Románačála guovssahasaid birra." in marc and ">noubomn<" in marc

    # The source brings its own summary: the source wins, the overlay's 520 is superseded and reported.
    provider.set_records([LoopbackRecord("oai:lb:t1", "2030-03-01T10:00:00Z", thin(summary="Eget samandrag."))])
    harvest_and_transform(settings, store)
    marc = oai(client, "marcxchange")
    assert "Eget samandrag." in marc and "Románačála guovssahasaid birra." not in marc and ">noubomn<" in marc
    with store.engine.connect() as conn:
        states = {r.group_name: r.status for r in conn.execute(select(overlays.record_overlays))}
    assert states == {"languages": "active", "subjects": "active", "summary": "superseded"}
    report = client.get("/staff/records/tromso-t1/enrich.json").get_json()
    assert {o["group"] for o in report["overlays"] if o["superseded"]} == {"summary"}
    assert "Superseded" in client.get("/staff/records/tromso-t1/enrich?lang=en").get_data(as_text=True)


def test_staff_of_another_library_may_not_see_or_enrich(world):
    _settings, store, app, _provider = world
    client = app.test_client()
    staff_signin.sign_in_client(client, user=OTHER, password=OTHER_PASSWORD)
    assert client.get("/staff/records/tromso-t1/enrich.json").status_code == 403
    assert client.get("/staff/records/tromso-t1/enrich").status_code == 403
    token = staff_signin.csrf_from(client, "/staff/login")
    assert client.post("/staff/records/tromso-t1/enrich", data={"csrf_token": token}).status_code == 403
    assert client.get("/staff/records/nowhere-1/enrich.json").status_code == 404
    assert client.get("/staff/enrich.json").get_json()["records"] == []       # alta's own: none
    with store.engine.connect() as conn:
        assert conn.execute(select(overlays.record_overlays)).all() == []
