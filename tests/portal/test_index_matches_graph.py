"""The demo as `grenselos run` builds it (loopback OAI-PMH → transform → index): every document in the
search index has the titles, contributors and subjects its record's named graph in the graph store has,
asked by SPARQL (tests/mapping/graph_facts.py). What patrons find and what the linked data says agree.
"""

from __future__ import annotations

from index.backends import open_backend
from index.query import Query
from tests.mapping import graph_facts
from transform.graphstore import GraphStore


def test_every_indexed_document_is_its_graph(demo_settings):
    backend = open_backend(demo_settings)
    graph = GraphStore.open(demo_settings, read_only=True)
    try:
        docs = [h.document for h in backend.search(Query(limit=1000)).hits]
        assert len(docs) == backend.count() > 350
        names = {doc.id: graph.record_graph(doc.source, doc.id[len(doc.source) + 1:]) for doc in docs}
        assert all(graph.has_graph(name) for name in names.values())
        # asked per named graph (GRAPH ?g): agents are shared resources whose labels differ between the
        # records that name them, so the union of all graphs would mix them
        store = graph.store
        facts = graph_facts.titles(store), graph_facts.contributors(store), graph_facts.subjects(store)
        problems = [f"{doc.id}: {p}" for doc in docs for p in graph_facts.compare(doc, names[doc.id].value, *facts)]
        assert problems == []
    finally:
        graph.close()
        backend.close()
