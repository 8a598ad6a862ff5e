"""`RecordStore.has_holdings`: the harvester's cheap check (one indexed EXISTS) agrees with `status()`."""

from harvest.store import IncomingRecord


def test_has_holdings_follows_live_linked_holdings(store):
    assert not store.has_holdings("lib")
    store.upsert("lib", [IncomingRecord("oai:lib:1", marcxml="<record/>", checksum="a", control_number="1")])
    assert not store.has_holdings("lib")
    store.upsert("lib", [IncomingRecord("oai:lib:1#holdings:h1", marcxml="<record/>", checksum="b",
                                        record_type="holdings", control_number="h1", parent="1")])
    assert store.has_holdings("lib") and not store.has_holdings("other")
    assert store.status()["lib"]["holdings"] == 1
    store.mark_deleted("lib", ["oai:lib:1#holdings:h1"])
    assert not store.has_holdings("lib")
    assert store.status()["lib"]["holdings"] == 0
