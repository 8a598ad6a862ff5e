"""Shared digital resources in every search backend (tantivy, standalone Solr, SolrCloud): a document of a
`digital` source carries the availability value `digital` and the libraries with access, filters and
facets by them, and brings its links back in the stored document."""

from __future__ import annotations

import pytest

from index.document import Document, Holding
from index.query import Facet, Filter, Query
from tests.peers.search_backends import BACKENDS, open_test_backend

TROMSO = Holding("tromso", "Tromsø", "public", items=2, available=1)
DOCS = [
    Document(id="tromso-1", work_id="w-nordlys", source="tromso", title="Nordlys over vidda", formats=("book",),
             holdings=(TROMSO,)),
    Document(id="ebok-1", work_id="w-nordlys", source="ebok", title="Nordlys over vidda", formats=("ebook",),
             links=("https://ebok.example.org/read/1 Les e-boka",), access=("tromso", "alta")),
    Document(id="ebok-2", work_id="w-duottar", source="ebok", title="Duottar ja dálvi", formats=("audiobook",),
             links=("https://ebok.example.org/listen/2",), access=("alta",)),
]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request, tmp_path_factory):
    with open_test_backend(request.param, tmp_path_factory.mktemp("digital")) as b:
        b.add(DOCS)
        b.commit()
        yield b


def ids(result) -> set[str]:
    return {h.id for h in result.hits}


def test_digital_is_an_availability_value(backend):
    result = backend.search(Query(filters=(Filter("availability", ("digital",)),), limit=10,
                                  facets=(Facet("availability", 10),)))
    assert ids(result) == {"ebok-1", "ebok-2"}
    counts = {v.value: v.count for v in result.facets["availability"]}
    assert counts == {"digital": 2}
    everything = backend.search(Query(facets=(Facet("availability", 10),), limit=10))
    assert {v.value: v.count for v in everything.facets["availability"]} == {"digital": 2, "available": 1}


def test_access_filters_by_library(backend):
    assert ids(backend.search(Query(filters=(Filter("access", ("tromso",)),), limit=10))) == {"ebok-1"}
    assert ids(backend.search(Query(filters=(Filter("access", ("alta",)),), limit=10))) == {"ebok-1", "ebok-2"}


def test_print_and_digital_found_together_and_links_kept(backend):
    result = backend.search(Query(text="nordlys", limit=10))
    assert ids(result) == {"tromso-1", "ebok-1"}
    doc = backend.get("ebok-1")
    assert doc.links == ("https://ebok.example.org/read/1 Les e-boka",) and doc.access == ("tromso", "alta")
