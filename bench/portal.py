"""Portal speed: /api/search, the search page and record pages under concurrent clients on loopback.

Builds (once, cached in bench/.cache) an embedded tantivy index of synthetic documents — titles from a
small word list, 60 libraries, some works with holdings in all 60 — starts the real portal on a loopback
port and runs N client threads with keep-alive connections. Prints requests/s, client and server-side
(Server-Timing) p50/p95 per route, errors, and peak memory.

    .venv/bin/python bench/portal.py --records 100000 --clients 50 --seconds 20
"""

from __future__ import annotations

import argparse
import http.client
import random
import resource
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = ("hav fisk nord lys vinter sommer fjell elv bok barn historie kyst båt reise natt dag skog by "
         "mor far venn krig fred språk sang eventyr stjerne sol måne vind snø is reinsdyr sápmi girji "
         "mánná áhkku čáhci meahcci guolli kainu kieli meri talvi").split()
LANGS = ("nob", "nob", "nob", "nno", "eng", "sme", "smj", "sma", "fkv", "fin", "swe", "rus")
FORMATS = ("book", "book", "book", "ebook", "audiobook", "video", "music")
AUDIENCES = ("adult", "adult", "children", "young_adult")


def libraries(n: int = 60) -> list[dict]:
    kinds = ("public", "public", "school")
    return [{"id": f"lib{i:02d}", "name": f"Bibliotek {i:02d}", "isil": f"NO-20{i:05d}",
             "kind": kinds[i % 3], "municipality": f"Kommune {i % 20:02d}"} for i in range(n)]


def build_index(path: Path, count: int, libs: list[dict]) -> None:
    from index.document import Document, Holding
    from index.tantivy_backend import TantivyBackend
    rng = random.Random(42)
    backend = TantivyBackend(path)
    backend.clear()
    batch = []
    for n in range(count):
        work = n // 2 if n % 10 < 4 else n          # 40 % of records share a work with a neighbour
        held = libs if n % 1000 == 0 else rng.sample(libs, rng.randint(1, 4))
        holdings = tuple(Holding(library=lib["id"], municipality=lib["municipality"], kind=lib["kind"],
                                 items=rng.randint(1, 3), available=rng.randint(0, 1), call_number="839.8")
                         for lib in held)
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 5))).capitalize()
        batch.append(Document(
            id=f"{held[0]['id']}:{n}", work_id=f"w{work}", source=held[0]["id"], title=title,
            contributors=(f"{rng.choice(WORDS).capitalize()}, {rng.choice(WORDS).capitalize()}",),
            subjects={"humord": (rng.choice(WORDS).capitalize(),)}, year=rng.randint(1950, 2025),
            languages=(rng.choice(LANGS),), formats=(rng.choice(FORMATS),), audiences=(rng.choice(AUDIENCES),),
            holdings=holdings, work_libraries=len(holdings)))
        if len(batch) == 5000:
            backend.add(batch)
            batch = []
    if batch:
        backend.add(batch)
    backend.commit()
    backend.close()


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run(url: str, clients: int, seconds: float, record_ids: list[str]) -> dict:
    host, port = url.removeprefix("http://").split(":")
    rng = random.Random(7)
    results: dict[str, list[tuple[float, float]]] = {}
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def target() -> tuple[str, str]:
        word = rng.choice(WORDS)
        r = rng.random()
        if r < 0.45:
            return "api_search", f"/api/search?q={quote(word)}"
        if r < 0.6:
            return "api_search", f"/api/search?q={quote(word)}&filter=language:{rng.choice(LANGS)}&sort=newest"
        if r < 0.9:
            return "search_page", f"/search?q={quote(word)}&filter=library:lib{rng.randint(0, 59):02d}"
        return "record_page", f"/record/{quote(rng.choice(record_ids), safe=':')}"

    def client():
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        local: dict[str, list[tuple[float, float]]] = {}
        while time.monotonic() < stop:
            name, path = target()
            started = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                elapsed = (time.perf_counter() - started) * 1000
                server = float(response.getheader("Server-Timing", "app;dur=nan").split("dur=")[1])
                if response.status != 200:
                    with lock:
                        errors.append(f"{response.status} {path}")
                local.setdefault(name, []).append((elapsed, server))
            except Exception as exc:  # counted, never hidden
                with lock:
                    errors.append(f"{type(exc).__name__} {path}")
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.close()
        with lock:
            for name, values in local.items():
                results.setdefault(name, []).extend(values)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"results": results, "errors": errors, "elapsed": time.monotonic() - began}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args(argv)

    from grenselos.settings import from_dict
    from index.tantivy_backend import TantivyBackend
    from portal.app import create_app
    from portal.index_adapter import IndexSearchService
    from portal.serve import PortalServer

    cache = ROOT / "bench" / ".cache" / f"portal-{args.records}"
    libs = libraries()
    if args.rebuild or not (cache / "index" / "meta.json").exists():
        started = time.perf_counter()
        build_index(cache / "index", args.records, libs)
        print(f"built index of {args.records:,} records in {time.perf_counter() - started:.1f} s")
    settings = from_dict({"data_dir": str(cache / "data"), "sources": libs})
    backend = TantivyBackend(cache / "index")
    app = create_app(settings, {"SEARCH_SERVICE": IndexSearchService(backend), "SECRET_KEY": "bench-" + "x" * 40})
    import logging
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    record_ids = [f"lib00:{n}" for n in range(0, min(args.records, 60_000), 1000)]   # held by all 60
    with PortalServer(app, "127.0.0.1", 0) as server:
        run(server.url, 4, 2, record_ids)                     # warm up caches and the index readers
        out = run(server.url, args.clients, args.seconds, record_ids)
    total = sum(len(v) for v in out["results"].values())
    print(f"portal bench: {args.records:,} records, {args.clients} clients, {out['elapsed']:.1f} s, "
          f"{total / out['elapsed']:.0f} requests/s, errors {len(out['errors'])}")
    print(f"{'route':<13} {'n':>7} {'client p50':>11} {'client p95':>11} {'server p50':>11} {'server p95':>11}  (ms)")
    for name, values in sorted(out["results"].items()):
        client = [c for c, _ in values]
        server = [s for _, s in values]
        print(f"{name:<13} {len(values):>7} {statistics.median(client):>11.1f} {percentile(client, 95):>11.1f} "
              f"{statistics.median(server):>11.1f} {percentile(server, 95):>11.1f}")
    if out["errors"]:
        print("first errors:", out["errors"][:5])
    print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    backend.close()
    return 1 if out["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
