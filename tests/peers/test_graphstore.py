"""The embedded Oxigraph graph store on disk: one named graph per record, replaced and removed exactly."""

import pytest
from lxml import etree
from pyoxigraph import Literal, NamedNode, Triple

from harvest.marcdata import from_stored
from harvest.marcxml import find_records
from transform.graphstore import GraphStore

BF = "http://id.loc.gov/ontologies/bibframe/"
BASE = "http://example.org"


@pytest.fixture(scope="module")
def records(shared_data):
    root = etree.parse(str(shared_data / "php-marc" / "oaipmh-bibsys.xml")).getroot()
    recs = [from_stored(el) for el in find_records(root)]
    return [r for r in recs if r.leader[6] not in "uvxy"]


def triples_for(graph: GraphStore, source, record_id, record, title=None):
    """A few triples from the record's own fields (the converter's job is tested elsewhere)."""
    instance = graph.instance_uri(source, record_id)
    title = title or record["245"]["a"]
    out = [Triple(instance, NamedNode(BF + "instanceOf"), graph.work_uri(f"{source}-{record_id}")),
           Triple(instance, NamedNode(BF + "mainTitle"), Literal(title))]
    for n, f in enumerate(record.get_fields("020", "650")):
        out.append(Triple(instance, NamedNode(BF + "note"), Literal(f"{n}:" + " ".join(s.value.strip() for s in f.subfields))))
    return out


def test_changed_record_replaces_exactly_its_triples(tmp_path, records):
    graph = GraphStore(tmp_path / "graph", BASE)
    first, second = records[0], records[1]
    a = triples_for(graph, "bibsys", "a", first)
    b = triples_for(graph, "bibsys", "b", second)
    graph.replace_record("bibsys", "a", a)
    graph.replace_record("bibsys", "b", b)
    assert graph.graph_for("bibsys", "a") == sorted(a, key=str)
    changed = triples_for(graph, "bibsys", "a", first, title="A changed title")
    graph.replace_record("bibsys", "a", changed)
    assert graph.graph_for("bibsys", "a") == sorted(changed, key=str)
    assert graph.graph_for("bibsys", "b") == sorted(b, key=str)          # untouched
    titles = {str(row["t"].value) for row in graph.query(
        f"SELECT ?t WHERE {{ ?i <{BF}mainTitle> ?t }}")}
    assert titles == {"A changed title", second["245"]["a"]}
    assert graph.counts() == {"record_graphs": 2, "work_graphs": 0, "triples": len(changed) + len(b)}
    graph.close()


def test_deleted_record_triples_vanish_and_store_persists_on_disk(tmp_path, records):
    path = tmp_path / "graph"
    graph = GraphStore(path, BASE)
    for n, record in enumerate(records[:3]):
        graph.replace_record("bibsys", str(n), triples_for(graph, "bibsys", str(n), record))
    assert graph.remove_record("bibsys", "1") is True
    assert graph.remove_record("bibsys", "1") is False
    assert graph.graph_for("bibsys", "1") == []
    graph.replace({graph.work_graph("w1"): graph.work_triples("w1", [graph.instance_uri("bibsys", "0")])})
    graph.close()
    del graph

    reader = GraphStore(path, BASE, read_only=True)
    assert reader.counts()["record_graphs"] == 2 and reader.counts()["work_graphs"] == 1
    left = {str(r["g"].value) for r in reader.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")}
    assert left == {f"{BASE}/graph/bibsys-0", f"{BASE}/graph/bibsys-2", f"{BASE}/graph/work-w1"}
    ask = reader.query(f"ASK {{ <{BASE}/work/w1> <{BF}hasInstance> <{BASE}/instance/bibsys-0> }}")
    assert bool(ask)
    reader.close()
