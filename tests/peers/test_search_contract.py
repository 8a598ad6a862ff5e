"""The contract every search backend keeps, run against tantivy, a standalone Solr core and a 2-shard
SolrCloud collection with the same illustrative corpus (tests/peers/search_corpus.py)."""

from __future__ import annotations

import dataclasses
import os

import pytest

from index.fields import edition_order, rank
from index.query import Facet, Filter, Query, Range, RangeFacet, language_facet
from index.text import isbn_forms
from tests.peers.search_backends import BACKENDS, open_test_backend
from tests.peers.search_corpus import ALL, CORPUS, NORDLYSETS_BY, TIES

SAMI_IDS = {"sme-1", "sme-3", "smj-1", "sma-1", "smn-1", "sms-1"}


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request, tmp_path_factory):
    with open_test_backend(request.param, tmp_path_factory.mktemp("search")) as b:
        b.add(ALL)
        b.commit()
        yield b


def ids(result) -> list[str]:
    return [h.id for h in result.hits]


def search(backend, text="", **kw):
    return backend.search(Query(text=text, limit=kw.pop("limit", 50), **kw))


def test_every_document_is_indexed(backend):
    assert backend.count() == len(ALL)
    assert search(backend).total == len(ALL)


def test_folded_spelling_finds_the_sami_word(backend):
    assert {"sme-1", "sme-2"} <= set(ids(search(backend, "cahppes")))


def test_exact_sami_spelling_ranks_first(backend):
    result = search(backend, "čáhppes")
    assert ids(result)[0] == "sme-1"
    assert "sme-2" in ids(result)


def test_letters_without_decomposition_fold(backend):
    for word in ("duoddara", "nuolggat", "tuolla", "ðuoddara", "đuoddara"):
        assert ids(search(backend, word)) == ["sme-3"], word


def test_norwegian_letters_are_not_folded(backend):
    assert ids(search(backend, "små")) == ["nob-2"]
    assert ids(search(backend, "sma")) == ["nob-3"]
    assert ids(search(backend, "blabaertur")) == []
    assert ids(search(backend, "blåbærtur")) == ["nob-4"]


def test_stemming_per_language(backend):
    assert "nob-1" in ids(search(backend, "fortelling"))
    assert "rus-1" in ids(search(backend, "лес"))
    assert "eng-1" in ids(search(backend, "whale"))


def test_russian_yo_equals_ye(backend):
    assert ids(search(backend, "елка")) == ["rus-1"]
    assert ids(search(backend, "Ёлка")) == ["rus-1"]


def test_all_words_must_match(backend):
    assert ids(search(backend, "kainun kieli")) == ["fkv-1"]
    assert ids(search(backend, "kainun nordlys")) == []


def test_identifier_in_either_isbn_form(backend):
    ten = "82-05-12345-8"
    thirteen = [f for f in isbn_forms(ten) if len(f) == 13][0]
    for typed in (ten, thirteen, "9788205305417", "8205305412"):
        result = search(backend, typed)
        assert result.hits, typed
    assert ids(search(backend, ten))[0] == "sult-1"
    assert ids(search(backend, "978-82-05-30541-7"))[0] == "sult-2"
    assert ids(backend.search(Query(fielded=(("isbn", "978-82-05-30541-7"),)))) == ["sult-2"]


def test_exact_title_beats_popular_partial_match(backend):
    result = search(backend, "sult")
    top = ids(result)[:4]
    assert "sult-x" in ids(result)
    assert "sult-x" not in top[:3], top


def test_work_held_by_many_libraries_ranks_higher(backend):
    assert ids(search(backend, "nordlys over havet"))[:2] == ["nord-1", "nord-2"]


def test_fielded_search(backend):
    assert set(ids(backend.search(Query(fielded=(("author", "hamsun"),), limit=20)))) == {
        "sult-1", "sult-2", "sult-3", "sult-fi"}
    assert ids(backend.search(Query(fielded=(("title", "fortelling"),)))) == []  # fielded is unstemmed
    assert ids(backend.search(Query(fielded=(("title", "fortellinger"),)))) == ["nob-1"]


