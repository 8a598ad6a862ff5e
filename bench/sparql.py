"""Benchmark of the linked-data side on real Library of Congress records (BooksAll.2016.part01.utf8).

Converts N records with the real converter (spread over three synthetic libraries so the GROUP BY
has holdings to group), bulk-loads one named graph per record into an on-disk Oxigraph store, then
prints p50/p95 for a resource lookup, a DESCRIBE, a language-by-library GROUP BY and a text FILTER,
the same queries on an in-memory rdflib graph of a subset, and the streamed gzip dump with peak
memory before and after (flat memory means the dump adds nothing that grows with the data).

The GROUP BY is timed three ways, each labelled: `group_by` is the issue's query as written (property
path, over the union default graph); `group_by_2pat` the same with `bf:hasItem` and `bf:heldBy` as two
patterns; `stats_region` and `stats_library` read the statistics graph (`transform/statistics.py`)
that the transform stage keeps, built here the way the pipeline builds it (facts per record into SQL
while converting, then `statistics.write`), and its cost is printed. The bench checks that
`stats_region` gives the same numbers as `group_by`.

    .venv/bin/python bench/sparql.py --records 250000 [--rdflib-records 20000] [--runs 20]
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.lc_data import lc_records  # noqa: E402

BASE = "http://bench.grenselos.test"
LIBS = (("tromso", "NO-1990001", "Tromsø"), ("alta", "NO-1990003", "Alta"), ("vadso", "NO-1990004", "Vadsø"))
PREFIX = "PREFIX bf: <http://id.loc.gov/ontologies/bibframe/>\nPREFIX schema: <https://schema.org/>\n"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def convert(n: int):
    """Yield (graph name, triples, instance uri, source, record id) for the first n readable records."""
    from pyoxigraph import NamedNode, Triple
    from transform import readings
    from transform.convert import ConvertContext, Converter
    conv = Converter(BASE)
    held_by = NamedNode("http://id.loc.gov/ontologies/bibframe/heldBy")
    item_cls = NamedNode("http://id.loc.gov/ontologies/bibframe/Item")
    rdf_type = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    has_item = NamedNode("http://id.loc.gov/ontologies/bibframe/hasItem")
    count = 0
    for read in lc_records():
        record = read.record
        if record is None:
            continue
        lib = LIBS[count % len(LIBS)]
        rid = (readings.first(record, "record.id") or str(count)).replace(" ", "")
        try:
            result = conv.convert(record, ConvertContext(lib[0], rid, isil=lib[1]))
        except Exception:  # noqa: BLE001 - a record the converter refuses is skipped in the benchmark
            continue
        triples = list(result.triples)
        inst = NamedNode(result.instance_uri)
        item = NamedNode(result.instance_uri + "/item/b1")
        triples += [Triple(inst, has_item, item), Triple(item, rdf_type, item_cls),
                    Triple(item, held_by, NamedNode(f"{BASE}/library/{lib[1]}"))]
        yield NamedNode(f"{BASE}/graph/{lib[0]}-{rid}"), triples, result.instance_uri, lib[0], rid
        count += 1
        if count >= n:
            return


GROUP_BY_2PAT = PREFIX + """SELECT ?region ?lang (COUNT(?inst) AS ?n) WHERE {
  ?work bf:language ?lang ; bf:hasInstance ?inst . ?inst bf:hasItem ?item . ?item bf:heldBy ?lib .
  ?lib schema:addressRegion ?region } GROUP BY ?region ?lang"""
STATS = PREFIX + "PREFIX stat: <https://data.grenselos.no/def/statistics#>\n"
STATS_REGION = STATS + """SELECT ?region ?lang (SUM(?items) AS ?n) WHERE {
  ?obs stat:library ?lib ; stat:language ?lang ; stat:items ?items . ?lib schema:addressRegion ?region }
