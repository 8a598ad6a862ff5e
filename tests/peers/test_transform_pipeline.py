"""`grenselos transform` end to end on SQLite and PostgreSQL: record store → clusters → Oxigraph on disk.

Real records: the Koha sample catalogue (952 items) and the BIBSYS marcxchange page with separate
holdings records linked by 004. One Koha record is stored a second time under another library with a
different 001, as two libraries would hold the same edition.
"""

import re

import pytest
from lxml import etree
from sqlalchemy import select

from core.settings import from_dict
from harvest import marcxml
from harvest.store import IncomingRecord, RecordStore
from transform.explain import add_split, explain
from transform.graphstore import GraphStore
from transform.pipeline import local_id, run_transform
from transform.status import add_status
from transform.tables import transform_records

BF = "http://id.loc.gov/ontologies/bibframe/"
BASE = "http://example.org"
FROST = "4233980"                      # Mankell, Before the frost (Koha sample)


def incoming(element, identifier):
    info = marcxml.inspect(element)
    xml = marcxml.serialize(element)
    return IncomingRecord(identifier=identifier, datestamp="2026-01-01", marcxml=xml,
                          checksum=marcxml.checksum(xml), record_type=info.record_type,
                          control_number=info.control_number, parent=info.parent)


def elements(path):
    return marcxml.find_records(etree.parse(str(path)).getroot())


@pytest.fixture
def world(db_url, tmp_path, shared_data):
    settings = from_dict({"data_dir": str(tmp_path / "data"), "base_uri": BASE, "database_url": db_url,
                          "sources": [{"id": "koha", "name": "Koha", "holdings": "koha-952"},
                                      {"id": "alta", "name": "Alta", "holdings": "marc-852",
                                       "isil": "NO-2012000"},
                                      {"id": "bibsys", "name": "BIBSYS", "holdings": "marcxchange-holdings"}]})
    store = RecordStore(db_url)
    koha = [el for el in elements(shared_data / "koha-misc4dev" / "koha_sample_biblios_with_952_items.marcxml")
            if marcxml.inspect(el).control_number != FROST][:40]
    frost = next(el for el in elements(shared_data / "koha-misc4dev" / "koha_sample_biblios.marcxml")
                 if marcxml.inspect(el).control_number == FROST)
    store.upsert("koha", [incoming(el, f"oai:koha:b{n}") for n, el in enumerate(koha)]
                 + [incoming(frost, f"oai:koha:{FROST}")])
    alta = etree.fromstring(etree.tostring(frost))
    next(c for c in alta if c.get("tag") == "001").text = "alta-991"
    store.upsert("alta", [incoming(alta, "oai:alta.no:NO-2012000:alta-991"),
                          IncomingRecord("oai:alta.no:NO-2012000:broken", marcxml="<record><leader>00000nam"
                                         "</leader></record>", checksum="x", control_number="broken")])
    bibsys = elements(shared_data / "php-marc" / "oaipmh-bibsys.xml")
    store.upsert("bibsys", [incoming(el, "oai:bibsys.no:" + ("holdings/" if marcxml.inspect(el).record_type
                                                             == "holdings" else "")
                                     + marcxml.inspect(el).control_number) for el in bibsys])
    graph = GraphStore.open(settings)
    from transform.convert import Converter
    converter = Converter(BASE)

    def run(**kw):
        return {s.source: s for s in run_transform(settings, store, graph=graph, converter=converter,
                                                   progress=False, **kw)}

    yield settings, store, graph, run
    graph.close()
    store.close()


def record_id(store, source, identifier):
    with store.engine.connect() as conn:
        return conn.execute(select(transform_records.c.record_id).where(
            transform_records.c.source == source, transform_records.c.identifier == identifier)).scalar()