def test_filters_or_within_and_across(backend):
    assert set(ids(search(backend, filters=(Filter("language", ("sme",)),)))) == {"sme-1", "sme-3"}
    assert set(ids(search(backend, filters=(Filter("language", ("smi",)),)))) == SAMI_IDS
    both = search(backend, filters=(Filter("language", ("smj", "sma")),))
    assert set(ids(both)) == {"smj-1", "sma-1"}
    assert ids(search(backend, filters=(Filter("language", ("sme",)), Filter("library", ("alta",))))) == []
    no_nob = search(backend, filters=(Filter("language", ("nob",), exclude=True),))
    assert no_nob.total == len([d for d in ALL if "nob" not in d.languages])
    years = search(backend, filters=(Range("year", 2010, 2015),))
    assert set(ids(years)) == {d.id for d in ALL if d.year and 2010 <= d.year <= 2015}
    open_end = search(backend, filters=(Range("year", 2020, None),))
    assert set(ids(open_end)) == {d.id for d in ALL if d.year and d.year >= 2020}


def test_language_facet_lists_minority_languages_below_the_cut(backend):
    result = backend.search(Query(facets=(language_facet(limit=2),), limit=0))
    values = {v.value: v.count for v in result.facets["language"]}
    assert list(values)[:2] == ["nob", "smi"]  # nob first, then the Sami group (6)
    assert values["nob"] == len([d for d in ALL if "nob" in d.languages])
    assert values["smi"] == 6
    for code in ("sme", "smj", "sma", "smn", "sms", "fkv", "fit"):
        assert code in values, code
    assert values["sme"] == 2 and values["fkv"] == 1
    plain = backend.search(Query(facets=(Facet("language", limit=2),), limit=0))
    assert [v.value for v in plain.facets["language"]] == ["nob", "smi"]


def test_facet_counts_follow_the_query(backend):
    result = backend.search(Query(text="hamsun", facets=(Facet("library"), Facet("format"),
                                                         Facet("availability"), Facet("library_kind")),
                                  limit=0))
    assert result.total == 4
    assert {v.value: v.count for v in result.facets["format"]} == {"book": 3, "audiobook": 1}
    assert {v.value: v.count for v in result.facets["library"]} == {
        "tromso": 1, "alta": 1, "tromsdalen-skole": 1, "vadso": 1}
    assert {v.value: v.count for v in result.facets["library_kind"]} == {"public": 3, "school": 1}
    assert {v.value: v.count for v in result.facets["availability"]} == {"available": 1}


def test_year_range_facet(backend):
    buckets = ((None, 1899), (1900, 1999), (2000, 2009), (2010, None))
    result = backend.search(Query(facets=(RangeFacet("year", buckets),), limit=0))
    counts = [v.count for v in result.facets["year"]]
    expected = [sum(1 for d in ALL if d.year is not None and (lo is None or d.year >= lo)
                    and (hi is None or d.year <= hi)) for lo, hi in buckets]
    assert counts == expected
    assert result.facets["year"][0].value == "*-1899"


def test_sort_newest_and_title(backend):
    newest = search(backend, filters=(Filter("language", ("nob",)),), sort="newest")
    years = [h.document.year for h in newest.hits]
    assert years == sorted(years, reverse=True)
    by_title = search(backend, sort="title", limit=100)
    keys = [h.document.title.lower() for h in by_title.hits]
    assert keys[0].startswith("anarâškielâ") and len(keys) == len(ALL)


def test_paging_is_stable(backend):
    full = ids(search(backend, sort="title", limit=30))
    page1 = ids(backend.search(Query(sort="title", offset=0, limit=10)))
    page2 = ids(backend.search(Query(sort="title", offset=10, limit=10)))
    assert page1 + page2 == full[:20]


def test_grouping_by_work(backend):
    result = backend.search(Query(text="hamsun", group=True, sort="newest"))
    assert result.total == 4 and result.total_groups == 2
    assert [g.work_id for g in result.groups] == ["w-sult", "w-sult-fi"]
    sult = result.groups[0]
    assert sult.edition_count == 3
    assert [e.id for e in sult.editions] == ["sult-3", "sult-2", "sult-1"]
    assert set(sult.libraries) == {"tromso", "alta", "tromsdalen-skole"}


