"""Detected languages in `grenselos transform`, on SQLite and PostgreSQL, and transform errors in `quarantine`.

The Sami and Kven records are the illustrative ones in `vocab/examples/illustrative-records.xml` (written
for tests: no public MARC record coded sme/smj/sma/fkv exists); the Norwegian one is a real Koha sample.
"""

from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from core.settings import from_dict
from harvest import marcxml
from harvest.store import IncomingRecord, RecordStore
from transform.graphstore import GraphStore
from transform.languages_store import detections, effective_languages, effective_languages_many
from transform.pipeline import run_transform
from transform.tables import language_detections

BASE = "http://example.org"
BF = "http://id.loc.gov/ontologies/bibframe/"
LANG = "http://id.loc.gov/vocabulary/languages/"
EXAMPLES = Path(__file__).resolve().parents[2] / "vocab" / "examples" / "illustrative-records.xml"


def incoming(element, identifier):
    info = marcxml.inspect(element)
    xml = marcxml.serialize(element)
    return IncomingRecord(identifier=identifier, datestamp="2026-01-01", marcxml=xml, checksum=marcxml.checksum(xml),
                          record_type=info.record_type, control_number=info.control_number)


@pytest.fixture
def world(db_url, tmp_path, shared_data):
    settings = from_dict({"data_dir": str(tmp_path / "data"), "base_uri": BASE, "database_url": db_url,
                          "sources": [{"id": "sami", "name": "Sámi girjerájus"}]})
    store = RecordStore(db_url)
    examples = marcxml.find_records(etree.parse(str(EXAMPLES)).getroot())
    koha = marcxml.find_records(etree.parse(str(shared_data / "koha-misc4dev" / "koha_sample_biblios.marcxml"))
                                .getroot())[:5]
    store.upsert("sami", [incoming(el, f"oai:sami:{marcxml.inspect(el).control_number}") for el in examples]
                 + [incoming(el, f"oai:sami:koha-{n}") for n, el in enumerate(koha)])
    graph = GraphStore.open(settings)
    from transform.convert import Converter
    converter = Converter(BASE)

    def run(**kw):
        return run_transform(settings, store, graph=graph, converter=converter, progress=False, **kw)[0]

    yield settings, store, graph, run
    graph.close()
    store.close()


def _ask(graph, where: str) -> bool:
    return bool(graph.query(f"PREFIX bf: <{BF}> PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> "
                            f"ASK {{ {where} }}"))


def test_collective_smi_record_gets_a_detected_language_stored_and_in_the_graph(world):
    settings, store, graph, run = world
    summary = run()
    assert summary.errors == 0 and summary.converted == 13
    work = f"<{BASE}/work/sami-ill-smi-collective>"
    detected = f"<{BASE}/instance/sami-ill-smi-collective#language-detected>"
    # the catalogued collective code stays; the detection sits beside it, marked as detected
    assert _ask(graph, f"{work} bf:language <{LANG}smi>")
    assert _ask(graph, f"{work} bf:language {detected} . {detected} rdf:value <{LANG}sme> ; "
                       f"bf:status/bf:code \"detected\" ; bf:note/bf:noteType \"language detection\"")
    with store.engine.connect() as conn:
        found = effective_languages(conn, "sami", "oai:sami:ill-smi-collective")
        assert found.codes == ("sme",) and found.is_detected and found.detected_code == "sme"
        assert found.confidence > 0.5 and found.reason == "collective smi"
        assert any("Davvi Girji" in e for e in found.evidence)
        # a Kven publisher on a record coded fin: a suggestion, the catalogued fin stays effective
        kven = effective_languages(conn, "sami", "oai:sami:ill-kven-publisher")
        assert kven.codes == ("fin",) and not kven.is_detected and kven.detected_code == "fkv"
        # a well-coded Norwegian record needs no detection at all
        assert effective_languages(conn, "sami", "oai:sami:koha-0") is None
        many = effective_languages_many(conn, "sami", ["oai:sami:ill-missing-skolt", "oai:sami:ill-contradicted",
                                                       "oai:sami:ill-kven-041", "oai:sami:koha-1"])
        assert set(many) == {"oai:sami:ill-missing-skolt", "oai:sami:ill-contradicted"}
        assert many["oai:sami:ill-missing-skolt"].codes == ("sms",) and many["oai:sami:ill-missing-skolt"].is_detected
        assert many["oai:sami:ill-contradicted"].codes == ("nob",)
        assert "contradicted by text (detected sme)" in many["oai:sami:ill-contradicted"].problems
        rows = detections(conn, "sami")
        assert {r["identifier"] for r in rows} >= {"oai:sami:ill-smi-collective", "oai:sami:ill-lap-capitals"}
        assert all(r["catalogued"] is not None for r in rows)
    suggested = f"<{BASE}/instance/sami-ill-kven-publisher#language-detected>"
    assert _ask(graph, f"{suggested} bf:status/bf:code \"suggested\" ; rdf:value <http://lexvo.org/id/iso639-3/fkv>")