def test_transform_end_to_end_then_nothing_to_do(world):
    settings, store, graph, run = world
    first = run()
    assert (first["koha"].converted, first["koha"].errors) == (41, 0)
    assert (first["bibsys"].converted, first["alta"].converted, first["alta"].errors) == (7, 1, 1)
    assert "alta:oai:alta.no:NO-2012000:broken" in first["alta"].error_list[0]

    # the same edition held by two libraries is one work with two instances
    assert record_id(store, "koha", f"oai:koha:{FROST}") == FROST
    alta_id = record_id(store, "alta", "oai:alta.no:NO-2012000:alta-991")
    assert alta_id == "alta-991"
    with store.engine.connect() as conn:
        data = explain(conn, f"alta:oai:alta.no:NO-2012000:alta-991", BASE)
    work = data["cluster"]
    assert work == f"koha-{FROST}" and len(data["records"]) == 2
    instances = {str(r["i"].value) for r in graph.query(
        f"SELECT ?i WHERE {{ <{BASE}/work/{work}> <{BF}hasInstance> ?i }}")}
    assert instances == {f"{BASE}/instance/koha-{FROST}", f"{BASE}/instance/alta-alta-991"}

    # BIBSYS holdings records (004 → 001) became items of their bibliographic record's instance
    items = int(next(iter(graph.query(f"SELECT (COUNT(?item) AS ?n) WHERE {{ GRAPH ?g {{ ?i <{BF}hasItem> ?item }}"
                                      f" FILTER(STRSTARTS(STR(?g), '{BASE}/graph/bibsys-')) }}")))["n"].value)
    assert items >= 7

    counts = {s.id: {} for s in settings.sources}
    add_status(settings, counts)
    assert counts["alta"]["conversion_errors"] == 1 and counts["koha"]["converted"] == 41
    assert counts["koha"]["clusters"] == 41 and counts["alta"]["clusters"] == 1
    before = graph.counts()

    again = run()
    assert all(s.converted == 0 and s.errors == 0 for s in again.values())
    assert again["koha"].unchanged == 41 and graph.counts() == before


def test_changed_deleted_and_holdings_changes_are_picked_up(world):
    settings, store, graph, run = world
    run()
    koha_rows = [r for r in store.iter_records("koha") if r.identifier != f"oai:koha:{FROST}"]
    changed, deleted = koha_rows[0], koha_rows[1]
    changed_id = record_id(store, "koha", changed.identifier)
    deleted_id = record_id(store, "koha", deleted.identifier)
    new_xml = re.sub(r'(<(?:\w+:)?datafield tag="245"[^>]*>\s*<(?:\w+:)?subfield code="a">)[^<]*',
                     r"\1Retitled by the cataloguer", changed.marcxml, count=1)
    assert new_xml != changed.marcxml
    store.upsert("koha", [IncomingRecord(changed.identifier, marcxml=new_xml, control_number=changed.control_number),
                          IncomingRecord(deleted.identifier, deleted=True)])
    holding = next(r for r in store.iter_records("bibsys", record_type="holdings"))
    store.upsert("bibsys", [IncomingRecord(holding.identifier, marcxml=holding.marcxml + " ", record_type="holdings",
                                           control_number=holding.control_number, parent=holding.parent)])
    result = run()
    assert (result["koha"].changed, result["koha"].deleted, result["koha"].converted) == (1, 1, 1)
    assert result["bibsys"].changed == 1 and result["alta"].converted == 0
    literals = {str(t.object.value) for t in graph.graph_for("koha", changed_id)}
    assert any("Retitled by the cataloguer" in v for v in literals)
    assert graph.graph_for("koha", deleted_id) == []
    assert not graph.has_graph(graph.work_graph(f"koha-{deleted_id}"))
    assert all(s.converted == 0 for s in run().values())


def test_manual_split_survives_a_re_run_and_re_mints_the_work_uri(world):
    settings, store, graph, run = world
    run()
    with store.engine.begin() as conn:
        add_split(conn, "alta:oai:alta.no:NO-2012000:alta-991", note="different binding")
    result = run()
    assert result["alta"].reclustered == 1
    with store.engine.connect() as conn:
        alta = explain(conn, "alta:oai:alta.no:NO-2012000:alta-991", BASE)
        koha = explain(conn, f"koha:oai:koha:{FROST}", BASE)
    assert alta["cluster"] != koha["cluster"] and alta["records"][0]["decision"]["rule"] == "manual-split"
    objects = {str(t.object.value) for t in graph.graph_for("alta", "alta-991")}
    assert f"{BASE}/work/{alta['cluster']}" in objects and f"{BASE}/work/{koha['cluster']}" not in objects
    # a re-harvest of the record (changed) does not undo the split
    row = store.get("alta", "oai:alta.no:NO-2012000:alta-991")
    store.upsert("alta", [IncomingRecord(row.identifier, marcxml=row.marcxml + "\n", control_number="alta-991")])
    assert run()["alta"].changed == 1
    with store.engine.connect() as conn:
        assert explain(conn, "alta:oai:alta.no:NO-2012000:alta-991")["cluster"] == alta["cluster"]
    assert all(s.converted == 0 for s in run().values())


