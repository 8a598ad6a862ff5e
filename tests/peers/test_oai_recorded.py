"""Recorded real OAI-PMH responses (sickle, vufindharvest, BIBSYS marcxchange, traject) served on loopback.

A small static server maps each request (its verb or resumption token) to a recorded file, so the
harvester meets real providers' pages: a 4-page token chain, deleted headers, every error code, a
broken page, a page without the OAI namespace, and separate marcxchange holdings records.
"""

from __future__ import annotations

import re

import pytest

from harvest.oai import harvest_source
from tests.peers.oai_servers import Reply, ScriptedPeer, recorded, settings_for

pytestmark = pytest.mark.peer

SICKLE_CHAIN = {"ListRecords": "ListRecords.xml", "ListRecords2.xml": "ListRecords2.xml",
                "ListRecords3.xml": "ListRecords3.xml", "ListRecords4.xml": "ListRecords4.xml",
                "Identify": "Identify.xml", "ListIdentifiers": "ListIdentifiers.xml",
                "ListIdentifiers2.xml": "ListIdentifiers2.xml"}


def harvest(tmp_path, store, url, **kw):
    settings = settings_for(tmp_path, str(store.engine.url.render_as_string(hide_password=False)), url, **kw)
    return harvest_source(settings, store, settings.sources[0])


def test_sickle_chain_non_marc_records_are_quarantined_deletes_kept(tmp_path, store, shared_data):
    with ScriptedPeer(recorded(shared_data / "sickle", SICKLE_CHAIN)) as peer:
        summary = harvest(tmp_path, store, peer.url)
    assert not summary.failed, summary.line()
    assert summary.pages == 4
    # The recorded chain repeats two identifiers: 7 records with identifiers, 1 deleted header without.
    assert (summary.records, summary.deleted) == (7, 3)
    deleted = store.get("s", "oai:test.example.com:1585310")
    assert deleted.deleted and deleted.marcxml is None and deleted.error is None
    live = store.get("s", "oai:test.example.com:1585322")
    assert live.error == "metadata is not MARC (found <dc>)"
    assert "Sample Title" in live.marcxml                  # the raw metadata is kept for a librarian
    problems = [q for q in store.quarantined("s") if q["stage"] == "harvest"]
    assert [q["cause"] for q in problems] == ["OAI record header without an identifier"]
    assert "ListRecords4.xml" in problems[0]["location"] and b'status="deleted"' in problems[0]["raw"]
    assert store.status()["s"]["quarantined"] == 2
    assert [p.get("resumptionToken") for p in peer.log if p["verb"] == "ListRecords"] == \
        [None, "ListRecords2.xml", "ListRecords3.xml", "ListRecords4.xml"]
    assert store.checkpoint("s")["next_from"] == "2013-02-27"    # responseDate cut to Identify's day granularity


def test_vufind_marc_page_then_last_page(tmp_path, store, shared_data):
    routes = {"ListRecords": "marc.xml", "fakeresumptiontoken": "list_records_response.xml",
              "Identify": "identify_response.xml"}
    with ScriptedPeer(recorded(shared_data / "vufindharvest", routes)) as peer:
        summary = harvest(tmp_path, store, peer.url)
    assert not summary.failed, summary.line()
    good = [r for r in store.iter_records("s") if not r.error and not r.deleted]
    assert len(good) == 100
    assert all(r.marcxml.startswith('<record xmlns="http://www.loc.gov/MARC21/slim"') for r in good)
    assert all("openarchives" not in r.marcxml.split(">", 1)[0] for r in good)   # envelope not copied in
    assert store.get("s", "fake:foo1").deleted
    assert store.get("s", "fake:foo2").error == "metadata is not MARC (found <foo>)"


