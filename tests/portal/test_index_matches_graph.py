"""The demo as `grenselos run` builds it (loopback OAI-PMH → transform → index): every document in the
search index has the titles, contributors and subjects its record's named graph in the graph store has,
asked by SPARQL (tests/mapping/graph_facts.py). What patrons find and what the linked data says agree;
records licensed for the libraries' own use are found but have no graph.
"""

from __future__ import annotations

from index.backends import open_backend
from index.query import Query
from tests.mapping import graph_facts
from transform.graphstore import GraphStore
from vocab import licences


def test_every_indexed_document_is_its_graph(demo_settings):
    backend = open_backend(demo_settings)
    graph = GraphStore.open(demo_settings, read_only=True)
    try:
        docs = [h.document for h in backend.search(Query(limit=1000)).hits]
        assert len(docs) == backend.count() > 350
        names = {doc.id: graph.record_graph(doc.source, doc.id[len(doc.source) + 1:]) for doc in docs}
        # records whose licence forbids republication (the demo's e-books) are searchable but not in the graph
        withheld = {doc.id for doc in docs if not licences.publishable(demo_settings, doc.source)}
        assert withheld and not any(graph.has_graph(names[d]) for d in withheld)
        docs = [doc for doc in docs if doc.id not in withheld]
        assert all(graph.has_graph(names[doc.id]) for doc in docs)
        # asked per named graph (GRAPH ?g): agents are shared resources whose labels differ between the
        # records that name them, so the union of all graphs would mix them
        store = graph.store
        facts = graph_facts.titles(store), graph_facts.contributors(store), graph_facts.subjects(store)
        problems = [f"{doc.id}: {p}" for doc in docs for p in graph_facts.compare(doc, names[doc.id].value, *facts)]
        assert problems == []
    finally:
        graph.close()
        backend.close()
