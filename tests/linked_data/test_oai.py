"""The OAI-PMH provider: schema-valid responses, every error condition, real harvesters as peers.

The schema is `portal/schemas/OAI-PMH.xsd`, a structural schema written from the protocol text (the
official XSD is not shipped by any package here and tests have no network; see its header).
"""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

import pytest
from lxml import etree

from tests.linked_data.conftest import Server, build, make_settings

OAI = "{http://www.openarchives.org/OAI/2.0/}"
SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).resolve().parents[2] / "portal" / "schemas" / "OAI-PMH.xsd")))
SAMI_ID = "oai:data.grenselos.test:NO-1990002:kau-ill-sme-001"


def get(server, query: str):
    with urllib.request.urlopen(f"{server.url}/oai?{query}", timeout=30) as resp:
        assert resp.headers["Content-Type"].startswith("text/xml")
        doc = etree.fromstring(resp.read())
    SCHEMA.assertValid(doc)
    return doc


def error_code(doc) -> str | None:
    err = doc.find(f"{OAI}error")
    return err.get("code") if err is not None else None


def test_identify_and_formats_and_sets(server):
    doc = get(server, "verb=Identify")
    identify = doc.find(f"{OAI}Identify")
    assert identify.findtext(f"{OAI}deletedRecord") == "persistent"
    assert identify.findtext(f"{OAI}granularity") == "YYYY-MM-DDThh:mm:ssZ"
    assert identify.findtext(f"{OAI}baseURL") == "http://data.grenselos.test/oai"
    formats = {f.findtext(f"{OAI}metadataPrefix") for f in get(server, "verb=ListMetadataFormats").iter(f"{OAI}metadataFormat")}
    assert formats == {"marc21", "marcxchange", "oai_dc", "bibframe"}
    sets = {s.findtext(f"{OAI}setSpec") for s in get(server, "verb=ListSets").iter(f"{OAI}set")}
    assert {"library:tromso", "library:nb", "kind:public", "kind:national", "language:sami", "language:sme"} <= sets


@pytest.mark.parametrize("prefix,root", [
    ("marc21", "{http://www.loc.gov/MARC21/slim}record"),
    ("marcxchange", "{info:lc/xmlns/marcxchange-v1}collection"),
    ("oai_dc", "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"),
    ("bibframe", "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}RDF"),
])
def test_get_record_in_every_format(server, prefix, root):
    doc = get(server, f"verb=GetRecord&metadataPrefix={prefix}&identifier={SAMI_ID}")
    record = doc.find(f"{OAI}GetRecord/{OAI}record")
    assert record.findtext(f"{OAI}header/{OAI}identifier") == SAMI_ID
    payload = record.find(f"{OAI}metadata")[0]
    assert payload.tag == root
    assert "Čáhppes beana" in etree.tostring(payload, encoding="unicode")


def test_marcxchange_carries_the_separate_holdings_records(server):
    ids = [h.findtext(f"{OAI}identifier") for h in
           get(server, "verb=ListIdentifiers&metadataPrefix=marcxchange&set=library:nb").iter(f"{OAI}header")]
    assert len(ids) == 7 and all(i.startswith("oai:data.grenselos.test:NO-0030000:") for i in ids)
    doc = get(server, f"verb=GetRecord&metadataPrefix=marcxchange&identifier={ids[0]}")
    records = doc.findall(".//{info:lc/xmlns/marcxchange-v1}record")
    assert records[0].get("type") == "Bibliographic" and len(records) > 1
    assert all(r.get("type") == "Holdings" for r in records[1:])


@pytest.mark.parametrize("query,code", [
    ("", "badVerb"),
    ("verb=Frobnicate", "badVerb"),
    ("verb=Identify&verb=Identify", "badVerb"),
    ("verb=Identify&extra=1", "badArgument"),
    ("verb=ListRecords", "badArgument"),
    ("verb=ListRecords&metadataPrefix=marc21&metadataPrefix=oai_dc", "badArgument"),
    ("verb=ListRecords&metadataPrefix=marc21&from=2024-13-45", "badArgument"),
    ("verb=ListRecords&metadataPrefix=marc21&from=2024-01-01&until=2024-01-02T00:00:00Z", "badArgument"),
    ("verb=ListRecords&metadataPrefix=marc21&from=2024-02-01&until=2024-01-01", "badArgument"),
    ("verb=ListRecords&metadataPrefix=marc21&resumptionToken=x", "badArgument"),
    ("verb=ListRecords&resumptionToken=not-a-token", "badResumptionToken"),
    ("verb=ListRecords&metadataPrefix=mods", "cannotDisseminateFormat"),
    ("verb=GetRecord&metadataPrefix=marc21&identifier=oai:elsewhere:1", "idDoesNotExist"),
    ("verb=ListMetadataFormats&identifier=oai:data.grenselos.test:NO-1990001:nope", "idDoesNotExist"),
    ("verb=ListRecords&metadataPrefix=marc21&from=2001-01-01&until=2001-01-02", "noRecordsMatch"),
    ("verb=ListIdentifiers&metadataPrefix=marc21&set=library:nowhere", "noRecordsMatch"),
    ("verb=ListSets&resumptionToken=abc", "badResumptionToken"),
])
def test_every_error_condition(server, query, code):
    doc = get(server, query)
    assert error_code(doc) == code
    if code in ("badVerb", "badArgument"):
        assert not doc.find(f"{OAI}request").attrib     # the protocol: no attributes echoed then