def test_bibsys_marcxchange_holdings_linked_by_004(tmp_path, store, shared_data):
    with ScriptedPeer(recorded(shared_data / "php-marc", {"ListRecords": "oaipmh-bibsys.xml"})) as peer:
        summary = harvest(tmp_path, store, peer.url, metadata_prefix="marcxchange", granularity="YYYY-MM-DD")
    assert not summary.failed, summary.line()
    status = store.status()["s"]
    assert (status["records"], status["holdings"], status["quarantined"]) == (7, 82, 0)
    bib = store.get("s", "oai:bibsys.no:collection:biblioholding:98218834x")
    assert bib.record_type == "bib" and bib.control_number == "98218834x"
    assert 'xmlns:marc="info:lc/xmlns/marcxchange-v1"' in bib.marcxml
    holdings = store.holdings_for("s", "98218834x")
    assert holdings and all(h.parent == "98218834x" for h in holdings)
    assert "oai:bibsys.no:collection:biblioholding:98218834x#holdings:98ur07542" in {h.identifier for h in holdings}
    assert store.checkpoint("s")["next_from"] == "2015-07-12"


def test_bibsys_holdings_withdrawn_with_their_bib(tmp_path, store, shared_data):
    page = (shared_data / "php-marc" / "oaipmh-bibsys.xml").read_bytes()
    with ScriptedPeer(lambda p: Reply(page)) as peer:
        assert not harvest(tmp_path, store, peer.url, granularity="YYYY-MM-DD").failed
    before = len(store.holdings_for("s", "98218834x"))
    start = page.index(b"<record>")
    end = page.index(b"</record>", start) + len(b"</record>")
    deleted = (page[:start] + b'<record><header status="deleted"><identifier>oai:bibsys.no:collection:'
               b'biblioholding:98218834x</identifier><datestamp>2015-07-12T00:00:00Z</datestamp></header>'
               b'</record>' + page[end:])
    with ScriptedPeer(lambda p: Reply(deleted)) as peer:
        summary = harvest(tmp_path, store, peer.url, granularity="YYYY-MM-DD")
    assert not summary.failed and summary.deleted == 1 + before
    assert store.holdings_for("s", "98218834x") == []
    assert store.get("s", "oai:bibsys.no:collection:biblioholding:98218834x").deleted


def test_traject_page_without_oai_namespace(tmp_path, store, shared_data):
    routes = {"ListRecords": "sample-oai-no-namespace.xml",
              "oai_dc.f(2018-05-03T18:09:08Z).u(2018-06-15T19:25:21Z).t(6387):100": "oai-pmh-one-record-2.xml"}
    with ScriptedPeer(recorded(shared_data / "traject", routes)) as peer:
        summary = harvest(tmp_path, store, peer.url, granularity="YYYY-MM-DDThh:mm:ssZ")
    assert not summary.failed, summary.line()
    assert summary.pages == 2
    rows = {r.identifier: r for r in store.iter_records("s")}
    assert summary.records == 11                         # one identifier is on both pages
    assert "oai:sciencehistoryorg:mk61rg92z" in rows and len(rows) == 10
    assert all(r.error.startswith("metadata is not MARC") for r in rows.values())


@pytest.mark.parametrize("code", ["badArgument", "cannotDisseminateFormat", "idDoesNotExist", "noSetHierarchy",
                                  "undefinedError"])
def test_error_codes_fail_the_source_with_the_code(tmp_path, store, shared_data, code):
    with ScriptedPeer(recorded(shared_data / "sickle", {"ListRecords": f"{code}.xml"})) as peer:
        summary = harvest(tmp_path, store, peer.url, granularity="YYYY-MM-DD")
    assert summary.failed and f"OAI-PMH error {code}" in summary.error
    assert store.checkpoint("s")["status"] == "failed"
    assert code in store.checkpoint("s")["last_error"]


def test_no_records_match_is_an_empty_harvest(tmp_path, store, shared_data):
    with ScriptedPeer(recorded(shared_data / "sickle", {"ListRecords": "noRecordsMatch.xml"})) as peer:
        summary = harvest(tmp_path, store, peer.url, granularity="YYYY-MM-DD")
    assert not summary.failed and summary.records == 0
    assert store.checkpoint("s")["status"] == "idle" and store.checkpoint("s")["next_from"]


def test_arbitrary_error_code(tmp_path, store, shared_data):
    with ScriptedPeer(recorded(shared_data / "vufindharvest", {"ListRecords": "arbitrary_error_response.xml"})) as p:
        summary = harvest(tmp_path, store, p.url, granularity="YYYY-MM-DD")
    assert summary.failed and "OAI-PMH error foo" in summary.error