def test_grouping_pages_and_limits(backend):
    all_groups = backend.search(Query(group=True, sort="title", limit=100))
    assert all_groups.total_groups == len({d.work_id for d in ALL})
    page = backend.search(Query(group=True, sort="title", offset=2, limit=3, group_limit=1))
    assert [g.work_id for g in page.groups] == [g.work_id for g in all_groups.groups][2:5]
    assert all(len(g.editions) == 1 for g in page.groups)
    counted = backend.search(Query(group=True, limit=0))
    assert (counted.total, counted.total_groups, counted.groups) == (len(ALL), all_groups.total_groups, [])


@pytest.mark.parametrize("kind", BACKENDS)
def test_updates_and_deletes_are_visible_after_commit(kind, tmp_path):
    if True:
        with open_test_backend(kind, tmp_path) as b:
            b.add(CORPUS[:5])
            b.commit()
            changed = dataclasses.replace(CORPUS[0], title="Ruoná girji")
            b.add([changed])
            b.delete([(CORPUS[1].id, CORPUS[1].work_id)])
            b.commit()
            assert b.count() == 4
            assert ids(b.search(Query(text="ruona"))) == [CORPUS[0].id]
            assert ids(b.search(Query(text="čáhppes"))) == []
            b.clear()
            assert b.count() == 0


# -- one document, spelling, the Sami group, decades ---------------------------------------------------

def test_get_returns_the_document_or_none(backend):
    doc = backend.get("sult-2")
    assert doc is not None and doc.id == "sult-2" and doc.work_id == "w-sult"
    assert doc.holdings[0].library == "alta" and doc.isbns == ("978-82-05-30541-7",)
    assert backend.get("no-such-record") is None
    assert backend.get("") is None


def test_get_resolves_the_old_harvest_id(backend):
    doc = backend.get("tromso:oai:tromso:77")
    assert doc is not None and doc.id == "tromso-77"


def test_spelling_suggestions_come_from_the_index(backend):
    assert "fortellinger" in backend.suggest("fortelinger")
    assert "kainun kieli" in backend.suggest("kainun kiel")
    assert any(s.startswith("whales") for s in backend.suggest("whalez arctic"))
    assert backend.suggest("fortellinger") == []  # every word is known


def test_sami_group_filter_matches_every_sami_language(backend):
    for value in ("smi", "sami"):
        result = search(backend, filters=(Filter("language", (value,)),))
        assert set(ids(result)) == SAMI_IDS, value
    both = search(backend, filters=(Filter("language", ("sami", "fkv")),))
    assert set(ids(both)) == SAMI_IDS | {"fkv-1"}
    assert not set(ids(search(backend, filters=(Filter("language", ("sami",), exclude=True),)))) & SAMI_IDS


def test_year_facet_by_decades(backend):
    from index.query import decades, year_facet
    facet = year_facet(1980, 2029)
    assert facet.buckets == decades(1980, 2029) and facet.buckets[0] == (None, 1979)
    result = backend.search(Query(text="", facets=(facet,), limit=0))
    counts = {v.value: v.count for v in result.facets["year"]}
    years = [d.year for d in ALL if d.year is not None]
    assert counts["*-1979"] == sum(1 for y in years if y <= 1979)
    assert counts["2010-2019"] == sum(1 for y in years if 2010 <= y <= 2019)
    assert counts["2020-*"] == sum(1 for y in years if y >= 2020)
    assert sum(counts.values()) == len(years)
    # the same counts when the buckets are not whole decades (counted by range instead)
    odd = backend.search(Query(facets=(RangeFacet("year", ((2010, 2015), (2016, None))),), limit=0))
    assert [v.count for v in odd.facets["year"]] == [sum(1 for y in years if 2010 <= y <= 2015),
                                                       sum(1 for y in years if y >= 2016)]


def test_year_facet_follows_filters(backend):
    from index.query import year_facet
    result = backend.search(Query(filters=(Filter("language", ("sami",)),), facets=(year_facet(),), limit=0))
    counts = {v.value: v.count for v in result.facets["year"]}
    assert counts["1990-1999"] == 1 and counts["2010-2019"] == 5 and counts["2000-2009"] == 0