def test_sickle_harvests_everything_in_pages(server, catalogue):
    from sickle import Sickle
    headers = list(Sickle(server.url + "/oai").ListIdentifiers(metadataPrefix="marc21"))
    assert len(headers) == 112 and len({h.identifier for h in headers}) == 112      # 5 pages of 25, no repeats
    records = list(Sickle(server.url + "/oai").ListRecords(metadataPrefix="oai_dc", set="language:sami"))
    assert records and all(not r.header.deleted for r in records)
    assert any("Čáhppes beana" in " ".join(r.metadata.get("title", [])) for r in records)
    # every header names the language sets that selected it: the group and the record's own code
    assert all("language:sami" in r.header.setSpecs for r in records)
    assert all(any(s in r.header.setSpecs for s in ("language:sme", "language:smj", "language:sma", "language:sms",
                                                    "language:smn", "language:sjd", "language:sje", "language:sju",
                                                    "language:smi"))
               for r in records)
    nob = list(Sickle(server.url + "/oai").ListIdentifiers(metadataPrefix="marc21", set="language:nob"))
    assert nob and all("language:nob" in h.setSpecs and "language:norwegian" in h.setSpecs for h in nob)


def test_oaipmh_client_harvests_with_its_own_validation(server):
    from oaipmh.client import Client
    from oaipmh.metadata import MetadataRegistry, oai_dc_reader
    registry = MetadataRegistry()
    registry.registerReader("oai_dc", oai_dc_reader)
    client = Client(server.url + "/oai", registry)
    identify = client.identify()
    assert identify.deletedRecord() == "persistent" and identify.granularity() == "YYYY-MM-DDThh:mm:ssZ"
    client.updateGranularity()
    records = list(client.listRecords(metadataPrefix="oai_dc", set="library:tromso"))
    assert len(records) == 99
    header, metadata, _about = records[0]
    assert header.identifier().startswith("oai:data.grenselos.test:NO-1990001:") and metadata.getField("title")


def test_incremental_harvest_sees_changes_and_deletes(tmp_path, shared_data, db_url):
    """A change and a delete after a full harvest reach sickle's next `from=responseDate` harvest."""
    from sickle import Sickle
    from harvest.store import IncomingRecord
    from transform.pipeline import run_transform
    settings = make_settings(tmp_path / "data", db_url, oai={"page_size": 10})
    store = build(settings, shared_data)
    # Datestamps have seconds granularity: a `from` in the same second as the first transform would
    # rightly include everything it wrote (harvesters must expect that overlap); step past it.
    time.sleep(1.1)
    try:
        with Server(settings) as srv:
            first = Sickle(srv.url + "/oai").ListIdentifiers(metadataPrefix="marc21", set="library:kautokeino")
            full = {h.identifier for h in first}
            assert SAMI_ID in full and len(full) == 6
            response_date = etree.fromstring(
                urllib.request.urlopen(srv.url + "/oai?verb=Identify", timeout=30).read()).findtext(f"{OAI}responseDate")
            time.sleep(1.1)
            rows = {r.identifier: r for r in store.iter_records("kautokeino")}
            changed = rows["oai:kautokeino:kau-ill-sme-001"]
            store.upsert("kautokeino", [IncomingRecord(identifier=changed.identifier, control_number=changed.control_number,
                                                       marcxml=changed.marcxml.replace("Čáhppes beana", "Čáhppes beana ja ruoná bussá"))])
            store.mark_deleted("kautokeino", ["oai:kautokeino:kau-ill-sme-002"])
            run_transform(settings, store, progress=False)
            later = list(Sickle(srv.url + "/oai").ListRecords(metadataPrefix="marc21", **{"from": response_date}))
            by_id = {r.header.identifier: r for r in later}
            # The changed and the deleted record, and nothing of the untouched Tromsø source.
            assert {SAMI_ID, "oai:data.grenselos.test:NO-1990002:kau-ill-sme-002"} <= set(by_id)
            assert not any(i.startswith("oai:data.grenselos.test:NO-1990001:") for i in by_id)
            assert by_id["oai:data.grenselos.test:NO-1990002:kau-ill-sme-002"].header.deleted
            assert "ruoná bussá" in by_id[SAMI_ID].raw
            deleted = get(srv, "verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:data.grenselos.test:NO-1990002:kau-ill-sme-002")
            assert deleted.find(f"{OAI}GetRecord/{OAI}record/{OAI}header").get("status") == "deleted"
    finally:
        store.close()
