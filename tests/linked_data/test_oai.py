"""The OAI-PMH provider: schema-valid responses, every error condition, real harvesters as peers.

Every response is validated with the official OAI-PMH 2.0 schema, loaded through
`schemas/catalogue.xsd` together with the official schemas of what the provider puts inside
<metadata> and <description> (MARC21 slim, MarcXchange, oai_dc, oai-identifier), so the official
`processContents="strict"` wildcards really check the payload. RDF/XML has no XML Schema: for that
namespace only, `schemas/rdf-lax.xsd` declares `rdf:RDF` with lax content. See `schemas/README.md`.
"""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from lxml import etree

from tests.linked_data.conftest import Server, build, make_settings

OAI = "{http://www.openarchives.org/OAI/2.0/}"
SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).resolve().parent / "schemas" / "catalogue.xsd")))
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


# -- the official schema over every verb, every format, deleted records and awkward MARC ------------

# Awkward but harvested-as-is MARC: '^' and '|' in the leader, '#' and upper-case indicators, a local
# control field FMT, fields out of order, an empty data field, a subfield code the slim schema lacks.
QUIRKY = """<record xmlns="http://www.loc.gov/MARC21/slim">
<datafield tag="245" ind1="#" ind2="A"><subfield code="a">Quirky title</subfield><subfield code="é">x</subfield></datafield>
<controlfield tag="001">quirk-1</controlfield><controlfield tag="FMT">BK</controlfield>
<leader>01234nam^a22|||||^a^4500</leader><datafield tag="500" ind1=" " ind2=" "/>
<controlfield tag="008">240101s2024    no            000 0 nob d</controlfield>
<datafield tag="100" ind1="1" ind2=" "><subfield code="a">Kvist, Kari</subfield></datafield></record>"""
# Leader/06 '|' is no type of record: MARC21 slim cannot carry it, MarcXchange can.
UNTYPED = """<record xmlns="http://www.loc.gov/MARC21/slim"><leader>00000n|m a2200000 a 4500</leader>
<controlfield tag="001">untyped-1</controlfield>
<controlfield tag="008">240101s2024    no            000 0 nob d</controlfield>
<datafield tag="245" ind1="0" ind2="0"><subfield code="a">Untyped record</subfield></datafield></record>"""
LOCAL = "målselv"             # a source id outside the setSpec characters
DELETED_ID = "oai:data.grenselos.test:NO-1990002:kau-ill-sme-002"


@pytest.fixture(scope="module")
def walk_server(tmp_path_factory, shared_data):
    """A catalogue with a deleted record, awkward MARC and a non-ASCII source id, on a small page size."""
    from core import settings as settings_mod
    from harvest.store import IncomingRecord
    from transform.pipeline import run_transform
    base = make_settings(tmp_path_factory.mktemp("oai-walk"))
    data = {"data_dir": str(base.data_dir), "base_uri": base.base_uri, "oai": {"page_size": 40},
            "sources": [{"id": s.id, "name": s.name, "isil": s.isil, "kind": s.kind} for s in base.sources]
            + [{"id": LOCAL, "name": "Målselv folkebibliotek", "kind": "public"}]}
    settings = settings_mod.from_dict(data)
    store = build(settings, shared_data)
    store.upsert(LOCAL, [IncomingRecord(identifier="oai:malselv:quirk-1", marcxml=QUIRKY, control_number="quirk-1"),
                         IncomingRecord(identifier="oai:malselv:untyped-1", marcxml=UNTYPED,
                                        control_number="untyped-1")])
    store.mark_deleted("kautokeino", ["oai:kautokeino:kau-ill-sme-002"])
    run_transform(settings, store, progress=False)
    try:
        with Server(settings) as srv:
            yield srv
    finally:
        store.close()


def harvest_all(server, verb: str, prefix: str) -> list:
    """Every page of a list request, each validated; the records (or headers) of all pages."""
    items, query = [], f"verb={verb}&metadataPrefix={prefix}"
    while query:
        doc = get(server, query)
        items += doc.findall(f"{OAI}{verb}/{OAI}{'header' if verb == 'ListIdentifiers' else 'record'}")
        token = doc.findtext(f"{OAI}{verb}/{OAI}resumptionToken")
        query = f"verb={verb}&resumptionToken={token}" if token else None
    return items


def test_the_official_schema_really_checks_the_metadata():
    """The strict wildcard of the official schema is live: a MARC fault inside <metadata> fails."""
    doc = etree.fromstring(
        b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2024-01-01T00:00:00Z</responseDate>'
        b'<request>http://data.grenselos.test/oai</request><GetRecord><record><header>'
        b'<identifier>oai:data.grenselos.test:NO-1990001:1</identifier><datestamp>2024-01-01</datestamp></header>'
        b'<metadata><record xmlns="http://www.loc.gov/MARC21/slim"><leader>00000nam^a2200000 a 4500</leader>'
        b'</record></metadata></record></GetRecord></OAI-PMH>')
    assert not SCHEMA.validate(doc)
    assert "leader" in str(SCHEMA.error_log.last_error)