def test_bad_resumption_token_mid_run_then_window_restarted(tmp_path, store, shared_data):
    folder = shared_data / "sickle"
    routes = dict(SICKLE_CHAIN, **{"ListRecords3.xml": "badResumptionToken.xml"})
    with ScriptedPeer(recorded(folder, routes)) as peer:
        summary = harvest(tmp_path, store, peer.url)
    assert summary.failed and "badResumptionToken" in summary.error and "ListRecords3.xml" in summary.error
    cp = store.checkpoint("s")
    assert (cp["status"], cp["token"], cp["pages"]) == ("failed", "ListRecords3.xml", 2)
    assert summary.pages == 2 and summary.records == 4       # the two pages before it are kept
    assert store.get("s", "oai:test.example.com:1585322").error
    # Next run: the saved token is still refused, so the same window is walked again from the start.
    routes = dict(SICKLE_CHAIN, **{"ListRecords3.xml": "badResumptionToken.xml"})
    calls = []

    def script(params):
        calls.append(params.get("resumptionToken"))
        if params.get("resumptionToken") == "ListRecords3.xml" and calls.count("ListRecords3.xml") == 1:
            return Reply.file(folder / "badResumptionToken.xml")
        return recorded(folder, SICKLE_CHAIN)(params)
    with ScriptedPeer(script) as peer:
        summary = harvest(tmp_path, store, peer.url)
    assert not summary.failed, summary.line()
    assert summary.resumed and "restarted the window" in summary.line()
    assert summary.pages == 4 and summary.records == 7
    assert store.checkpoint("s")["status"] == "idle"


def test_broken_page_without_token_fails_cleanly_keeping_checkpoint(tmp_path, store, shared_data):
    routes = dict(SICKLE_CHAIN, **{"ListRecords2.xml": "ListRecordsBroken.xml"})
    with ScriptedPeer(recorded(shared_data / "sickle", routes)) as peer:
        summary = harvest(tmp_path, store, peer.url)
    assert summary.failed and "not well-formed" in summary.error and "cannot be read" in summary.error
    cp = store.checkpoint("s")
    assert cp["token"] == "ListRecords2.xml" and cp["status"] == "failed"
    page = [q for q in store.quarantined("s") if q["stage"] == "harvest"]
    assert len(page) == 1 and page[0]["raw"] == b"broken xml" and "ListRecords2.xml" in page[0]["location"]


def test_broken_page_salvaged_record_by_record(tmp_path, store, shared_data):
    page = (shared_data / "vufindharvest" / "marc.xml").read_bytes()
    leaders = [m.start() for m in re.finditer(rb"<leader>", page)]
    field = b'<datafield tag="500" ind1=" " ind2=" "><subfield code="a">%s</subfield></datafield>'
    page = (page[:leaders[0]] + field % b"ctrl \x01 char" + page[leaders[0]:leaders[2]]
            + field % b"Latin-1 \xe6\xf8\xe5" + page[leaders[2]:])
    routes = {"fakeresumptiontoken": (shared_data / "vufindharvest" / "list_records_response.xml").read_bytes()}

    def script(params):
        return Reply(routes[params["resumptionToken"]] if "resumptionToken" in params else page)
    with ScriptedPeer(script) as peer:
        summary = harvest(tmp_path, store, peer.url, granularity="YYYY-MM-DD")
    assert not summary.failed, summary.line()
    assert summary.pages == 2                           # the token was read from the broken page
    rows = list(store.iter_records("s"))
    bad = sorted((r.error or "") for r in rows if r.error and "not MARC" not in r.error)
    assert len(bad) == 2
    assert bad[0].startswith("bytes that are not valid UTF-8")
    assert bad[1].startswith("illegal XML control character U+0001")
    assert len([r for r in rows if not r.error and not r.deleted]) == 98
    pages = [q for q in store.quarantined("s") if q["stage"] == "harvest"]
    assert len(pages) == 1 and pages[0]["raw"] == page and "not well-formed" in pages[0]["cause"]
    assert store.status()["s"]["quarantined"] == 4      # the page, 2 bad records, 1 non-MARC record
