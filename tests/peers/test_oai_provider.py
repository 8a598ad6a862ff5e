"""Harvesting a real OAI-PMH provider (the `oaipmh` 4.x package's server) on loopback.

Full harvest, a second harvest that changes nothing, then records added, changed and deleted on the
provider and picked up by an incremental harvest whose `from` is the provider's responseDate. Runs on
SQLite and on PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from harvest.marcxml import checksum
from harvest.oai import harvest_source
from harvest.store import RecordStore
from tests.peers.oai_servers import OaipmhPeer, PeerRecord, marc_records, settings_for, utcnow

pytestmark = pytest.mark.peer


@pytest.fixture(scope="module")
def marc(shared_data):
    return marc_records(shared_data / "vufindharvest" / "marc.xml", limit=14)


def snapshot(store, source="s"):
    return sorted((r.identifier, r.deleted, r.checksum, r.error, r.datestamp, r.first_seen, r.changed_at)
                  for r in store.iter_records(source))


def test_full_unchanged_then_incremental(db_url, tmp_path, marc):
    past = datetime(2020, 5, 1, 12, 0, 0)
    records = [PeerRecord(f"oai:peer:{n}", past + timedelta(minutes=n), xml) for n, xml in enumerate(marc[:10])]
    records += [PeerRecord("oai:peer:gone", past, None, deleted=True)]
    with OaipmhPeer(records, batch=3) as peer, _store(db_url) as store:
        settings = settings_for(tmp_path, db_url, peer.url)
        first = harvest_source(settings, store, settings.sources[0])
        assert not first.failed, first.line()
        assert (first.pages, first.new, first.deleted) == (4, 11, 1)     # 11 records in pages of 3
        rows = {r.identifier: r for r in store.iter_records("s")}
        assert set(rows) == {r.identifier for r in records}
        assert rows["oai:peer:gone"].deleted and rows["oai:peer:gone"].marcxml is None
        assert rows["oai:peer:3"].checksum == checksum(rows["oai:peer:3"].marcxml)
        assert rows["oai:peer:3"].datestamp == "2020-05-01T12:03:00Z"
        assert "<controlfield" in rows["oai:peer:3"].marcxml and not rows["oai:peer:3"].error
        cp = store.checkpoint("s")
        # next from = the provider's responseDate (today), not the newest datestamp (2020)
        assert cp["status"] == "idle" and cp["token"] is None
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", cp["next_from"])
        assert cp["next_from"] >= (utcnow() - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")

        before = snapshot(store)
        again = harvest_source(settings, store, settings.sources[0], full=True)
        assert (again.new, again.changed, again.unchanged) == (0, 0, 11)
        assert snapshot(store) == before

        after_full = store.checkpoint("s")["next_from"]          # the full run moved it on
        assert after_full >= cp["next_from"]
        quiet = harvest_source(settings, store, settings.sources[0])
        assert quiet.window_from == after_full and quiet.records == 0 and not quiet.failed

        stamp = utcnow()
        peer.records.append(PeerRecord("oai:peer:new", stamp, marc[10]))
        peer.records[2] = PeerRecord("oai:peer:2", stamp, marc[11])
        peer.records[4] = PeerRecord("oai:peer:4", stamp, None, deleted=True)
        inc = harvest_source(settings, store, settings.sources[0])
        assert not inc.failed, inc.line()
        assert inc.window_from is not None
        assert (inc.new, inc.changed, inc.unchanged, inc.deleted) == (1, 2, 0, 1)
        assert store.get("s", "oai:peer:new").marcxml.count("<controlfield") >= 1
        assert store.get("s", "oai:peer:2").checksum == checksum(store.get("s", "oai:peer:2").marcxml)
        assert store.get("s", "oai:peer:4").deleted
        assert store.status()["s"]["records"] == 10 and store.status()["s"]["deleted"] == 2


def test_day_granularity_cuts_next_from(db_url, tmp_path, marc):
    records = [PeerRecord(f"oai:peer:{n}", datetime(2019, 1, 1), xml) for n, xml in enumerate(marc[:4])]
    with OaipmhPeer(records, batch=2, granularity="YYYY-MM-DD") as peer, _store(db_url) as store:
        settings = settings_for(tmp_path, db_url, peer.url)
        summary = harvest_source(settings, store, settings.sources[0])
        assert not summary.failed and summary.new == 4
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", store.checkpoint("s")["next_from"])
        again = harvest_source(settings, store, settings.sources[0])
        assert again.window_from == store.checkpoint("s")["next_from"] and again.records == 0


def test_provider_without_deletes_found_by_list_identifiers(db_url, tmp_path, marc):
    records = [PeerRecord(f"oai:peer:{n}", datetime(2019, 1, 1), xml) for n, xml in enumerate(marc[:7])]
    with OaipmhPeer(records, batch=3) as peer, _store(db_url) as store:
        settings = settings_for(tmp_path, db_url, peer.url, reports_deletes=False)
        assert harvest_source(settings, store, settings.sources[0]).new == 7
        del peer.records[5]                       # vanishes without a trace, as on Koha without deletes
        del peer.records[1]
        summary = harvest_source(settings, store, settings.sources[0])
        assert not summary.failed, summary.line()
        assert summary.deleted == 2
        assert {r.identifier for r in store.iter_records("s") if r.deleted} == {"oai:peer:1", "oai:peer:5"}
        assert store.status()["s"]["records"] == 5


class _store:
    """A record store as a context manager (closed at the end of the test)."""

    def __init__(self, url):
        self.store = RecordStore(url)

    def __enter__(self):
        return self.store

    def __exit__(self, *exc):
        self.store.close()
