"""Copy cataloguing in two scans: `POST /api/staff/copies` (201/400/401/409, Basic and bearer), the copy
searchable after the applier's index run, the short record upgraded by the next national record with its
copies kept, and the staff page's two scans (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import time

import pytest
from sqlalchemy import select

from core import settings as settings_mod
from harvest.files import import_files
from harvest.marcdata import DataField
from harvest.store import RecordStore
from index.pipeline import index_changes
from index.tantivy_backend import TantivyBackend
from tests import staff_signin
from tests.deliveries import book, isbn13, write
from transform import copies as copies_store
from transform import copy_cataloguing
from transform.pipeline import run_transform

ISBN_A, ISBN_NEW = isbn13("978820000011"), isbn13("978820000012")
USER, PASSWORD = "tromso-librarian", "tromso-test-password-0123"


def basic(user=USER, password=PASSWORD) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture
def built(tmp_path, db_url):
    settings = settings_mod.from_dict({
        "data_dir": str(tmp_path / "data"), "database_url": db_url, "base_uri": "http://data.grenselos.test",
        "sources": [{"id": "nb", "name": "Nasjonalbibliografien", "kind": "national"},
                    {"id": "alta", "name": "Alta bibliotek", "municipality": "Alta", "isil": "NO-2012000",
                     "holdings": "marc-852"},
                    {"id": "tromso", "name": "Tromsø bibliotek", "municipality": "Tromsø", "isil": "NO-1902000",
                     "holdings": "marc-852"}]})
    store = RecordStore(db_url)
    rich = book("nb1", ISBN_A, "Nordlys over Vardø", "Hansen, Kari", org="NO-NB")
    rich.fields += [DataField("082", "0", "4", [("a", "839.823")]), DataField("650", " ", "0", [("a", "Nordlys")]),
                    DataField("520", " ", " ", [("a", "Ein roman.")])]
    import_files(store, settings.source("nb"), [write(tmp_path / "nb.mrc", [rich])])
    import_files(store, settings.source("alta"), [write(tmp_path / "alta.mrc", [
        book("a1", ISBN_A, "Nordlys over Vardø", "Hansen, Kari", org="NO-2012000", isil="NO-2012000",
             copies=[("0201", "Han")])])])
    run_transform(settings, store, progress=False)
    staff_signin.add(db_url, user=USER, library="tromso", password=PASSWORD)
    from portal.app import create_app
    app = create_app(settings, {"TESTING": True, "SECRET_KEY": "test-only-key-" + "c" * 32})
    yield settings, store, app
    store.close()


def tromso_copies(store):
    with store.engine.connect() as conn:
        return [(r.id, r.identifier, r.item_id, r.library, r.call_number) for r in conn.execute(
            select(copies_store.copies).where(copies_store.copies.c.library == "tromso")
            .order_by(copies_store.copies.c.id))]


def test_api_contract_and_the_copy_is_searchable_after_the_index_run(built):
    settings, store, app = built
    client = app.test_client()
    body = {"isbn": ISBN_A, "barcode": "03019000001", "call_number": "839.82 Han"}
    assert client.post("/api/staff/copies", json=body).status_code == 401
    assert client.post("/api/staff/copies", json=body, headers=basic(password="wrong")).status_code == 401
    bad = client.post("/api/staff/copies", json={**body, "isbn": "123"}, headers=basic())
    assert bad.status_code == 400 and bad.get_json()["field"] == "isbn"
    assert client.post("/api/staff/copies", json={**body, "barcode": ""}, headers=basic()).get_json()["field"] \
        == "barcode"
    assert client.post("/api/staff/copies", data="nope", headers=basic()).status_code == 400
    started = time.perf_counter()
    made = client.post("/api/staff/copies", json=body, headers=basic())
    assert made.status_code == 201, made.get_data(as_text=True)
    answer = made.get_json()
    assert answer["record"] == {"source": "nb", "identifier": "NO-NB:nb1"}      # the most complete one
    assert answer["local_record"]["source"] == "tromso" and answer["copy"]["library"] == "tromso"
    assert [(c[2], c[3], c[4]) for c in tromso_copies(store)] == [("03019000001", "tromso", "839.82 Han")]
    backend = TantivyBackend(settings.data_dir / "index", writer_heap=50_000_000, writer_threads=1)
    try:
        index_changes(settings, store, backend)
        elapsed = time.perf_counter() - started
        document = backend.get(answer["local_record"]["id"])
        barcodes = {c.item_id for h in document.holdings for c in h.copies}
        assert "03019000001" in barcodes
    finally:
        backend.close()
    assert elapsed < 10
    dup = client.post("/api/staff/copies", json=body, headers=basic())
    assert dup.status_code == 409 and dup.get_json()["field"] == "barcode"
    second = client.post("/api/staff/copies", json={**body, "barcode": "03019000002"}, headers=basic())
    assert second.status_code == 201
    assert [c[2] for c in tromso_copies(store)] == ["03019000001", "03019000002"]       # one record, two copies


def test_a_short_record_is_upgraded_by_the_next_national_record_and_keeps_its_copies(built, tmp_path):
    settings, store, app = built
    client = app.test_client()
    body = {"isbn": ISBN_NEW, "barcode": "03019000009", "call_number": "Nil"}
    refused = client.post("/api/staff/copies", json=body, headers=basic())
    assert refused.status_code == 400 and refused.get_json()["field"] == "title"
    made = client.post("/api/staff/copies", json={**body, "title": "Ei heilt ny bok", "author": "Nilsen, R."},
                       headers=basic())
    assert made.status_code == 201 and made.get_json()["to_be_upgraded"] is True
    local = store.get("tromso", f"local-{ISBN_NEW}")
    assert copy_cataloguing.UPGRADE_MARK in local.marcxml
    before = tromso_copies(store)
    assert copy_cataloguing.upgrade(settings, store) == []                       # nothing national yet
    import_files(store, settings.source("nb"), [write(tmp_path / "nb2.mrc", [
        book("nb9", ISBN_NEW, "Ei heilt ny bok : roman", "Nilsen, Ragnhild", org="NO-NB")])])
    run_transform(settings, store, progress=False)       # converting the national record upgrades it at once
    upgraded = store.get("tromso", f"local-{ISBN_NEW}").marcxml
    assert copy_cataloguing.UPGRADE_MARK not in upgraded and "Nilsen, Ragnhild" in upgraded
    assert "03019000009" in upgraded
    assert tromso_copies(store) == before                                        # same copy, same id
    assert copy_cataloguing.upgrade(settings, store) == []                       # done once


def test_the_page_shows_candidates_side_by_side_and_adds_the_copy(built):
    _settings, store, app = built
    client = app.test_client()
    assert client.get("/staff/catalogue").status_code in (302, 303)
    staff_signin.sign_in_client(client, user=USER, password=PASSWORD)
    page = client.get(f"/staff/catalogue?isbn={ISBN_A}").get_data(as_text=True)
    assert "Nasjonalbibliografien" in page and "Alta bibliotek" in page
    data = client.get(f"/staff/catalogue.json?isbn={ISBN_A}").get_json()
    assert [c["source"] for c in data["candidates"]] == ["nb", "alta"]
    token = staff_signin.csrf_from(client, f"/staff/catalogue?isbn={ISBN_A}")
    done = client.post("/staff/catalogue", data={"csrf_token": token, "isbn": ISBN_A, "choice": "alta|NO-2012000:a1",
                                                 "barcode": "03019000005", "call_number": "Han"})
    assert done.status_code == 303
    assert [c[2] for c in tromso_copies(store)] == ["03019000005"]
    assert "03019000005" in client.get(done.headers["Location"]).get_data(as_text=True)


def test_the_receive_page_takes_a_delivery_file(built, tmp_path):
    _settings, store, app = built
    client = app.test_client()
    staff_signin.sign_in_client(client, user=USER, password=PASSWORD)
    token = staff_signin.csrf_from(client, "/staff/receive")
    path = write(tmp_path / "levering.mrc", [
        book("bs1", ISBN_A, "Nordlys over Vardø", "Hansen, Kari", copies=[("03018000001", "839.82 Han")])])
    with open(path, "rb") as fh:
        answer = client.post("/staff/receive", data={"csrf_token": token, "delivery": (fh, "levering.mrc")},
                             content_type="multipart/form-data")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert "Matchet (ISBN)" in answer.get_data(as_text=True)                 # nb, the default language
    assert [c[2] for c in tromso_copies(store)] == ["03018000001"]


def test_the_next_harvest_of_a_national_record_upgrades_the_short_record_as_the_scheduler_runs_it(built):
    """The scheduler's chain (harvest one source over OAI-PMH, transform that source) upgrades the short
    record: no separate step, and the upgraded record is converted in the same run."""
    from harvest.loopback import LoopbackRecord, serve
    from harvest.marcdata import to_slim
    from harvest.oai import harvest_source
    from tests.peers.oai_servers import FAST
    settings, store, app = built
    client = app.test_client()
    made = client.post("/api/staff/copies", json={"isbn": ISBN_NEW, "barcode": "03019000010", "call_number": "Nil",
                                                  "title": "Ei heilt ny bok"}, headers=basic())
    assert made.status_code == 201 and made.get_json()["to_be_upgraded"] is True
    before = tromso_copies(store)
    national = book("nb10", ISBN_NEW, "Ei heilt ny bok : roman", "Nilsen, Ragnhild", org="NO-NB")
    with serve([LoopbackRecord("oai:nb:nb10", "2030-01-01T00:00:00Z", to_slim(national))]) as provider:
        harvested = settings_mod.from_dict({
            "data_dir": str(settings.data_dir), "database_url": settings.database_url,
            "base_uri": settings.base_uri, "harvest": FAST,
            "sources": [{"id": "nb", "name": "Nasjonalbibliografien", "kind": "national", "oai_url": provider.url},
                        *[{"id": s.id, "name": s.name, "municipality": s.municipality, "isil": s.isil,
                           "holdings": s.holdings} for s in settings.sources if s.id != "nb"]]})
        assert not harvest_source(harvested, store, harvested.source("nb")).failed
    summaries = run_transform(harvested, store, ["nb"], progress=False)
    assert any(s.source == "tromso" and s.converted == 1 for s in summaries)
    upgraded = store.get("tromso", f"local-{ISBN_NEW}").marcxml
    assert copy_cataloguing.UPGRADE_MARK not in upgraded and "Nilsen, Ragnhild" in upgraded and "03019000010" in upgraded
    assert tromso_copies(store) == before
    local_id = made.get_json()["local_record"]["id"][len("tromso-"):]
    graph = client.get(f"/oai?verb=GetRecord&metadataPrefix=bibframe"
                       f"&identifier=oai:data.grenselos.test:NO-1902000:{local_id}").get_data(as_text=True)
    assert "Nilsen, Ragnhild" in graph and "Ei heilt ny bok" in graph      # converted in the same run
