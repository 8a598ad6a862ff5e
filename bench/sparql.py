"""Benchmark of the linked-data side on real Library of Congress records (BooksAll.2016.part01.utf8).

Converts N records with the real converter (spread over three synthetic libraries so the GROUP BY
has holdings to group), bulk-loads one named graph per record into an on-disk Oxigraph store, then
prints p50/p95 for a resource lookup, a DESCRIBE, a language-by-library GROUP BY and a text FILTER,
the same queries on an in-memory rdflib graph of a subset, and the streamed gzip dump with peak
memory before and after (flat memory means the dump adds nothing that grows with the data).

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

from bench.convert import ensure_data  # noqa: E402

BASE = "http://bench.grenselos.test"
LIBS = (("tromso", "NO-1990001", "Tromsø"), ("alta", "NO-1990003", "Alta"), ("vadso", "NO-1990004", "Vadsø"))
PREFIX = "PREFIX bf: <http://id.loc.gov/ontologies/bibframe/>\nPREFIX schema: <https://schema.org/>\n"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def convert(n: int):
    """Yield (graph name, triples, instance uri) for the first n readable records."""
    import pymarc
    from pyoxigraph import NamedNode, Triple
    from transform.convert import ConvertContext, Converter
    conv = Converter(BASE)
    held_by = NamedNode("http://id.loc.gov/ontologies/bibframe/heldBy")
    item_cls = NamedNode("http://id.loc.gov/ontologies/bibframe/Item")
    rdf_type = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    has_item = NamedNode("http://id.loc.gov/ontologies/bibframe/hasItem")
    count = 0
    with open(ensure_data(), "rb") as fh:
        for record in pymarc.MARCReader(fh, to_unicode=True, force_utf8=True, utf8_handling="replace"):
            if record is None:
                continue
            lib = LIBS[count % len(LIBS)]
            rid = (record["001"].data.strip() if record["001"] else str(count)).replace(" ", "")
            try:
                result = conv.convert(record, ConvertContext(lib[0], rid, isil=lib[1]))
            except Exception:  # noqa: BLE001 - a record the converter refuses is skipped in the benchmark
                continue
            triples = list(result.triples)
            inst = NamedNode(result.instance_uri)
            item = NamedNode(result.instance_uri + "/item/b1")
            triples += [Triple(inst, has_item, item), Triple(item, rdf_type, item_cls),
                        Triple(item, held_by, NamedNode(f"{BASE}/library/{lib[1]}"))]
            yield NamedNode(f"{BASE}/graph/{lib[0]}-{rid}"), triples, result.instance_uri
            count += 1
            if count >= n:
                return


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
        n = heavy_runs if name in ("group_by", "text_filter") else runs
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

    from pyoxigraph import Literal, NamedNode, Quad, Store, Triple
    tmp = Path(tempfile.mkdtemp(prefix="bench-sparql-"))
    store = Store(str(tmp / "graph"))
    subset = []
    instances = []
    started = time.perf_counter()
    batch = []
    records = 0
    for name, triples, inst in convert(args.records):
        records += 1
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
    store.flush()
    load_s = time.perf_counter() - started
    print(f"loaded {records} records, {len(store)} quads in {load_s:.1f} s "
          f"({records / load_s:.0f} records/s incl. conversion), peak {peak_mb():.0f} MB")

    def ox(q):
        result = store.query(q, use_default_graph_as_union=True)
        return sum(1 for _ in result)

    for name, (p50, p95, rows) in time_queries(ox, queries(instances), args.runs, args.heavy_runs).items():
        print(f"oxigraph {records:>7} records  {name:<12} p50 {p50:8.2f} ms  p95 {p95:8.2f} ms  rows {rows}")

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
        print(f"rdflib   {min(records, args.rdflib_records):>7} records  {name:<12} p50 {p50:8.2f} ms  p95 {p95:8.2f} ms  rows {rows}")
    del g

    from types import SimpleNamespace
    from transform.dumps import _write
    before = peak_mb()
    graph = SimpleNamespace(store=store, base_uri=BASE)
    started = time.perf_counter()
    dump = _write(graph, tmp / "all.nt.gz", "all", store.named_graphs())
    seconds = time.perf_counter() - started
    print(f"dump: {dump.triples} triples, {dump.bytes / 1e6:.1f} MB gz in {seconds:.1f} s "
          f"({dump.triples / seconds:.0f} triples/s); peak memory before {before:.0f} MB, after {peak_mb():.0f} MB")
    del store
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
