"""Measure the circulation core's transactions: checkout, renew and checkin p50/p95 and throughput, with
many copies and patrons, on SQLite and on PostgreSQL, from several threads at once.

    .venv/bin/python bench/circulation.py [--copies 100000] [--patrons 20000] [--threads 20] [--cycles 100]
        [--pg postgresql+psycopg://postgres@127.0.0.1:55432/postgres] [--json]

Each thread repeats a cycle (check out a random free copy to a random patron, renew it, check it in at its
home library) through `circulation.service.Circulation`, the door the desk, the patron API and SIP2 share;
the SIP2 side (20 kiosks over loopback) is the SIP2 server's own bench. With --pg a fresh database is made
on that server (and dropped afterwards); without it SQLite in a temporary folder. The issue's budget is
p95 ≤ 50 ms per transaction, and a throughput far above the region's busiest hour (about a million loans a
year: some 1 000 transactions an hour at the peak).

    .venv/bin/python bench/circulation.py --to-search 20 [--data ../shared/data] [--json]

measures instead the time from a checkout (and a checkin) to `/api/search` showing it, on the embedded
default as `grenselos serve` runs it: the Koha sample's 958 copies lending through Grenseløs, SQLite and
tantivy, the index applier (`grenselos.applier`: a cheap change check every 0.1 s, a full look every 2 s) in a background thread, and the portal
app answering `/api/search` for the record's title until its holdings' `available` count has moved.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, text  # noqa: E402

from accounts.passwords import hash_password  # noqa: E402
from circulation.service import Circulation  # noqa: E402
from circulation.tables import patrons  # noqa: E402
from core.db import engine_for, migrate  # noqa: E402
from core.settings import from_dict  # noqa: E402
from transform.copies import copies  # noqa: E402

LIBRARIES = ("tromso", "alta", "hammerfest", "vadso")


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def fill(engine, n_copies: int, n_patrons: int) -> None:
    now = datetime.now(timezone.utc)
    pin = hash_password("1234")
    with engine.begin() as conn:
        rows = []
        for n in range(n_copies):
            rows.append({"source": LIBRARIES[n % len(LIBRARIES)], "identifier": f"rec{n // 3}", "n": n % 3 + 1,
                         "item_id": f"B{n:07d}", "library": LIBRARIES[n % len(LIBRARIES)], "library_code": "",
                         "location": "", "call_number": "", "status": "available", "due_date": "", "note": "",
                         "status_source": "harvest", "updated_at": now})
            if len(rows) == 5000:
                conn.execute(insert(copies), rows)
                rows = []
        if rows:
            conn.execute(insert(copies), rows)
        rows = [{"card": f"N{n:09d}", "pin_hash": pin, "name": f"Patron {n}", "email": "", "phone": "",
                 "language": "nb", "library": LIBRARIES[n % len(LIBRARIES)], "category": "adult",
                 "status": "active", "block_reason": "", "keep_history": False, "pin_failures": 0, "tx_seq": 0,
                 "created_at": now, "updated_at": now} for n in range(n_patrons)]
        for start in range(0, len(rows), 5000):
            conn.execute(insert(patrons), rows[start:start + 5000])


def run(url: str, args, data_dir: str) -> dict:
    settings = from_dict({"database_url": url, "data_dir": data_dir, "sources": [
        {"id": lib, "name": lib.title(), "municipality": "", "circulation": True} for lib in LIBRARIES]})
    engine = engine_for(url)
    migrate(engine)
    started = time.perf_counter()
    fill(engine, args.copies, args.patrons)
    filled = time.perf_counter() - started
    circ = Circulation(engine, settings)
    timings = {"checkout": [], "renew": [], "checkin": []}
    failures = {"checkout": 0, "renew": 0, "checkin": 0}
    lock = threading.Lock()
    free = list(range(args.copies))
    random.Random(7).shuffle(free)

    def worker(seed: int) -> None:
        rnd = random.Random(seed)
        for _ in range(args.cycles):
            with lock:
                n = free.pop()
            barcode, card = f"B{n:07d}", f"N{rnd.randrange(args.patrons):09d}"
            home = LIBRARIES[n % len(LIBRARIES)]
            for name, call in (("checkout", lambda: circ.checkout(card, barcode, home, channel="sip2")),
                               ("renew", lambda: circ.renew(card, barcode, channel="sip2")),
                               ("checkin", lambda: circ.checkin(barcode, home))):
                t0 = time.perf_counter()
                result = call()
                elapsed = time.perf_counter() - t0
                with lock:
                    timings[name].append(elapsed)
                    failures[name] += not result.ok

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    engine.dispose()
    total = sum(len(v) for v in timings.values())
    return {"database": url.split(":", 1)[0], "copies": args.copies, "patrons": args.patrons,
            "threads": args.threads, "fill_seconds": round(filled, 1), "transactions": total,
            "per_second": round(total / wall, 1), "per_hour": round(total / wall * 3600),
            "failures": failures,
            **{name: {"p50_ms": round(statistics.median(v) * 1000, 1), "p95_ms": round(pct(v, 95) * 1000, 1),
                      "max_ms": round(max(v) * 1000, 1)} for name, v in timings.items()}}


def run_pg(args, data_dir: str) -> dict:
    name = "bench_" + uuid.uuid4().hex[:10]
    admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        return run(args.pg.rsplit("/", 1)[0] + "/" + name, args, data_dir)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def to_search(args) -> dict:
    """Checkout → search and checkin → search, p50/p95 (see the module docstring)."""
    from accounts.passwords import hash_password as _hash
    from circulation import patrons as patron_store
    from grenselos.applier import Applier
    from harvest.files import import_files
    from harvest.store import RecordStore
    from index.pipeline import index_changes
    from portal.app import create_app
    from transform.pipeline import run_transform
    from transform.tables import transform_records
    from sqlalchemy import select
    tmp = Path(tempfile.mkdtemp(prefix="grenselos-checkout-search-"))
    settings = from_dict({"data_dir": str(tmp), "base_uri": "http://data.grenselos.test",
                          "search": {"facet_cache_seconds": 0},
                          "sources": [{"id": "tromso", "name": "Tromsø bibliotek", "municipality": "Tromsø",
                                       "holdings": "koha-952", "isil": "NO-1902000", "circulation": True}]})
    store = RecordStore(settings.database_url)
    import_files(store, settings.source("tromso"), [args.data / "koha-misc4dev/koha_sample_biblios_with_952_items.marcxml"])
    run_transform(settings, store, progress=False)
    index_changes(settings, store)
    with store.engine.begin() as conn:
        patron_store.upsert(conn, patron_store.PatronInput(card="N000000001", pin="1234", name="Bench",
                                                           library="tromso", category="adult"), hash_pin=_hash)
        rows = [r for r in conn.execute(select(copies)) if r.item_id]
        ids = dict(conn.execute(select(transform_records.c.identifier, transform_records.c.record_id)).all())
    circ = Circulation(store.engine, settings)
    app = create_app(settings, {"TESTING": True, "SECRET_KEY": "bench" * 8})
    client = app.test_client()

    def available(doc_id: str, title: str):
        body = client.get("/api/search", query_string={"q": f'"{title}"', "page_size": 50}).get_json()
        hit = next((h for h in body.get("hits", []) if h["id"] == doc_id), None)
        return None if hit is None else sum(h.get("available", 0) for h in hit.get("holdings", []))

    rng = random.Random(7)
    rng.shuffle(rows)
    candidates = []
    for r in rows:
        doc_id = f"tromso-{ids.get(r.identifier)}"
        found = client.get(f"/api/record/{doc_id}").get_json() or {}
        title = (found.get("record") or {}).get("title", "")
        if title and '"' not in title and available(doc_id, title):
            candidates.append((r, doc_id, title))
        if len(candidates) >= args.to_search:
            break
    applier = Applier(settings).start()
    timings = {"checkout": [], "checkin": []}

    def wait(doc_id, title, expected, started):
        deadline = started + 30
        while available(doc_id, title) != expected:
            if time.perf_counter() > deadline:
                raise SystemExit(f"{doc_id} not visible in /api/search after 30 s")
            time.sleep(0.01)
        return (time.perf_counter() - started) * 1000

    try:
        for r, doc_id, title in candidates:
            before = available(doc_id, title)
            started = time.perf_counter()
            assert circ.checkout("N000000001", r.item_id, "tromso").ok
            timings["checkout"].append(wait(doc_id, title, before - 1, started))
            started = time.perf_counter()
            assert circ.checkin(r.item_id, "tromso").ok
            timings["checkin"].append(wait(doc_id, title, before, started))
    finally:
        applier.stop()
        store.close()
    return {"copies": len(rows), "trials": len(candidates), "applier_every_s": applier.every,
            "applier_check_every_s": applier.check_every,
            **{f"{k}_to_search_ms": {"p50": round(statistics.median(v), 1), "p95": round(pct(v, 95), 1),
                                     "max": round(max(v), 1)} for k, v in timings.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=100_000)
    parser.add_argument("--patrons", type=int, default=20_000)
    parser.add_argument("--threads", type=int, default=20)
    parser.add_argument("--cycles", type=int, default=100, help="check out, renew, check in: per thread")
    parser.add_argument("--pg", default="", help="a PostgreSQL server URL; a fresh database is made on it")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--to-search", type=int, default=0, metavar="N",
                        help="instead: N checkouts and checkins timed until /api/search shows them")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    if args.to_search:
        result = to_search(args)
        if args.json:
            print(json.dumps(result, indent=2))
            return
        print(f"{result['trials']} checkouts and checkins over {result['copies']} copies (SQLite + tantivy, "
              f"applier: change check every {result['applier_check_every_s']} s, full look every "
              f"{result['applier_every_s']} s)")
        for name in ("checkout", "checkin"):
            t = result[f"{name}_to_search_ms"]
            print(f"  {name} → /api/search shows it: p50 {t['p50']} ms  p95 {t['p95']} ms  max {t['max']} ms")
        return
    results = []
    with tempfile.TemporaryDirectory(prefix="grenselos-circulation-bench-") as tmp:
        results.append(run(f"sqlite:///{Path(tmp) / 'records.sqlite'}", args, tmp))
        if args.pg:
            results.append(run_pg(args, tmp))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for r in results:
        print(f"{r['database']}: {r['copies']} copies, {r['patrons']} patrons, {r['threads']} threads, "
              f"{r['transactions']} transactions, {r['per_second']}/s ({r['per_hour']}/h), failures {r['failures']}")
        for name in ("checkout", "renew", "checkin"):
            t = r[name]
            print(f"  {name:<8} p50 {t['p50_ms']} ms  p95 {t['p95_ms']} ms  max {t['max_ms']} ms")


if __name__ == "__main__":
    main()
