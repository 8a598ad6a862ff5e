"""Copies as data: the transform stage keeps one row per copy, circulation writes statuses there, and an
incremental index run shows the new status by rebuilding just that record (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from lxml import etree
from sqlalchemy import func, select

from core import settings as settings_mod
from harvest.files import import_files
from harvest.store import IncomingRecord, RecordStore
from index.pipeline import index_changes
from index.tantivy_backend import TantivyBackend
from transform import copies as copies_store
from transform.pipeline import run_transform
from transform.tables import transform_records

KOHA = "koha-misc4dev/koha_sample_biblios_with_952_items.marcxml"
MARC = "http://www.loc.gov/MARC21/slim"


def settings_for(tmp_path, db_url):
    return settings_mod.from_dict({
        "data_dir": str(tmp_path / "data"), "database_url": db_url, "base_uri": "http://data.grenselos.test",
        "sources": [{"id": "tromso", "name": "Tromsø bibliotek", "kind": "public", "municipality": "Tromsø",
                     "holdings": "koha-952", "isil": "NO-1902000"}]})


@pytest.fixture
def built(tmp_path, db_url, shared_data):
    settings = settings_for(tmp_path, db_url)
    store = RecordStore(db_url)
    import_files(store, settings.source("tromso"), [shared_data / KOHA])
    run_transform(settings, store, progress=False)
    backend = TantivyBackend(settings.data_dir / "index", writer_heap=50_000_000, writer_threads=1)
    index_changes(settings, store, backend)
    yield settings, store, backend
    backend.close()
    store.close()


def rows(store):
    with store.engine.connect() as conn:
        return list(conn.execute(select(copies_store.copies).order_by(copies_store.copies.c.id)))


def test_transform_keeps_one_row_per_copy_and_a_rerun_changes_nothing(built):
    settings, store, _backend = built
    every = rows(store)
    assert len(every) > 400
    assert all(r.library == "tromso" for r in every if r.library_code in ("", "NO-1902000"))
    assert {r.status for r in every} <= {"available", "on_loan", "in_transit", "reference", "missing",
                                         "unavailable", "unknown"}
    assert sum(1 for r in every if r.item_id) > 0.9 * len(every)          # Koha barcodes (952 $p)
    stamp = datetime.now(timezone.utc)
    run_transform(settings, store, progress=False, full=True)             # everything converted again
    again = rows(store)
    assert [(r.id, r.item_id, r.status) for r in again] == [(r.id, r.item_id, r.status) for r in every]
    with store.engine.connect() as conn:
        moved = conn.execute(select(func.count()).select_from(copies_store.copies)
                             .where(copies_store.copies.c.updated_at > stamp)).scalar()
    assert moved == 0                                                      # nothing really changed


def test_a_status_write_reaches_search_by_reindexing_one_record(built):
    settings, store, backend = built
    copy = next(r for r in rows(store) if r.status == "available" and r.item_id)
    with store.engine.begin() as conn:
        assert copies_store.set_status(conn, copy.id, "on_loan", "2026-12-24")
    summary = index_changes(settings, store, backend)
    assert summary.indexed == 1 and summary.failed is None
    with store.engine.connect() as conn:
        record_id = conn.execute(select(transform_records.c.record_id).where(
            transform_records.c.source == "tromso", transform_records.c.identifier == copy.identifier)).scalar()
    document = backend.get(f"tromso-{record_id}")
    statuses = {c.id: (c.status, c.due_date) for h in document.holdings for c in h.copies}
    assert statuses[copy.id] == ("on_loan", "2026-12-24")


def test_a_reharvest_keeps_circulation_status_and_copy_ids_by_barcode(built, shared_data):
    settings, store, _backend = built
    row = next(r for r in store.iter_records("tromso", record_type="bib")
               if r.marcxml and r.marcxml.count('tag="952"') >= 2)
    before = {r.item_id: r for r in rows(store) if r.identifier == row.identifier}
    first_barcode = sorted(before)[0]
    with store.engine.begin() as conn:
        copies_store.set_status(conn, before[first_barcode].id, "on_loan", "2026-12-24")

    # The library's system sends the record again with its items in the opposite order.
    tree = etree.fromstring(row.marcxml.encode())
    items = tree.findall(f"{{{MARC}}}datafield[@tag='952']")
    for item in items:
        tree.remove(item)
    for item in reversed(items):
        tree.append(item)
    store.upsert("tromso", [IncomingRecord(identifier=row.identifier, marcxml=etree.tostring(tree, encoding="unicode"),
                                           control_number=row.control_number, datestamp="2026-12-07")])
    run_transform(settings, store, progress=False)
    after = {r.item_id: r for r in rows(store) if r.identifier == row.identifier}
    assert {k: v.id for k, v in after.items()} == {k: v.id for k, v in before.items()}   # same copies
    assert after[first_barcode].status == "on_loan" and after[first_barcode].status_source == "circulation"
    assert [r.n for r in sorted(after.values(), key=lambda r: r.id)] != \
        [r.n for r in sorted(before.values(), key=lambda r: r.id)]                      # places moved


def test_unknown_status_codes_are_refused(built):
    _settings, store, _backend = built
    with store.engine.begin() as conn, pytest.raises(ValueError):
        copies_store.set_status(conn, rows(store)[0].id, "borrowed")


def test_copies_carry_their_item_type_from_952_y(built):
    """Koha's sample: BK, MU and VM in 952 $y become book, music and film; the code as sent is kept."""
    _settings, store, _backend = built
    every = rows(store)
    pairs = {(r.item_type_code, r.item_type) for r in every if r.item_type_code in ("BK", "MU", "VM")}
    assert pairs == {("BK", "book"), ("MU", "music"), ("VM", "film")}
    from vocab import item_types
    assert {r.item_type for r in every} <= set(item_types.codes())