def test_tantivy_counts_facets_alike_by_term_walk_and_by_aggregation(tmp_path):
    """The two ways tantivy counts facets (a walk of `facet_terms` for broad queries, aggregations for
    narrow ones) give the same counts."""
    from index.query import year_facet
    from index.tantivy_backend import TantivyBackend
    walk = _tantivy_with_all(tmp_path / "walk", term_walk_from=0, facet_cache_seconds=0)
    aggregate = TantivyBackend(tmp_path / "walk", facet_cache_seconds=0, term_walk_from=10**9)
    facets = (language_facet(3), Facet("format"), Facet("library"), Facet("library_kind"), Facet("availability"),
              Facet("audience"), Facet("municipality"), Facet("source"), Facet("subject_facet"), year_facet(1980),
              RangeFacet("year", ((1990, 2004), (2005, None))))
    for query in (Query(facets=facets, limit=0), Query(text="hamsun", facets=facets, group=True),
                  Query(filters=(Filter("language", ("sami", "fkv")),), facets=facets),
                  Query(text="nothing-matches-this", facets=facets)):
        assert walk.search(query).facets == aggregate.search(query).facets, query.text
    walk.close()


def _tantivy_with_all(path, **options):
    """A tantivy index in `path` holding the whole corpus (options as TantivyBackend takes them)."""
    from index.tantivy_backend import TantivyBackend
    backend = TantivyBackend(path, writer_heap=50_000_000, writer_threads=1, **options)
    backend.add(ALL)
    backend.commit()
    return backend


def _facet_query() -> Query:
    from index.query import year_facet
    return Query(text="hamsun", facets=(language_facet(5), Facet("library"), year_facet()), limit=3)


def test_tantivy_estimates_matches_from_the_term_dictionary(tmp_path):
    """The estimate that chooses how facets are counted (walk or aggregations) follows the query: every
    document when browsing, the rarest word, the narrowest positive filter, none for an identifier."""
    backend = _tantivy_with_all(tmp_path / "estimate")
    searcher = backend.index.searcher()

    def estimate(**kw):
        return backend._estimate(searcher, Query(**kw))

    def count(**kw):
        return backend.search(Query(limit=0, **kw)).total

    assert estimate() == len(ALL)
    sami = (Filter("language", ("sami",)),)
    assert estimate(filters=sami) == count(filters=sami) == len(SAMI_IDS)
    assert estimate(filters=(Filter("language", ("sami",), exclude=True),)) == len(ALL)
    assert estimate(text="hamsun") == count(text="hamsun") > 0
    assert estimate(text="hamsun nothing-matches-this") == 0
    assert estimate(text="hamsun", filters=sami) <= len(SAMI_IDS)
    isbn = next(d.isbns[0] for d in ALL if d.isbns)
    assert estimate(text=isbn) == estimate(fielded=(("isbn", isbn),)) == 0 < count(text=isbn)
    backend.close()


