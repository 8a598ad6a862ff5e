"""The record store on SQLite and on a real PostgreSQL server, through the Alembic migrations."""

from harvest.store import IncomingRecord


def rec(identifier, xml="<record/>", **kw):
    return IncomingRecord(identifier=identifier, marcxml=xml, datestamp="2026-01-01", **kw)


def snapshot(store, source="s"):
    return sorted((r.identifier, r.deleted, r.checksum, r.marcxml, r.error, r.datestamp, r.first_seen)
                  for r in store.iter_records(source))


def test_upsert_is_idempotent(store):
    page = [rec("a"), rec("b"), rec("c", deleted=True)]
    first = store.upsert("s", page)
    before = snapshot(store)
    again = store.upsert("s", page)
    assert (first.new, again.new, again.changed, again.unchanged) == (3, 0, 0, 3)
    assert snapshot(store) == before


def test_change_and_delete_are_recorded_never_dropped(store):
    store.upsert("s", [rec("a", "<record>1</record>")])
    result = store.upsert("s", [rec("a", "<record>2</record>")])
    assert result.changed == 1 and store.get("s", "a").marcxml == "<record>2</record>"
    store.upsert("s", [IncomingRecord("a", deleted=True, datestamp="2026-02-01")])
    row = store.get("s", "a")
    assert row.deleted and row.marcxml is None and row.datestamp == "2026-02-01"
    assert store.status()["s"] == {"records": 0, "deleted": 1, "quarantined": 0, "holdings": 0,
                                   "last_harvest": None, "harvest_status": None}


def test_bad_record_kept_with_error_and_counted(store):
    store.upsert("s", [rec("bad", "<record>\x01</record>", error="illegal control character")])
    assert store.get("s", "bad").error == "illegal control character"
    assert store.status()["s"]["quarantined"] == 1
    assert store.quarantine("s", "page is not well-formed XML", location="http://x/oai?verb=ListRecords",
                            raw=b"<broken")
    assert not store.quarantine("s", "page is not well-formed XML", location="http://x/oai?verb=ListRecords",
                                raw=b"<broken")
    assert store.status()["s"]["quarantined"] == 2


def test_holdings_link_to_bib_by_004(store):
    store.upsert("s", [rec("b1", control_number="111"),
                       rec("h1", record_type="holdings", control_number="h1", parent="111"),
                       rec("h2", record_type="holdings", control_number="h2", parent="222")])
    assert [h.identifier for h in store.holdings_for("s", "111")] == ["h1"]
    assert store.status()["s"]["holdings"] == 2


def test_checkpoint_round_trip(store):
    assert store.checkpoint("s") is None
    store.save_checkpoint("s", status="running", token="tok1", window_from="2026-01-01")
    store.save_checkpoint("s", token="tok2")
    cp = store.checkpoint("s")
    assert (cp["status"], cp["token"], cp["window_from"]) == ("running", "tok2", "2026-01-01")


def test_sources_are_separate(store):
    store.upsert("s", [rec("x")])
    store.upsert("t", [rec("x", "<record>other</record>")])
    assert store.get("s", "x").marcxml != store.get("t", "x").marcxml
    assert store.identifiers("s") == {"x"}
