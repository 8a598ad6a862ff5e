"""Serialisations parse back with rdflib; re-conversion is byte-identical; `grenselos convert` works."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib

from tests.mapping.conftest import convert
from transform.convert import dataset_description
from transform.serialize import FORMATS, StreamWriter, serialize

ROOT = Path(__file__).resolve().parents[2]
RDFLIB_FORMATS = {"nt": "nt", "ttl": "turtle", "jsonld": "json-ld", "xml": "xml"}


@pytest.fixture(scope="module")
def sample(read, converter):
    items = read("marcxml-lc/dataset/princeton.xml")[:20] + read("php-marc/oaipmh-bibsys.xml")[:1] + \
        read("natlibfi-marc-record-serializers/marcxml/2RecordsFrom1")
    triples = list(dataset_description("http://example.org"))
    for item in items:
        triples += convert(converter, item).triples
    return triples


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_parses_back_with_rdflib(sample, fmt):
    data = serialize(sample, fmt)
    graph = rdflib.Graph()
    graph.parse(data=data, format=RDFLIB_FORMATS[fmt])
    assert len(graph) == len(set(sample))
    literal = next(t.object.value for t in sample if t.predicate.value.endswith("mainTitle"))
    assert rdflib.Literal(literal) in set(graph.objects())


def test_reconversion_is_byte_identical(read, converter):
    from transform.convert import Converter
    items = read("marcxml-lc/dataset/oclc.xml")
    first = b"".join(serialize(convert(converter, i).triples, "nt") for i in items)
    again = b"".join(serialize(convert(Converter("http://example.org"), i).triples, "nt") for i in items[:5])
    assert first.startswith(again)
    assert first == b"".join(serialize(convert(converter, i).triples, "nt") for i in items)
    assert b"_:" not in first   # no blank nodes at all, so no random labels


def test_dataset_description_names_the_bibframe_version():
    nt = serialize(dataset_description("http://example.org"), "nt").decode()
    assert '"BIBFRAME 2.6.0"' in nt and "http://rdfs.org/ns/void#Dataset" in nt


def test_stream_writer_writes_one_document_for_turtle(sample):
    out = io.BytesIO()
    writer = StreamWriter(out, "ttl")
    writer.write(sample[:10])
    writer.write(sample[10:])
    writer.close()
    assert len(rdflib.Graph().parse(data=out.getvalue(), format="turtle")) == len(set(sample))


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "grenselos.cli", "convert", *args], cwd=ROOT,
                          capture_output=True, timeout=120)


def test_cli_converts_marcxchange_and_iso2709(shared_data):
    proc = _cli("--format", "ttl", "--base-uri", "http://example.org",
                str(shared_data / "php-marc/oaipmh-bibsys.xml"), str(shared_data / "traject/iso639-3_lang.marc"))
    assert proc.returncode == 0, proc.stderr.decode()
    graph = rdflib.Graph().parse(data=proc.stdout, format="turtle")
    instances = set(graph.subjects(rdflib.URIRef("http://id.loc.gov/ontologies/bibframe/instanceOf")))
    assert len(instances) == 8      # 7 BIBSYS bibliographic records + 1 traject record
    items = set(graph.subjects(rdflib.RDF.type, rdflib.URIRef("http://id.loc.gov/ontologies/bibframe/Item")))
    assert len(items) == 82         # every holdings record became an item of its bib
    assert b"converted 8 record(s), 0 bad" in proc.stderr


def test_cli_reports_bad_records_and_exits_1(shared_data, tmp_path):
    bad = shared_data / "koha-misc4dev/koha_biblio_369_invalid_xml_control_chars.xml"
    good = shared_data / "traject/george_eliot.marc"
    proc = _cli(str(bad), str(good))
    assert proc.returncode == 1
    err = proc.stderr.decode()
    assert "koha_biblio_369_invalid_xml_control_chars.xml: record 1" in err and "skipped" in err
    assert "converted 1 record(s), 1 bad" in err
    assert proc.stdout.count(b"bibframe/Instance>") == 1


def test_cli_needs_no_config_file(shared_data, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "grenselos.cli", "--config", str(tmp_path / "missing.toml"),
                           "convert", "--format", "jsonld", str(shared_data / "traject/george_eliot.marc")],
                          cwd=ROOT, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    assert len(rdflib.Graph().parse(data=proc.stdout, format="json-ld")) > 20
