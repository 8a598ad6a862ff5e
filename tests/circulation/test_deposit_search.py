"""A copy on deposit is shown where it is — in search hits' holdings, on the record page and in the JSON API —
after the next incremental index run (real harvest file, transform, tantivy index and portal)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from accounts.principal import Principal
from circulation.deposits import Deposits
from circulation.service import Circulation
from index.pipeline import index_changes
from tests import koha_catalogue
from transform import copies as copies_store
from transform.tables import transform_records


@pytest.fixture
def catalogue(tmp_path, shared_data):
    path = koha_catalogue.write_config(tmp_path, tromso="circulation = true\n", more='''[[sources]]
id = "kirkenes"
name = "Kirkenes bibliotek"
municipality = "Sør-Varanger"
''')
    settings, store = koha_catalogue.build(path, shared_data)
    yield settings, store
    store.close()


def test_a_deposit_reaches_search_the_record_page_and_the_api(catalogue):
    from portal.app import create_app
    settings, store = catalogue
    with store.engine.connect() as conn:
        copy = next(r for r in conn.execute(select(copies_store.copies).order_by(copies_store.copies.c.id))
                    if r.item_id and r.library == "tromso")
        record_id = conn.execute(select(transform_records.c.record_id).where(
            transform_records.c.identifier == copy.identifier)).scalar()
    doc_id = f"tromso-{record_id}"
    made = Deposits(Circulation(store.engine, settings)).create(
        Principal("t", "tromso", "librarian"), to_library="kirkenes", until=date(2099, 5, 31),
        barcodes=[copy.item_id], place="Kirkenes skole", today=date(2026, 12, 1))
    assert made.done == (copy.item_id,)
    assert index_changes(settings, store).indexed >= 1
    app = create_app(settings, {"TESTING": True, "SECRET_KEY": "test-only-key-" + "x" * 32})
    client = app.test_client()
    body = client.get(f"/api/record/{doc_id}").get_json()
    held = [h for h in body["record"]["holdings"] if h["library"] == "kirkenes"]
    assert held and held[0]["deposit_until"] == "2099-05-31"
    assert [(c["id"], c["deposit_until"], c["deposit_place"]) for c in held[0]["copies"]] == \
        [(copy.id, "2099-05-31", "Kirkenes skole")]
    page = client.get(f"/record/{doc_id}?lang=en").get_data(as_text=True)
    assert "On deposit here until" in page and "Kirkenes skole" in page
    title = body["record"]["title"]
    hits = client.get("/api/search", query_string={"q": title}).get_json()
    hit = next(h for h in hits["hits"] if h["id"] == doc_id)
    assert any(h["library"] == "kirkenes" and h["deposit_until"] == "2099-05-31" for h in hit["holdings"])
    html = client.get("/search", query_string={"q": title, "lang": "en"}).get_data(as_text=True)
    assert "on deposit until May 2099" in html
