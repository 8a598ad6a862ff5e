"""Curated lists: server time of a list's page and of its Atom feed, with 100 lists of 50 titles.

Builds an embedded tantivy index of synthetic records (the same generator as bench/portal.py: titles from
a word list, 60 libraries, copies with statuses) in bench/.cache/lists-<records>, writes 100 published
lists of 50 randomly chosen titles each (with blurbs in two languages) into the SQLite database beside it,
and requests `/lists/<id>` and `/lists/<id>.atom` for random lists in process (Flask's test client: the
portal's own time, no network). Prints p50/p95/max per route: first for the first request of each list
(its titles looked up in the index: "cold"), then for random requests (titles reused for LIST_TTL seconds,
the list itself and the view counter still read and written per request). Goal: p95 ≤ 50 ms.

    .venv/bin/python bench/lists.py --records 200000 --requests 1000
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.portal import build_index, libraries  # noqa: E402

LISTS = 100
TITLES = 50


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()

    from core.settings import from_dict
    from lists.store import ListStore
    from portal.app import create_app

    cache = ROOT / "bench" / ".cache" / f"lists-{args.records}"
    libs = libraries()
    settings = from_dict({"data_dir": str(cache / "data"), "sources": libs})
    index_dir = cache / "data" / "index"
    if not (index_dir / "meta.json").exists():
        started = time.perf_counter()
        build_index(index_dir, args.records, libs)
        print(f"index of {args.records:,} records built in {time.perf_counter() - started:.0f} s")
    app = create_app(settings, {"SECRET_KEY": "bench-" + "x" * 40})
    store = ListStore(app.extensions["grenselos"]["sql"])
    rng = random.Random(7)
    existing = [c.id for c in store.all(limit=LISTS)]
    if len(existing) < LISTS:
        pool = _pool(app, args.records, rng)
        for n in range(LISTS - len(existing)):
            items = rng.sample(pool, TITLES)
            existing.append(store.create([libs[n % len(libs)]["id"]], {
                "title": {"nb": f"Liste {n}", "se": f"Listu {n}"}, "blurb": {"nb": "Gode bøker.", "se": "Buorre girjjit."},
                "items": [{"record": r, "blurb": {"nb": f"Om tittel {i}"}} for i, r in enumerate(items)],
                "audiences": ["adults"], "published": True}))
    client = app.test_client()
    for route in ("/lists/{}", "/lists/{}.atom"):
        app.extensions["grenselos"].pop("list_entries", None)        # cold: every list's titles looked up
        cold = []
        for list_id in existing:
            started = time.perf_counter()
            assert client.get(route.format(list_id)).status_code == 200
            cold.append((time.perf_counter() - started) * 1000)
        print(f"{route:16} first request per list ({len(cold)}): p50 {percentile(cold, 50):.1f} ms, "
              f"p95 {percentile(cold, 95):.1f} ms, max {max(cold):.1f} ms")
        times = []
        for _ in range(args.requests):
            url = route.format(rng.choice(existing))
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        print(f"{route:16} {args.requests} requests: p50 {percentile(times, 50):.1f} ms, "
              f"p95 {percentile(times, 95):.1f} ms, max {max(times):.1f} ms")
    print(f"{LISTS} lists of {TITLES} titles over {args.records:,} records")


def _pool(app, records: int, rng: random.Random) -> list[str]:
    """Public ids of a few thousand records spread over the index (pages at random offsets)."""
    from index.query import Query
    with app.app_context():
        from portal import services
        backend = services.search().backend
        out = []
        for _ in range(8):
            offset = rng.randrange(max(1, min(records, 100_000) - 1000))
            result = backend.search(Query(sort="newest", offset=offset, limit=1000).validate())
            out += [h.document.id for h in result.hits]
        return list(dict.fromkeys(out))


if __name__ == "__main__":
    main()