@pytest.mark.parametrize("prefix", ["marc21", "marcxchange", "oai_dc", "bibframe"])
def test_every_record_of_every_format_is_valid(walk_server, prefix):
    records = harvest_all(walk_server, "ListRecords", prefix)
    assert len(records) == 114
    deleted = [r for r in records if r.find(f"{OAI}header").get("status") == "deleted"]
    assert [r.findtext(f"{OAI}header/{OAI}identifier") for r in deleted] == [DELETED_ID]
    assert deleted[0].find(f"{OAI}metadata") is None
    with_metadata = [r for r in records if r.find(f"{OAI}metadata") is not None]
    # every live record has metadata, except the untyped one as MARC21 slim
    assert len(with_metadata) == 113 - (prefix == "marc21")
    if prefix == "bibframe":          # rdf-lax.xsd does not check RDF/XML: rdflib does
        from rdflib import Graph
        for r in with_metadata:
            graph = Graph().parse(data=etree.tostring(r.find(f"{OAI}metadata")[0]), format="xml")
            assert len(graph) > 0
    headers = harvest_all(walk_server, "ListIdentifiers", prefix)
    assert [h.findtext(f"{OAI}identifier") for h in headers] == [r.findtext(f"{OAI}header/{OAI}identifier")
                                                                 for r in records]


@pytest.mark.parametrize("prefix", ["marc21", "marcxchange", "oai_dc", "bibframe"])
def test_get_record_of_every_kind_is_valid(walk_server, prefix):
    local = f"oai:data.grenselos.test:{LOCAL}:"
    for identifier in (SAMI_ID, DELETED_ID, local + "quirk-1"):
        doc = get(walk_server, f"verb=GetRecord&metadataPrefix={prefix}&identifier={quote(identifier)}")
        assert doc.find(f"{OAI}GetRecord/{OAI}record/{OAI}header/{OAI}identifier").text == identifier
    doc = get(walk_server, f"verb=GetRecord&metadataPrefix={prefix}&identifier={quote(local)}untyped-1")
    assert error_code(doc) == ("cannotDisseminateFormat" if prefix == "marc21" else None)


def test_awkward_marc_is_served_in_schema_order_and_value_space(walk_server):
    identifier = f"oai:data.grenselos.test:{LOCAL}:quirk-1"
    slim = get(walk_server, f"verb=GetRecord&metadataPrefix=marc21&identifier={quote(identifier)}").find(
        ".//{http://www.loc.gov/MARC21/slim}record")
    names = [etree.QName(c).localname for c in slim]
    assert names == ["leader", "controlfield", "controlfield", "datafield", "datafield"]
    assert slim[0].text == "01234nam a2200000 a 4500"           # '^' and '|' blank, base address reset
    assert [c.get("tag") for c in slim[1:]] == ["001", "008", "245", "100"]       # FMT and empty 500 left out
    title = slim.find("{http://www.loc.gov/MARC21/slim}datafield[@tag='245']")
    assert (title.get("ind1"), title.get("ind2")) == (" ", " ")
    assert [s.get("code") for s in title] == ["a"]
    marcx = get(walk_server, f"verb=GetRecord&metadataPrefix=marcxchange&identifier={quote(identifier)}").find(
        ".//{info:lc/xmlns/marcxchange-v1}record")
    title = marcx.find("{info:lc/xmlns/marcxchange-v1}datafield[@tag='245']")
    assert title.get("ind1") == "#" and [s.get("code") for s in title] == ["a", "é"]   # MarcXchange holds these


def test_identify_sets_and_formats_on_the_walk_catalogue(walk_server):
    identify = get(walk_server, "verb=Identify").find(f"{OAI}Identify")
    ident = identify.find(f"{OAI}description/{{http://www.openarchives.org/OAI/2.0/oai-identifier}}oai-identifier")
    assert ident.findtext("{http://www.openarchives.org/OAI/2.0/oai-identifier}repositoryIdentifier") == \
        "data.grenselos.test"
    formats = get(walk_server, "verb=ListMetadataFormats").findall(f"{OAI}ListMetadataFormats/{OAI}metadataFormat")
    assert len(formats) == 4
    assert len(get(walk_server, f"verb=ListMetadataFormats&identifier={SAMI_ID}").findall(
        f".//{OAI}metadataFormat")) == 4
    specs = {s.findtext(f"{OAI}setSpec") for s in get(walk_server, "verb=ListSets").iter(f"{OAI}set")}
    spec = "library:xn--mlselv-iua"
    assert spec in specs and not any("å" in s for s in specs)
    headers = get(walk_server, f"verb=ListIdentifiers&metadataPrefix=oai_dc&set={spec}").iter(f"{OAI}header")
    assert {h.findtext(f"{OAI}identifier").rsplit(":", 1)[1] for h in headers} == {"quirk-1", "untyped-1"}