GROUP BY ?region ?lang"""


def statistics_queries():
    from portal.views.sparql import EXAMPLES
    example = next(text for key, _title, text in EXAMPLES if key == "books-per-language")
    return {"group_by_2pat": lambda: GROUP_BY_2PAT, "stats_region": lambda: STATS_REGION,
            "stats_library": lambda: example}


def keyed(rows) -> dict:
    return {(r["region"].value, r["lang"].value): int(r["n"].value) for r in rows}


def statistics_db(tmp: Path):
    """A SQLite database with the two tables `statistics.write` reads, as the pipeline leaves them."""
    from sqlalchemy import create_engine
    from transform import statistics as stats
    from transform.tables import transform_records
    engine = create_engine(f"sqlite:///{tmp / 'transform.sqlite'}")
    stats.facts_table.metadata.create_all(engine, tables=[transform_records, stats.facts_table])
    return engine


def keep_facts(engine, batch: list) -> None:
    """What the pipeline does per batch: transform_records rows, then statistics.replace_facts."""
    from datetime import datetime, timezone
    from sqlalchemy import insert
    from transform import statistics as stats
    from transform.tables import transform_records
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        conn.execute(insert(transform_records), [
            {"source": source, "identifier": rid, "record_id": rid, "status": "ok", "triples": len(triples),
             "updated_at": now} for source, rid, triples in batch])
        for source in {b[0] for b in batch}:
            facts = {rid: stats.record_facts(triples, BASE) for src, rid, triples in batch if src == source}
            stats.replace_facts(conn, source, facts, facts)


def queries(instances: list[str]):
    rnd = random.Random(1)
    return {
        "lookup": lambda: f"SELECT ?p ?o WHERE {{ <{rnd.choice(instances)}> ?p ?o }}",
        "describe": lambda: f"DESCRIBE <{rnd.choice(instances)}>",
        "group_by": lambda: PREFIX + """SELECT ?region ?lang (COUNT(?inst) AS ?n) WHERE {
  ?work bf:language ?lang ; bf:hasInstance ?inst . ?inst bf:hasItem/bf:heldBy ?lib .
  ?lib schema:addressRegion ?region } GROUP BY ?region ?lang""",
        "text_filter": lambda: PREFIX + """SELECT ?inst ?t WHERE { ?inst bf:title/bf:mainTitle ?t .
  FILTER(CONTAINS(LCASE(STR(?t)), "history")) } LIMIT 100""",
    }


def time_queries(run, qs, runs: int, heavy_runs: int) -> dict:
    out = {}
    for name, make in qs.items():
        n = heavy_runs if name in ("group_by", "group_by_2pat", "text_filter") else runs
        times = []
        for _ in range(n):
            q = make()
            started = time.perf_counter()
            rows = run(q)
            times.append((time.perf_counter() - started) * 1000)
        out[name] = (pct(times, 50), pct(times, 95), rows)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--rdflib-records", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--heavy-runs", type=int, default=5)
    args = parser.parse_args()

    from pyoxigraph import Literal, NamedNode, Quad, Triple
    from transform import statistics as stats
    from transform.graphstore import GraphStore
    tmp = Path(tempfile.mkdtemp(prefix="bench-sparql-"))
    graph = GraphStore(tmp / "graph", BASE)
    store = graph.store
    engine = statistics_db(tmp)
    facts_batch, facts_s = [], 0.0
    subset = []
    instances = []
    started = time.perf_counter()
    batch = []
    records = 0
    for name, triples, inst, source, rid in convert(args.records):
        records += 1
        facts_batch.append((source, rid, triples))
        if len(facts_batch) >= 200:
            mark = time.perf_counter()
            keep_facts(engine, facts_batch)
            facts_s += time.perf_counter() - mark
            facts_batch = []
        instances.append(inst)
        if records <= args.rdflib_records:
            subset.extend(triples)
        batch.extend(Quad(t.subject, t.predicate, t.object, name) for t in triples)
        if len(batch) >= 200000:
            store.bulk_extend(batch)
            batch = []
    lib_graph = NamedNode(f"{BASE}/graph/libraries")
    for _id, isil, town in LIBS:
        lib = NamedNode(f"{BASE}/library/{isil}")
        region = "Troms" if town == "Tromsø" else "Finnmark"
        batch.append(Quad(lib, NamedNode("https://schema.org/addressRegion"), Literal(region), lib_graph))
        subset.append(Triple(lib, NamedNode("https://schema.org/addressRegion"), Literal(region)))
    store.bulk_extend(batch)
    if facts_batch:
        mark = time.perf_counter()
        keep_facts(engine, facts_batch)
        facts_s += time.perf_counter() - mark
    store.flush()
    load_s = time.perf_counter() - started
    print(f"loaded {records} records, {len(store)} quads in {load_s:.1f} s "
          f"({records / load_s:.0f} records/s incl. conversion), peak {peak_mb():.0f} MB")
    summary = stats.write(engine, graph)
    print(f"statistics graph: facts kept while converting {facts_s:.1f} s "
          f"({facts_s / max(load_s, 1e-9) * 100:.1f}% of the load); {summary.line()}")

    def ox(q):
        result = store.query(q, use_default_graph_as_union=True)
        return sum(1 for _ in result)

    for name, (p50, p95, rows) in time_queries(ox, {**queries(instances), **statistics_queries()},
                                               args.runs, args.heavy_runs).items():
        print(f"oxigraph {records:>7} records  {name:<13} p50 {p50:8.2f} ms  p95 {p95:8.2f} ms  rows {rows}")
    raw = keyed(store.query(queries(instances)["group_by"](), use_default_graph_as_union=True))
    codes = {k: v for k, v in raw.items() if k[1].startswith(stats.LANG_PREFIXES)}
    cube = keyed(store.query(STATS_REGION, use_default_graph_as_union=True))
    print(f"stats_region equals group_by's rows for language code IRIs: {codes == cube} ({len(cube)} of "
          f"{len(raw)} rows; the others are per-record bf:Language nodes of other 041 roles), "
          f"{sum(cube.values())} items")

    import rdflib
    from rdflib import Graph
    g = Graph()
    def term(t):
        if isinstance(t, NamedNode):
            return rdflib.URIRef(t.value)
        if isinstance(t, Literal):
            return rdflib.Literal(t.value, lang=t.language) if t.language else rdflib.Literal(t.value)
        return rdflib.BNode(t.value)
    for t in subset:
        g.add((term(t.subject), term(t.predicate), term(t.object)))
    sub_instances = instances[:args.rdflib_records]
    del subset

    def rl(q):
        return sum(1 for _ in g.query(q))

    for name, (p50, p95, rows) in time_queries(rl, queries(sub_instances), max(5, args.runs // 5), 2).items():
        print(f"rdflib   {min(records, args.rdflib_records):>7} records  {name:<13} p50 {p50:8.2f} ms  p95 {p95:8.2f} ms  rows {rows}")
    del g

    from transform.dumps import _write
    before = peak_mb()
    started = time.perf_counter()
    dump = _write(graph, tmp / "all.nt.gz", "all", store.named_graphs())
    seconds = time.perf_counter() - started
    print(f"dump: {dump.triples} triples, {dump.bytes / 1e6:.1f} MB gz in {seconds:.1f} s "
          f"({dump.triples / seconds:.0f} triples/s); peak memory before {before:.0f} MB, after {peak_mb():.0f} MB")
    del store
    graph.close()
    engine.dispose()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