def test_re_runs_are_idempotent_and_a_fixed_record_loses_its_detection(world):
    settings, store, graph, run = world
    run()
    with store.engine.connect() as conn:
        before = conn.execute(select(language_detections.c.identifier, language_detections.c.detected_code)
                              .order_by(language_detections.c.identifier)).all()
    assert run().unchanged == 13
    full = run(full=True)
    assert full.converted == 13 and full.errors == 0
    with store.engine.connect() as conn:
        assert conn.execute(select(language_detections.c.identifier, language_detections.c.detected_code)
                            .order_by(language_detections.c.identifier)).all() == before
    # a librarian recodes the collective record as Northern Sami: no detection needed any more
    stored = store.get("sami", "oai:sami:ill-smi-collective")
    fixed = stored.marcxml.replace("000 1 smi d", "000 1 sme d")
    store.upsert("sami", [IncomingRecord("oai:sami:ill-smi-collective", datestamp="2026-02-01", marcxml=fixed,
                                         checksum=marcxml.checksum(fixed), control_number="ill-smi-collective")])
    assert run().changed == 1
    with store.engine.connect() as conn:
        assert effective_languages(conn, "sami", "oai:sami:ill-smi-collective") is None
    assert not _ask(graph, f"<{BASE}/instance/sami-ill-smi-collective#language-detected> ?p ?o")
    assert _ask(graph, f"<{BASE}/work/sami-ill-smi-collective> bf:language <{LANG}sme>")
    # deleted at the source: its row goes too
    store.upsert("sami", [IncomingRecord("oai:sami:ill-lap-capitals", deleted=True, datestamp="2026-02-02")])
    assert run().deleted == 1
    with store.engine.connect() as conn:
        assert effective_languages(conn, "sami", "oai:sami:ill-lap-capitals") is None


def test_quarantine_lists_transform_errors_once(db_url, write_config, tmp_path):
    from click.testing import CliRunner
    from grenselos.cli import cli
    config = write_config(f'data_dir = "{tmp_path / "data"}"\nbase_uri = "{BASE}"\ndatabase_url = "{db_url}"\n'
                          '[[sources]]\nid = "alta"\nname = "Alta"\n')
    store = RecordStore(db_url)
    # stored by an older importer without checks: the harvest kept it, the conversion cannot read it
    store.upsert("alta", [IncomingRecord("oai:alta:short-leader", marcxml="<record><leader>00000nam</leader>"
                                         "<controlfield tag=\"001\">1</controlfield></record>", checksum="a",
                                         control_number="1"),
                          IncomingRecord("oai:alta:harvest-bad", error="not well-formed XML: test")])
    store.close()
    runner = CliRunner()
    args = ["--config", str(config)]
    transformed = runner.invoke(cli, [*args, "transform", "-q"])
    assert transformed.exit_code == 1                  # the source's only record could not be converted
    assert "no record could be converted for alta" in transformed.output
    result = runner.invoke(cli, [*args, "quarantine"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    transform_lines = [line for line in lines if "\ttransform\t" in line]
    assert len(transform_lines) == 1
    source, stage, identifier, location, cause = transform_lines[0].split("\t")
    assert (source, identifier) == ("alta", "oai:alta:short-leader")
    assert location == f"{BASE}/instance/alta-short-leader"
    assert "leader is 8 characters long" in cause
    # the record the harvest already quarantined is listed once, by the harvest
    assert len([line for line in lines if "oai:alta:harvest-bad" in line]) == 1
    import json
    status = json.loads(runner.invoke(cli, [*args, "status", "--json"]).output)
    assert status["alta"]["conversion_errors"] == 2