@pytest.mark.parametrize("query,code", [
    ("verb=GetRecord&metadataPrefix=marc21&identifier=%01", "badArgument"),
    ("verb=ListRecords&resumptionToken=%EF%BF%BF", "badArgument"),
    ("verb=ListRecords&metadataPrefix=mods%20x", "badArgument"),
    ("verb=GetRecord&metadataPrefix=marc21&identifier=oai:x:%25zz", "badArgument"),
    ("verb=GetRecord&metadataPrefix=marc21&identifier=oai:x:a%23b%23c", "badArgument"),
    ("verb=GetRecord&metadataPrefix=marc21&identifier=oai:data.grenselos.test:NO-1990001:nope", "idDoesNotExist"),
    ("verb=ListIdentifiers&metadataPrefix=oai_dc&set=library:m%C3%A5lselv", "badArgument"),
    ("verb=ListSets&resumptionToken=abc", "badResumptionToken"),
])
def test_arguments_the_schema_could_not_echo_are_bad_arguments(walk_server, query, code):
    doc = get(walk_server, query)
    assert error_code(doc) == code


def test_identify_for_a_development_host_is_valid(tmp_path):
    """`localhost` is no domain for oai-identifier or adminEmail; Identify stays valid without them."""
    from core import settings as settings_mod
    from core.db import engine_for
    from portal.oai_provider import OaiProvider
    from werkzeug.datastructures import MultiDict
    settings = settings_mod.from_dict({"data_dir": str(tmp_path), "base_uri": "http://localhost:5000",
                                       "database_url": f"sqlite:///{tmp_path / 'db.sqlite'}",
                                       "sources": [{"id": "tromso", "name": "Tromsø bibliotek"}]})
    from harvest.store import RecordStore
    from transform.pipeline import run_transform
    store = RecordStore(settings.database_url)
    try:
        run_transform(settings, store, progress=False)             # creates the transform tables, empty
        provider = OaiProvider(settings, engine_for(settings.database_url), secret="oai-identify-test-" + "k" * 20)
        doc = etree.fromstring(provider.handle(MultiDict({"verb": "Identify"}), "http://localhost:5000/oai"))
    finally:
        store.close()
    SCHEMA.assertValid(doc)
    assert doc.findtext(f"{OAI}Identify/{OAI}adminEmail") == "postmaster@localhost.localdomain"
    assert doc.find(f"{OAI}Identify/{OAI}description") is None


def _token(doc, verb="ListIdentifiers") -> str:
    return doc.findtext(f"{OAI}{verb}/{OAI}resumptionToken")


def test_resumption_tokens_are_signed_so_a_forged_one_is_refused(server):
    """Replays the penetration test: an unsigned token `{"n":"x"}` was an HTML 500; now every token that
    this repository did not issue is badResumptionToken, before its contents are looked at."""
    import base64
    import json
    issued = _token(get(server, "verb=ListIdentifiers&metadataPrefix=marc21"))
    payload, signature = issued.rsplit(".", 1)
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))

    def b64(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    forged = [b64({"n": "x"}),                                          # the pentest's token
              b64({**data, "n": "x"}),                                  # well-shaped, unsigned
              f"{b64({**data, 'n': 'x'})}.{signature}",                 # a real signature on other data
              f"{b64({**data, 'c': -5})}.{signature}",
              f"{payload}.{'A' * len(signature)}", f"{payload}.", issued + "x", "." + signature]
    for token in forged:
        doc = get(server, f"verb=ListIdentifiers&resumptionToken={quote(token)}")
        assert error_code(doc) == "badResumptionToken", token
    assert error_code(get(server, f"verb=ListIdentifiers&resumptionToken={quote(issued)}")) is None


def test_until_at_the_end_of_the_calendar_means_no_upper_bound(server):
    """`until=9999-12-31` was an HTML 500 (the day after it cannot be written); it is a legal datestamp."""
    everything = get(server, "verb=ListIdentifiers&metadataPrefix=marc21")
    for until in ("9999-12-31", "9999-12-31T23:59:59Z"):
        doc = get(server, f"verb=ListIdentifiers&metadataPrefix=marc21&until={until}")
        assert error_code(doc) is None
        assert doc.find(f"{OAI}ListIdentifiers/{OAI}resumptionToken").get("completeListSize") == \
            everything.find(f"{OAI}ListIdentifiers/{OAI}resumptionToken").get("completeListSize")
    late = get(server, "verb=ListIdentifiers&metadataPrefix=marc21&from=9999-12-31&until=9999-12-31")
    assert error_code(late) == "noRecordsMatch"
