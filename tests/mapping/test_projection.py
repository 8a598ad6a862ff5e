"""One reading: for every one of the 949 LC records and every record of the demo's catalogues, the search
document's titles, contributors and subjects are the graph's, asked by SPARQL (tests/mapping/graph_facts.py)
over an in-memory Oxigraph store of the same triples the graph store keeps per record.
"""

from __future__ import annotations

import pytest
from pyoxigraph import NamedNode, Quad, Store

from harvest.marcdata import from_stored
from index.projection import default
from tests.mapping import graph_facts
from transform.convert import ConvertContext
from transform.marcfiles import read_file


def lc_records(shared_data):
    for path in sorted((shared_data / "marcxml-lc").rglob("*.xml")):
        for item in read_file(path):
            if item.record is not None:
                yield "lc", item.record_id(), item.record, None


def demo_records():
    from grenselos.demo import samples
    for library in samples.LIBRARIES:
        for local, xml in samples.catalogue(library):
            yield library.id, local, from_stored(xml), library.holdings
    for local, kind, xml in samples.national_bibliography():
        if kind == "bib":
            yield samples.NATIONAL.id, local, from_stored(xml), "marcxchange-holdings"


def check(converter, records) -> tuple[int, list[str]]:
    """Project every record, load every record's triples as its own named graph, ask the graph."""
    store, docs = Store(), []
    for n, (source, record_id, record, profile) in enumerate(records):
        ctx = ConvertContext(source, f"{record_id}~{n}", holdings_profile=profile or "marc-852")
        conversion = converter.convert(record, ctx)
        graph = NamedNode(f"urn:graph:{n}")
        store.extend([Quad(t.subject, t.predicate, t.object, graph) for t in conversion.triples])
        docs.append((graph.value, default().document(conversion.triples, id=f"{source}-{n}", work_id="w",
                                                     source=source)))
    titles, agents, headings = graph_facts.titles(store), graph_facts.contributors(store), graph_facts.subjects(store)
    problems = [f"{doc.id}: {p}" for graph, doc in docs
                for p in graph_facts.compare(doc, graph, titles, agents, headings)]
    return len(docs), problems


def test_every_lc_record_is_indexed_as_its_graph_says(shared_data, converter):
    count, problems = check(converter, lc_records(shared_data))
    assert count == 949
    assert problems == []


def test_every_demo_record_is_indexed_as_its_graph_says(converter):
    count, problems = check(converter, demo_records())
    assert count > 350
    assert problems == []


@pytest.mark.parametrize("field, value", [("contributors", ("Someone else",)), ("title", "Another title"),
                                          ("subjects", {"humord": ("Reindrift", "Fiske")})])
def test_the_comparison_sees_a_document_that_drifted(converter, field, value):
    """The yardstick is not blind: a document that says something its graph does not is reported."""
    import dataclasses
    from grenselos.demo import samples
    library = samples.LIBRARIES[1]
    local, xml = next((lid, x) for lid, x in samples.catalogue(library) if "ill-nob-001" in lid)
    conversion = converter.convert(from_stored(xml), ConvertContext(library.id, local))
    store = Store()
    store.extend([Quad(t.subject, t.predicate, t.object, NamedNode("urn:g")) for t in conversion.triples])
    doc = default().document(conversion.triples, id="x", work_id="w", source=library.id)
    facts = graph_facts.titles(store), graph_facts.contributors(store), graph_facts.subjects(store)
    assert graph_facts.compare(doc, "urn:g", *facts) == []
    assert graph_facts.compare(dataclasses.replace(doc, **{field: value}), "urn:g", *facts) != []
