"""The loopback OAI-PMH provider (used by the demo and the benchmark) and harvests from it.

The provider is checked the way a harvester sees it: paging with resumption tokens, from/until, sets,
both metadata prefixes, errors by their protocol codes. Harvests through it cover marcxchange,
overlapping runs of one source, and the command line's summary line.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests
from lxml import etree

from harvest.loopback import LoopbackRecord, serve
from harvest.oai import harvest_source
from tests.peers.oai_servers import marc_records, settings_for

pytestmark = pytest.mark.peer
OAI = "{http://www.openarchives.org/OAI/2.0/}"


@pytest.fixture(scope="module")
def records(shared_data):
    xml = marc_records(shared_data / "vufindharvest" / "marc.xml", limit=10)
    out = [LoopbackRecord(f"oai:lb:{n}", f"2024-01-{1 + n:02d}T08:00:00Z", x, sets=("odd",) if n % 2 else ())
           for n, x in enumerate(xml)]
    return out + [LoopbackRecord("oai:lb:deleted", "2024-01-05T09:00:00Z", None, deleted=True)]


def get(url, **params):
    root = etree.fromstring(requests.get(url, params=params, timeout=5).content)
    error = root.find(f"{OAI}error")
    return root, (error.get("code") if error is not None else None)


def test_paging_windows_sets_and_errors(records):
    with serve(records, page_size=4) as provider:
        root, _ = get(provider.url, verb="ListRecords", metadataPrefix="marc21")
        token = root.find(f".//{OAI}resumptionToken")
        assert len(root.findall(f".//{OAI}record")) == 4 and token.get("completeListSize") == "11"
        seen = 4
        while token is not None and token.text:
            root, _ = get(provider.url, verb="ListRecords", resumptionToken=token.text)
            seen += len(root.findall(f".//{OAI}record"))
            token = root.find(f".//{OAI}resumptionToken")
        assert seen == 11
        root, _ = get(provider.url, verb="ListIdentifiers", metadataPrefix="marc21", **{"from": "2024-01-05",
                                                                                         "until": "2024-01-06"})
        headers = root.findall(f".//{OAI}header")
        assert [h.findtext(f"{OAI}identifier") for h in headers] == ["oai:lb:4", "oai:lb:5", "oai:lb:deleted"]
        assert headers[2].get("status") == "deleted"
        root, _ = get(provider.url, verb="ListIdentifiers", metadataPrefix="marc21", set="odd")
        assert len(root.findall(f".//{OAI}header")) == 4            # a page of 4 ...
        assert root.find(f".//{OAI}resumptionToken").get("completeListSize") == "5"   # ... of 5
        root, _ = get(provider.url, verb="GetRecord", metadataPrefix="marcxchange", identifier="oai:lb:1")
        assert root.find(".//{info:lc/xmlns/marcxchange-v1}record") is not None
        root, _ = get(provider.url, verb="Identify")
        assert root.findtext(f".//{OAI}granularity") == "YYYY-MM-DDThh:mm:ssZ"
        assert get(provider.url, verb="ListRecords", metadataPrefix="dc")[1] == "cannotDisseminateFormat"
        assert get(provider.url, verb="ListRecords", resumptionToken="nonsense")[1] == "badResumptionToken"
        assert get(provider.url, verb="ListRecords", metadataPrefix="marc21", **{"from": "2030-01-01"})[1] == \
            "noRecordsMatch"
        assert get(provider.url, verb="ListRecords", metadataPrefix="marc21", **{"from": "5 May"})[1] == \
            "badArgument"
        assert get(provider.url, verb="Nonsense")[1] == "badVerb"
        assert get(provider.url, verb="GetRecord", metadataPrefix="marc21", identifier="x")[1] == "idDoesNotExist"


def test_marcxchange_harvest_and_set(tmp_path, store, records):
    with serve(records, page_size=3) as provider:
        url = store.engine.url.render_as_string(hide_password=False)
        settings = settings_for(tmp_path, url, provider.url, metadata_prefix="marcxchange", set="odd")
        summary = harvest_source(settings, store, settings.sources[0])
    assert not summary.failed, summary.line()
    assert summary.new == 5 and summary.pages == 2
    row = store.get("s", "oai:lb:1")
    assert row.marcxml.startswith('<record xmlns="info:lc/xmlns/marcxchange-v1"') and row.control_number
    assert store.checkpoint("s")["set_spec"] == "odd"


def test_changed_set_means_full_harvest(tmp_path, store, records):
    with serve(records, page_size=20) as provider:
        url = store.engine.url.render_as_string(hide_password=False)
        settings = settings_for(tmp_path, url, provider.url, set="odd")
        assert harvest_source(settings, store, settings.sources[0]).new == 5
        settings = settings_for(tmp_path, url, provider.url)
        summary = harvest_source(settings, store, settings.sources[0])
    assert summary.window_from is None and "set changed" in summary.line()
    assert summary.new == 6


def test_overlapping_runs_of_one_source_are_refused(tmp_path, records):
    from harvest.oai import _lock
    from harvest.store import RecordStore
    with serve(records) as provider:
        settings = settings_for(tmp_path, f"sqlite:///{tmp_path / 'r.sqlite'}", provider.url)
        held = _lock(settings, "s")
        store = RecordStore(settings.database_url)
        summary = harvest_source(settings, store, settings.sources[0])
        assert summary.failed and "another harvest" in summary.error
        held.close()
        assert not harvest_source(settings, store, settings.sources[0]).failed


def test_cli_harvest_prints_one_summary_line_per_source(tmp_path, write_config, records):
    with serve(records, page_size=5) as provider:
        config = write_config(f'data_dir = "{tmp_path / "data"}"\n[harvest]\ntimeout = 2\nmax_retries = 1\n'
                              f'backoff = 0.01\n[[sources]]\nid = "a"\nname = "A"\noai_url = "{provider.url}"\n'
                              f'[[sources]]\nid = "b"\nname = "B"\noai_url = "http://127.0.0.1:9/oai"\n')
        proc = subprocess.run([sys.executable, "-m", "grenselos.cli", "--config", str(config), "harvest"],
                              capture_output=True, text=True, timeout=60)
    lines = proc.stdout.splitlines()
    assert proc.returncode == 1                       # one source failed
    assert lines[0].startswith("a: ok (full) - 3 pages, 11 new") and lines[1].startswith("b: FAILED")
    assert "connection failed" in lines[1]
