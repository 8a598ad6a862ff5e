"""The statistics graph (holdings per library and language) against a direct count over the record graphs.

The catalogue is the linked-data tests' real one (LC records, the BIBSYS page with separate holdings
records, the Kautokeino Sami records, one of them with a detected language), built by the real pipeline
on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from sqlalchemy import delete

from tests.linked_data.conftest import Server, build, make_settings
from transform import statistics as stats
from transform.graphstore import GraphStore

BASE = "http://data.grenselos.test"
PREFIX = """PREFIX bf: <http://id.loc.gov/ontologies/bibframe/>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX stat: <https://data.grenselos.no/def/statistics#>
"""

# Per record graph: its items per library, and its Work's language code IRIs — or, where the language
# facet uses Grenseløs' detection, the detected language. Written independently of transform.statistics.
DIRECT = PREFIX + f"""
SELECT ?lib ?lang (COUNT(DISTINCT ?g) AS ?instances) (COUNT(DISTINCT ?item) AS ?items) WHERE {{
  {{ GRAPH ?g {{
      ?item bf:heldBy ?lib . ?work bf:language ?lang .
      FILTER(STRSTARTS(STR(?work), "{BASE}/work/"))
      FILTER(STRSTARTS(STR(?lang), "http://id.loc.gov/vocabulary/languages/")
             || STRSTARTS(STR(?lang), "http://lexvo.org/id/iso639-3/"))
      FILTER NOT EXISTS {{ ?d bf:status/bf:code "detected" }} }} }}
  UNION
  {{ GRAPH ?g {{ ?item bf:heldBy ?lib . ?d bf:status/bf:code "detected" ; rdf:value ?lang }} }}
}} GROUP BY ?lib ?lang"""

PUBLISHED = PREFIX + """
SELECT ?lib ?lang ?instances ?items WHERE {
  ?obs a qb:Observation ; stat:library ?lib ; stat:language ?lang ; stat:instances ?instances ; stat:items ?items .
}"""


def rows(graph, query: str) -> set[tuple]:
    return {(s["lib"].value, s["lang"].value, int(s["instances"].value), int(s["items"].value))
            for s in graph.query(query)}


def observed(engine) -> set[tuple]:
    return {(o.library, o.language, o.instances, o.items) for o in stats.observations(engine)}


def statistics_quads(graph) -> set:
    return {(q.subject, q.predicate, q.object)
            for q in graph.store.quads_for_pattern(None, None, None, stats.graph_name(BASE))}


def test_counts_equal_a_direct_count_and_rerun_is_idempotent(tmp_path, shared_data, db_url):
    from transform.pipeline import run_transform
    settings = make_settings(tmp_path / "data", db_url)
    store = build(settings, shared_data)
    try:
        with GraphStore.open(settings, read_only=True) as graph:
            direct = rows(graph, DIRECT)
            published = rows(graph, PUBLISHED)
            first = statistics_quads(graph)
        assert direct == published == observed(store.engine)
        libraries = {lib.rsplit("/", 1)[1] for lib, *_ in direct}
        assert {"NO-0030000", "NO-1990002"} <= libraries          # the national library and Kautokeino
        sme = [r for r in direct if r[:2] == (f"{BASE}/library/NO-1990002", "http://id.loc.gov/vocabulary/languages/sme")]
        assert sme and sme[0][2] >= 1
        assert any(r[3] > r[2] for r in direct)                   # some instances have several items

        # Nothing changed: the same graph, and write() sees no reason to rewrite it.
        run_transform(settings, store, progress=False)
        with GraphStore.open(settings) as graph:
            assert statistics_quads(graph) == first
            again = stats.write(store.engine, graph)
            assert not again.written and again.backfilled == 0
            # Records converted before the facts table existed are read back from the graph, with the same totals.
            with store.engine.begin() as conn:
                conn.execute(delete(stats.facts_table))
            graph.remove([stats.graph_name(BASE)])
            filled = stats.write(store.engine, graph)
            assert filled.backfilled > 100 and filled.written
            assert statistics_quads(graph) == first

        # A deleted record leaves the totals, and only its own share goes.
        doomed = next(r for r in store.iter_records("kautokeino") if r.identifier.endswith("sme-001"))
        store.mark_deleted("kautokeino", [doomed.identifier])
        run_transform(settings, store, progress=False)
        with GraphStore.open(settings, read_only=True) as graph:
            after_direct, after_published = rows(graph, DIRECT), rows(graph, PUBLISHED)
        assert after_direct == after_published == observed(store.engine)
        lost = {(lib, lang): (i, n) for lib, lang, i, n in direct}
        for lib, lang, i, n in after_published:
            lost[(lib, lang)] = (lost[(lib, lang)][0] - i, lost[(lib, lang)][1] - n)
        assert {k: v for k, v in lost.items() if v != (0, 0)} == {
            (f"{BASE}/library/NO-1990002", "http://id.loc.gov/vocabulary/languages/sme"): (1, 1)}
    finally:
        store.close()


def test_void_lists_the_cube_and_the_example_query_answers(catalogue):
    from portal.views.sparql import EXAMPLES
    settings, store = catalogue
    with Server(settings) as srv:
        web = srv.app.test_client()
        void = web.get("/.well-known/void.nt").get_data(as_text=True)
        cube = f"<{BASE}/statistics/holdings-by-language>"
        assert f"<{BASE}/dataset> <http://rdfs.org/ns/void#subset> {cube} ." in void
        assert f"{cube} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://purl.org/linked-data/cube#DataSet> ." in void
        example = dict((key, text) for key, _title, text in EXAMPLES)["books-per-language"]
        answer = web.get("/sparql?" + urlencode({"query": example}),
                         headers={"Accept": "application/sparql-results+json"})
        assert answer.status_code == 200, answer.get_data(as_text=True)
        bindings = json.loads(answer.data)["results"]["bindings"]
        got = {(b["library"]["value"], b["language"]["value"], int(b["instances"]["value"]), int(b["items"]["value"]))
               for b in bindings}
        from transform.holdings import library_iri
        from vocab.libraries import directory
        names = {library_iri(BASE, lib): lib.name for lib in directory(settings).libraries()}
        expected = {(names.get(o.library, o.library), o.language, o.instances, o.items)
                    for o in stats.observations(store.engine)}
        assert "Universitetsbiblioteket, UiT Norges arktiske universitet" in {lib for lib, *_ in got}
        assert got == expected and any(lang.endswith("/sme") for _lib, lang, *_ in got)