def test_local_ids_are_uri_safe_and_unique():
    used = set()
    assert local_id("oai:koha:123", used) == "123"
    assert local_id("oai:other:123", used) == "oai%3Aother%3A123"
    assert local_id("oai:x:a/b c", used) == "oai%3Ax%3Aa%2Fb%20c"


def test_cli_transform_explain_split_and_status(db_url, write_config, tmp_path, shared_data):
    from click.testing import CliRunner
    import json as json_mod
    from grenselos.cli import cli
    config = write_config(f'data_dir = "{tmp_path / "data"}"\nbase_uri = "{BASE}"\ndatabase_url = "{db_url}"\n'
                          '[[sources]]\nid = "koha"\nname = "Koha"\n[[sources]]\nid = "alta"\nname = "Alta"\n')
    store = RecordStore(db_url)
    frost = next(el for el in elements(shared_data / "koha-misc4dev" / "koha_sample_biblios.marcxml")
                 if marcxml.inspect(el).control_number == FROST)
    store.upsert("koha", [incoming(frost, f"oai:koha:{FROST}")])
    store.upsert("alta", [incoming(frost, "oai:alta:1")])
    store.close()
    runner = CliRunner()
    args = ["--config", str(config)]
    result = runner.invoke(cli, [*args, "transform", "-q"])
    assert result.exit_code == 0, result.output
    assert "transform alta: 1 converted (1 new" in result.output
    result = runner.invoke(cli, [*args, "explain-cluster", "alta:oai:alta:1"])
    assert result.exit_code == 0 and f"work koha-{FROST}" in result.output
    assert "rule: isbn with koha:oai:koha:4233980 — shared ISBN 9780099459040" in result.output
    result = runner.invoke(cli, [*args, "explain-cluster", f"koha-{FROST}", "--json"])
    data = json_mod.loads(result.output)
    assert [r["decision"]["rule"] for r in data["records"]] == ["isbn", "new"]
    result = runner.invoke(cli, [*args, "cluster", "split", "alta:oai:alta:1", "--note", "test"])
    assert result.exit_code == 0 and "override #1: split alta:oai:alta:1" in result.output
    data = json_mod.loads(runner.invoke(cli, [*args, "explain-cluster", "alta:oai:alta:1", "--json"]).output)
    assert data["cluster"] == "alta-1" and data["records"][0]["decision"]["rule"] == "manual-split"
    assert data["overrides"][0]["note"] == "test"
    status = json_mod.loads(runner.invoke(cli, [*args, "status", "--json"]).output)
    assert status["alta"]["converted"] == 1 and status["alta"]["clusters"] == 1
    assert status["koha"]["last_transform"]
    result = runner.invoke(cli, [*args, "explain-cluster", "nope:nothing"])
    assert result.exit_code != 0


def test_translation_work_links_to_the_original_work_in_the_graph(world):
    from harvest.marcdata import from_stored, to_slim
    from tests.unit.test_cluster_keys import _swedish_original
    settings, store, graph, run = world
    frost = from_stored(store.get("koha", f"oai:koha:{FROST}").marcxml)
    original = _swedish_original(frost)
    original["001"].data = "orig-1"
    store.upsert("alta", [IncomingRecord("oai:alta.no:NO-2012000:orig-1", control_number="orig-1",
                                         marcxml=to_slim(original))])
    result = run()
    assert result["alta"].errors == 1 and result["alta"].converted == 2      # the broken one stays broken
    ask = f"ASK {{ <{BASE}/work/koha-{FROST}> <{BF}translationOf> <{BASE}/work/alta-orig-1> }}"
    assert bool(graph.query(ask))
    assert not bool(graph.query(f"ASK {{ <{BASE}/work/alta-orig-1> <{BF}hasInstance> "
                                f"<{BASE}/instance/koha-{FROST}> }}"))
