"""Distributed correctness: the same corpus in one shard (standalone core) and in two shards (SolrCloud
collection routed by work) gives the same totals, hits, facet counts and groups."""

from __future__ import annotations

import pytest

from index.query import Facet, Filter, Query, Range, RangeFacet, language_facet
from index.synthetic import derive
from tests.peers.search_backends import open_test_backend
from tests.peers.search_corpus import ALL

FACETS = (language_facet(5), Facet("library", 8), Facet("format"), Facet("audience"), Facet("availability"),
          RangeFacet("year", ((None, 1999), (2000, 2009), (2010, None))))
QUERIES = [
    Query(sort="title", limit=50, facets=FACETS),
    Query(text="sult", sort="newest", limit=30, facets=FACETS),
    Query(text="nordlys havet", sort="title", limit=30, facets=FACETS),
    Query(filters=(Filter("language", ("smi",)), Range("year", 2000, None)), sort="title", limit=40, facets=FACETS),
    Query(filters=(Filter("library", ("alta", "tromso")),), sort="newest", limit=40, facets=FACETS),
    Query(text="bygdebok", sort="title", group=True, limit=20, group_limit=3, facets=FACETS),
    Query(sort="newest", group=True, offset=20, limit=20, facets=FACETS),
]


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    corpus = list(derive(ALL, 1500, seed=11))
    tmp = tmp_path_factory.mktemp("dist")
    with open_test_backend("solr", tmp) as one, open_test_backend("solrcloud", tmp, shards=2) as two:
        for backend in (one, two):
            for start in range(0, len(corpus), 500):
                backend.add(corpus[start:start + 500])
            backend.commit()
        yield corpus, one, two


def shape(result):
    return {
        "total": result.total,
        "total_groups": result.total_groups,
        "hits": [h.id for h in result.hits],
        "groups": [(g.work_id, g.edition_count, [e.id for e in g.editions], g.libraries) for g in result.groups],
        "facets": {k: [(v.value, v.count) for v in vs] for k, vs in result.facets.items()},
    }


def test_both_hold_every_document(pair):
    corpus, one, two = pair
    assert one.count() == two.count() == len(corpus)


@pytest.mark.parametrize("n", range(len(QUERIES)))
def test_one_and_two_shards_agree(pair, n):
    _corpus, one, two = pair
    a, b = shape(one.search(QUERIES[n])), shape(two.search(QUERIES[n]))
    assert a == b
    assert a["total"] > 0


def test_relevance_ranking_agrees_on_the_top(pair):
    _corpus, one, two = pair
    query = Query(text="čáhppes", limit=10)
    assert [h.id for h in one.search(query).hits][:3] == [h.id for h in two.search(query).hits][:3]


@pytest.fixture(scope="module")
def embedded(pair, tmp_path_factory):
    corpus, _one, _two = pair
    with open_test_backend("tantivy", tmp_path_factory.mktemp("emb")) as backend:
        backend.add(corpus)
        backend.commit()
        yield backend


@pytest.mark.parametrize("n", range(len(QUERIES)))
def test_tantivy_agrees_with_solr(pair, embedded, n):
    _corpus, one, _two = pair
    assert shape(embedded.search(QUERIES[n])) == shape(one.search(QUERIES[n]))