def test_tantivy_counts_facets_in_the_request_thread_when_every_core_is_busy(tmp_path, monkeypatch):
    """With the load average at the number of cores or above, a broad query's facets are counted after
    its search in the request's own thread (the same counts), and no facet thread is started."""
    from index import tantivy_backend
    backend = _tantivy_with_all(tmp_path / "busy", facet_cache_seconds=0, term_walk_from=0)
    query = _facet_query()
    spare = tantivy_backend._SpareCores()
    monkeypatch.setattr(tantivy_backend, "_cores_to_spare", spare)
    monkeypatch.setattr(tantivy_backend.os, "getloadavg", lambda: (float(os.cpu_count() or 1), 0.0, 0.0))
    busy = backend.search(query).facets
    assert backend._facet_threads is None and spare.spare is False
    monkeypatch.setattr(tantivy_backend.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    spare.read_at -= 2          # a second later
    assert backend.search(query).facets == busy and busy["language"]
    assert backend._facet_threads is not None and spare.spare is True
    backend.close()


def test_tantivy_counts_facets_beside_the_search_in_a_forked_process_too(tmp_path, monkeypatch):
    """A broad query's facets are counted in threads of their own (here every query counts as broad); a
    process forked from one that had them (a server's worker) makes its own rather than wait for threads
    the fork did not copy."""
    import multiprocessing
    from index import tantivy_backend
    monkeypatch.setattr(tantivy_backend, "_cores_to_spare", lambda: True)    # whatever the suite's load
    backend = _tantivy_with_all(tmp_path / "fork", facet_cache_seconds=0, term_walk_from=0)
    query = _facet_query()
    expected = backend.search(query).facets
    assert expected["language"] and expected["library"]
    assert backend._facet_threads is not None
    context = multiprocessing.get_context("fork")
    answers = context.Queue()
    child = context.Process(target=lambda: answers.put(backend.search(query).facets == expected))
    child.start()
    child.join(60)
    assert child.exitcode == 0 and answers.get(timeout=5) is True
    backend.close()
    assert backend._facet_threads is None
    assert backend.search(query).facets == expected      # a closed reader still searches, with new threads


def test_grouping_keeps_facets_and_totals_of_editions(backend):
    from index.query import year_facet
    facets = (language_facet(5), Facet("library"), Facet("format"), year_facet())
    for text in ("hamsun", "", "sult"):
        flat = backend.search(Query(text=text, facets=facets, limit=5))
        grouped = backend.search(Query(text=text, facets=facets, limit=5, group=True, group_limit=2))
        assert grouped.total == flat.total and grouped.facets == flat.facets, text
        assert grouped.total_groups == len({h.work_id for h in search(backend, text, limit=100).hits})
        assert all(1 <= len(g.editions) <= 2 and g.edition_count >= len(g.editions) for g in grouped.groups)


# -- the projection decides what scores cannot: the edition heading a work, the order of ties ---------

@pytest.fixture(scope="module", params=BACKENDS)
def tied(request, tmp_path_factory):
    with open_test_backend(request.param, tmp_path_factory.mktemp("ties")) as b:
        b.add(TIES)
        b.commit()
        yield b


def by_rule(docs) -> list[str]:
    """Identical text scores alike, times the static rank; ties then go by the projection's order."""
    return [d.id for d in sorted(docs, key=lambda d: (-rank(d), edition_order(d)))]


def test_tied_hits_are_in_the_projections_order(tied):
    result = tied.search(Query(text=NORDLYSETS_BY, limit=20))
    assert ids(result) == by_rule(TIES) == ["by-3", "by-2", "by-1", "by-c", "by-a", "by-b"]
    browse = tied.search(Query(limit=20))                   # no free text: the projection's order alone
    assert ids(browse) == [d.id for d in sorted(TIES, key=edition_order)]
    paged = [h.id for offset in range(0, 6, 2)
             for h in tied.search(Query(text=NORDLYSETS_BY, offset=offset, limit=2)).hits]
    assert paged == ids(result)                             # a tie across a page boundary stays in order


def test_the_projection_chooses_the_edition_that_heads_a_work(tied):
    for query in (Query(text=NORDLYSETS_BY, group=True), Query(group=True), Query(text="nordlysets", group=True),
                  Query(fielded=(("title", NORDLYSETS_BY),), group=True)):
        result = tied.search(query)
        work = next(g for g in result.groups if g.work_id == "w-by")
        # by-3 scores highest (the newest), but by-2 is held by two libraries: it heads the work
        assert [e.id for e in work.editions] == ["by-2", "by-3", "by-1"], query
        assert work.edition_count == 3
    scored = tied.search(Query(text=NORDLYSETS_BY, group=True))
    assert [g.work_id for g in scored.groups] == ["w-by", "w-by-c", "w-by-a", "w-by-b"]
    one_each = tied.search(Query(text=NORDLYSETS_BY, group=True, group_limit=1, limit=2))
    assert [[e.id for e in g.editions] for g in one_each.groups] == [["by-2"], ["by-c"]]
    newest = tied.search(Query(text=NORDLYSETS_BY, group=True, sort="newest"))
    assert [e.id for e in newest.groups[0].editions] == ["by-3", "by-1", "by-2"]
