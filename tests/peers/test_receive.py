"""`grenselos receive`: a shelf-ready delivery file matched to existing works (ISBN first, then title and
author) or added, a copy with barcode and shelf for every book, a report of what did not match, and a
second run that changes nothing (SQLite and PostgreSQL, through the real command line)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from grenselos.cli import cli
from harvest.files import import_files
from harvest.store import RecordStore
from tests.deliveries import book, isbn13, write
from transform import copies as copies_store
from transform.pipeline import run_transform
from transform.tables import transform_records
from transform import setting_values

ISBN_A, ISBN_B, ISBN_C = isbn13("978820000001"), isbn13("978820000002"), isbn13("978820000003")


@pytest.fixture
def config(write_config, tmp_path, db_url):
    return write_config(f'''
data_dir = "{tmp_path / 'data'}"
database_url = "{db_url}"

[[sources]]
id = "nb"
name = "Nasjonalbibliografien"
kind = "national"

[[sources]]
id = "tromso"
name = "Tromsø bibliotek"
isil = "NO-1902000"
municipality = "Tromsø"
holdings = "marc-852"
''')


@pytest.fixture
def catalogue(config, tmp_path, db_url):
    """The national bibliography already describes two of the delivered books."""
    settings = setting_values.load(str(config))
    store = RecordStore(db_url)
    national = write(tmp_path / "nb.mrc", [
        book("nb1", ISBN_A, "Nordlys over Vardø", "Hansen, Kari", org="NO-NB"),
        book("nb2", ISBN_B, "Fjellet som flyttet seg", "Olsen, Per", org="NO-NB")])
    import_files(store, settings.source("nb"), [national])
    run_transform(settings, store, progress=False)
    yield settings, store
    store.close()


@pytest.fixture
def delivery(tmp_path):
    return write(tmp_path / "levering-2026-12.mrc", [
        book("bs100", ISBN_A, "Nordlys over Vardø", "Hansen, Kari", copies=[("03010000001", "839.82 Han"),
                                                                            ("03010000002", "839.82 Han")]),
        book("bs101", "", "Fjellet som flyttet seg", "Olsen, Per", copies=[("03010000003", "839.82 Ols")]),
        book("bs102", ISBN_C, "Ei heilt ny bok", "Nilsen, Ragnhild", copies=[("03010000004", "Nil")]),
        book("bs103", "", "Bok uten strekkode", "Berg, Ola")], garbage=True)


def run(config, *args):
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def copies(store):
    with store.engine.connect() as conn:
        return [(r.id, r.identifier, r.item_id, r.library, r.location, r.call_number, r.status)
                for r in conn.execute(select(copies_store.copies).where(copies_store.copies.c.source == "tromso")
                                      .order_by(copies_store.copies.c.id))]


def test_dry_run_reports_matches_and_stores_nothing(config, catalogue, delivery):
    _settings, store = catalogue
    result = run(config, "receive", str(delivery), "--library", "tromso", "--dry-run", "--json")
    assert result.exit_code == 1, result.output                   # the garbage piece is reported
    receipt = json.loads(result.output)
    outcomes = {r["identifier"]: (r["outcome"], r["matched_by"]) for r in receipt["records"]}
    assert outcomes["BS:bs100"] == ("matched", "isbn")
    assert outcomes["BS:bs101"] == ("matched", "title-author")
    assert outcomes["BS:bs102"] == ("added", "")
    assert [r["outcome"] for r in receipt["records"]].count("unreadable") == 1
    assert receipt["dry_run"] and receipt["copies"] == 4
    assert copies(store) == []


def test_receive_matches_adds_registers_copies_and_is_idempotent(config, catalogue, delivery):
    _settings, store = catalogue
    result = run(config, "receive", str(delivery), "--library", "tromso")
    assert "3 matched" not in result.output and "2 matched, 2 added, 1 unreadable; 4 copies" in result.output
    assert "Bok uten strekkode" not in result.output or "no copy with a barcode" in result.output
    assert "BS:bs103" in result.output and "no copy with a barcode" in result.output
    assert "BS:bs102" in result.output and "added as a new one" in result.output
    first = copies(store)
    assert sorted((c[2], c[3], c[5], c[6]) for c in first) == [
        ("03010000001", "tromso", "839.82 Han", "unknown"), ("03010000002", "tromso", "839.82 Han", "unknown"),
        ("03010000003", "tromso", "839.82 Ols", "unknown"), ("03010000004", "tromso", "Nil", "unknown")]
    with store.engine.connect() as conn:
        work = {(r.source, r.identifier): r.cluster_id for r in conn.execute(select(transform_records))}
    assert work[("tromso", "BS:bs100")] == work[("nb", "NO-NB:nb1")]
    assert work[("tromso", "BS:bs101")] == work[("nb", "NO-NB:nb2")]
    assert work[("tromso", "BS:bs102")] not in {work[("nb", "NO-NB:nb1")], work[("nb", "NO-NB:nb2")]}

    again = run(config, "receive", str(delivery), "--library", "tromso", "--json")
    receipt = json.loads(again.output)
    assert receipt["store"] == {"new": 0, "changed": 0, "unchanged": 4}
    assert copies(store) == first                                  # same rows, same ids: nothing changed
    assert {r["identifier"]: r["copies"] for r in receipt["records"] if r["identifier"]} == {
        "BS:bs100": 2, "BS:bs101": 1, "BS:bs102": 1, "BS:bs103": 0}
