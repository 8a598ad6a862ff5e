"""Measure holds at county scale: placing a hold (p50/p95) and the nightly run (re-target, expire shelves,
choose lenders, refresh expected dates) with many open holds over many copies, on SQLite or PostgreSQL.

    .venv/bin/python bench/holds.py [--copies 1000000] [--holds 100000] [--patrons 50000] [--places 500]
        [--pg postgresql+psycopg://postgres@127.0.0.1:55432/postgres] [--json]

The issue's budget: placing a hold p95 ≤ 50 ms, the nightly run ≤ 60 s, with 100k open holds over 1M
copies. The fill writes copies (three per record, in four libraries, a third of them on loan), the
converted records in works of two, patrons, the open holds (record and work holds, on records whose
copies are mostly lent), and a book-boat route; then it times `Holds.place` through the same door the
patron API uses, and two nightly runs (the first chooses lenders and dates for every hold, the second is
the steady state: only what changed).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, text  # noqa: E402

from circulation import routes as route_store  # noqa: E402
from circulation.holds import Holds  # noqa: E402
from circulation.service import Circulation  # noqa: E402
from circulation.tables import holds, loans, patrons  # noqa: E402
from core.db import engine_for, migrate  # noqa: E402
from core.settings import from_dict  # noqa: E402
from transform.copies import copies  # noqa: E402
from transform.tables import transform_records  # noqa: E402

LIBRARIES = ("tromso", "alta", "hammerfest", "vadso")
CHUNK = 5000


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def _chunks(conn, table, rows):
    for start in range(0, len(rows), CHUNK):
        conn.execute(insert(table), rows[start:start + CHUNK])


def fill(engine, args) -> None:
    now = datetime.now(timezone.utc)
    rnd = random.Random(11)
    n_records = args.copies // 3
    with engine.begin() as conn:
        batch, lent = [], []
        for n in range(args.copies):
            record = n // 3
            source = LIBRARIES[record % len(LIBRARIES)]
            on_loan = record // 2 % 2 == 0 and n % 997 != 0   # half the works: every copy out (a few back)
            batch.append({"source": source, "identifier": f"rec{record}", "n": n % 3 + 1, "item_id": f"B{n:07d}",
                          "library": LIBRARIES[n % len(LIBRARIES)], "library_code": "", "location": "",
                          "call_number": "", "status": "on_loan" if on_loan else "available",
                          "due_date": "", "note": "", "status_source": "circulation", "updated_at": now})
            if on_loan:
                lent.append({"copy_id": n + 1, "barcode": f"B{n:07d}", "source": source,
                             "identifier": f"rec{record}", "patron_id": None, "patron_category": "adult",
                             "patron_library": source, "item_type": "book", "library": source, "desk": "",
                             "channel": "desk", "out_at": now, "due_date": date.today() + timedelta(days=n % 28),
                             "renewals": 0})
            if len(batch) == CHUNK:
                conn.execute(insert(copies), batch)
                batch = []
        if batch:
            conn.execute(insert(copies), batch)
        _chunks(conn, loans, lent)
        _chunks(conn, transform_records, [
            {"source": LIBRARIES[r % len(LIBRARIES)], "identifier": f"rec{r}", "record_id": f"r{r}",
             "cluster_id": f"w{r // 2}", "status": "ok", "triples": 1, "updated_at": now} for r in range(n_records)])
        _chunks(conn, patrons, [
            {"card": f"N{n:09d}", "pin_hash": "x", "name": f"Patron {n}", "email": "", "phone": "",
             "language": "nb", "library": LIBRARIES[n % len(LIBRARIES)], "category": "adult", "status": "active",
             "block_reason": "", "keep_history": False, "pin_failures": 0, "tx_seq": 0, "created_at": now,
             "updated_at": now} for n in range(args.patrons)])
        rows = []
        for n in range(args.holds):
            record = rnd.randrange(n_records // 4) * 4 + n % 2    # records of works whose copies are lent
            work = n % 10 < 3
            rows.append({"patron_id": n % args.patrons + 1, "level": "work" if work else "record",
                         "source": LIBRARIES[record % len(LIBRARIES)], "identifier": f"rec{record}",
                         "work_id": f"w{record // 2}" if work else None, "languages": "",
                         "queue_key": f"w{record // 2}", "pickup_library": LIBRARIES[n % len(LIBRARIES)],
                         "status": "placed", "placed_at": now - timedelta(seconds=args.holds - n),
                         # placing set a date; a tenth of them have passed it and are looked at again
                         "expected_on": date.today() + timedelta(days=-1 if n % 10 == 0 else 14),
                         "pickup_number": "", "updated_at": now})
        _chunks(conn, holds, rows)
        route_store.put(conn, "Bokbåten", "boat", ["tue", "thu"], ["tromso", "alta", "hammerfest"])
        route_store.put(conn, "Bokbussen", "bus", ["wed"], ["hammerfest", "vadso"])


def run(url: str, args, data_dir: str) -> dict:
    settings = from_dict({"database_url": url, "data_dir": data_dir, "sources": [
        {"id": lib, "name": lib.title(), "municipality": "", "circulation": True} for lib in LIBRARIES]})
    engine = engine_for(url)
    migrate(engine)
    started = time.perf_counter()
    fill(engine, args)
    filled = time.perf_counter() - started
    service = Holds(Circulation(engine, settings))
    started = time.perf_counter()
    first = service.run()
    first_s = time.perf_counter() - started
    # a catch-up: a tenth of the work holds lose their lender and a hundredth of the lent copies come back;
    # the next run chooses again for each: a measure of the per-hold cost, not a normal night
    with engine.begin() as conn:
        conn.execute(holds.update().where(holds.c.id % 10 == 0, holds.c.level == "work").values(
            assigned_copy_id=None, lender_library=None))
        back = conn.execute(copies.update().where(copies.c.id % 100 == 1, copies.c.status == "on_loan")
                            .values(status="available")).rowcount
    started = time.perf_counter()
    catch_up = service.run()
    catch_up_s = time.perf_counter() - started
    rnd = random.Random(5)
    timings, refused = [], 0
    n_records = args.copies // 3
    for n in range(args.places):
        record = rnd.randrange(n_records)
        card = f"N{rnd.randrange(args.patrons):09d}"
        kwargs = {"work": f"w{record // 2}"} if n % 3 == 0 else \
            {"record": f"{LIBRARIES[record % len(LIBRARIES)]}-r{record}"}
        t0 = time.perf_counter()
        result = service.place(card, pickup=LIBRARIES[n % len(LIBRARIES)], **kwargs)
        timings.append(time.perf_counter() - t0)
        refused += not result.ok
    started = time.perf_counter()
    second = service.run()
    second_s = time.perf_counter() - started
    engine.dispose()
    return {"database": url.split(":", 1)[0], "copies": args.copies, "open_holds": args.holds,
            "patrons": args.patrons, "fill_seconds": round(filled, 1),
            "place": {"count": len(timings), "refused": refused,
                      "p50_ms": round(statistics.median(timings) * 1000, 1),
                      "p95_ms": round(pct(timings, 95) * 1000, 1), "max_ms": round(max(timings) * 1000, 1)},
            "nightly_first": {"seconds": round(first_s, 1), **first.as_dict()},
            "nightly_catch_up": {"seconds": round(catch_up_s, 1), "copies_back": back, **catch_up.as_dict()},
            "nightly_steady": {"seconds": round(second_s, 1), **second.as_dict()}}


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=1_000_000)
    parser.add_argument("--holds", type=int, default=100_000)
    parser.add_argument("--patrons", type=int, default=50_000)
    parser.add_argument("--places", type=int, default=500)
    parser.add_argument("--pg", default="")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="grenselos-holds-bench-") as tmp:
        result = run_pg(args, tmp) if args.pg else run(f"sqlite:///{Path(tmp) / 'bench.sqlite'}", args, tmp)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    place, first, steady = result["place"], result["nightly_first"], result["nightly_steady"]
    print(f"{result['database']}: {result['copies']} copies, {result['open_holds']} open holds "
          f"(fill {result['fill_seconds']} s)")
    print(f"  place a hold: p50 {place['p50_ms']} ms, p95 {place['p95_ms']} ms, max {place['max_ms']} ms "
          f"({place['count']} placed, {place['refused']} refused)   budget p95 ≤ 50 ms")
    print(f"  nightly run, first: {first['seconds']} s ({first['assigned']} lenders chosen)   budget ≤ 60 s")
    catch = result["nightly_catch_up"]
    print(f"  nightly run, catch-up after {catch['copies_back']} copies came back: {catch['seconds']} s "
          f"({catch['assigned']} lenders chosen)")
    print(f"  nightly run, steady: {steady['seconds']} s ({steady['assigned']} lenders chosen)")


if __name__ == "__main__":
    main()
