"""Search benchmark: latency p50/p95 of a query mix with 6 facets and a filter, tantivy and Solr side
by side, on the indexes bench/index.py built (same --docs). Prints queries/s and peak memory.

    .venv/bin/python bench/index.py --docs 100000 && .venv/bin/python bench/search.py --docs 100000
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search_corpus import ROOT, base_documents  # noqa: E402

from index.query import Facet, Filter, Query, Range, RangeFacet, language_facet  # noqa: E402
from index.text import words  # noqa: E402

OUT = ROOT / "bench" / "out"
FACETS = (language_facet(10), Facet("format"), Facet("audience"), Facet("library", 20), Facet("availability"),
          RangeFacet("year", ((None, 1899), (1900, 1949), (1950, 1999), (2000, 2009), (2010, None))))
FILTERS = (Filter("library_kind", ("public",)), Filter("language", ("nob", "nno")), Range("year", 1950, None),
           Filter("availability", ("available",)), Filter("format", ("book",)))


def query_mix(n: int, seed: int = 3) -> list[Query]:
    """Common and rare words, two-word titles, authors, ISBNs, browse-only: each with 6 facets + a filter."""
    rng = random.Random(seed)
    docs = base_documents(20_000)
    out = []
    for i in range(n):
        doc = rng.choice(docs)
        title_words = [w for w in words(doc.title) if len(w) > 3] or ["history"]
        kind = i % 6
        if kind == 0:
            text = rng.choice(title_words)
        elif kind == 1:
            text = " ".join(title_words[:2])
        elif kind == 2:
            text = (words(doc.contributors[0])[:1] or ["smith"])[0] if doc.contributors else "smith"
        elif kind == 3:
            text = rng.choice(("history", "poems", "united states", "norway", "sami", "children"))
        elif kind == 4:
            text = doc.isbns[0] if doc.isbns else rng.choice(title_words)
        else:
            text = ""
        out.append(Query(text=text, facets=FACETS, filters=(FILTERS[i % len(FILTERS)],), limit=20,
                         group=i % 4 == 0, sort="relevance" if text else "newest"))
    return out


def open_backend(kind: str, args, cache: bool):
    seconds = 30.0 if cache else 0.0
    if kind == "tantivy":
        from index.tantivy_backend import TantivyBackend
        return TantivyBackend(OUT / f"tantivy-{args.docs}", facet_cache_seconds=seconds)
    from index.solr_backend import SolrBackend
    return SolrBackend(f"{args.solr_url.rstrip('/')}/bench_{args.docs}", facet_cache_seconds=seconds)


def measure(kind: str, queries: list[Query], args, cache: bool) -> dict:
    backend = open_backend(kind, args, cache)
    count = backend.count()
    for q in queries[: args.warmup]:
        backend.search(q)
    times = []
    t0 = time.perf_counter()
    for q in queries:
        t = time.perf_counter()
        backend.search(q)
        times.append((time.perf_counter() - t) * 1000)
    wall = time.perf_counter() - t0
    times.sort()
    return {"backend": kind + (" (facet cache)" if cache else " (no cache)"), "docs": count, "p50": statistics.median(times),
            "p95": times[int(len(times) * 0.95) - 1], "max": times[-1], "qps": len(times) / wall}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--docs", type=int, default=100_000)
    p.add_argument("--queries", type=int, default=300)
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--backends", default="tantivy,solr")
    p.add_argument("--solr-url", default=os.environ.get("GRENSELOS_TEST_SOLR_URL", ""))
    args = p.parse_args()
    queries = query_mix(args.queries)
    print(f"{len(queries)} queries, 6 facets + 1 filter each, 1 in 4 grouped by work")
    for kind in args.backends.split(","):
        if kind == "solr" and not args.solr_url:
            print("bench: no Solr URL (GRENSELOS_TEST_SOLR_URL); Solr skipped")
            continue
        for cache in (False, True):
            r = measure(kind, queries, args, cache)
            print(f"{r['backend']:22} {r['docs']:>9} docs  p50 {r['p50']:6.1f} ms  p95 {r['p95']:6.1f} ms  "
                  f"max {r['max']:6.1f} ms  {r['qps']:6.1f} queries/s", flush=True)
    print(f"peak memory (this process, incl. tantivy): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
