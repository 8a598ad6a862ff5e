"""Measure how long a copy's status takes from the copies table to what the portal's search API shows.

    .venv/bin/python bench/status_to_search.py [--data ../shared/data] [--writes 40] [--json]

Builds a catalogue on the embedded default (SQLite + tantivy) from the Koha sample records with their
958 embedded 952 items (../shared/data/koha-misc4dev), as one library lending through Grenseløs would
have it, then repeats: write one copy's status (on loan / available, as the circulation desk does),
run the incremental index (`grenselos index`: only the records whose copies changed), and ask the
portal (a real Flask app over the same index, `/api/record/<id>`, which serves the search document's copies)
until it shows the new status.
Prints p50/p95/max of the whole path and of its parts, documents re-indexed per write, and peak memory.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from core.settings import from_dict  # noqa: E402
from harvest.files import import_files  # noqa: E402
from harvest.store import RecordStore  # noqa: E402
from index.pipeline import index_changes  # noqa: E402
from index.tantivy_backend import TantivyBackend  # noqa: E402
from transform import copies as copies_store  # noqa: E402
from transform.pipeline import run_transform  # noqa: E402
from transform.tables import transform_records  # noqa: E402

KOHA = "koha-misc4dev/koha_sample_biblios_with_952_items.marcxml"


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--writes", type=int, default=40)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="grenselos-status-bench-"))
    settings = from_dict({"data_dir": str(tmp), "base_uri": "http://data.grenselos.test", "search":
                          {"facet_cache_seconds": 0},
                          "sources": [{"id": "tromso", "name": "Tromsø bibliotek", "municipality": "Tromsø",
                                       "holdings": "koha-952", "isil": "NO-1902000"}]})
    store = RecordStore(settings.database_url)
    import_files(store, settings.source("tromso"), [args.data / KOHA])
    run_transform(settings, store, progress=False)
    backend = TantivyBackend(settings.data_dir / "index", writer_heap=50_000_000, writer_threads=1)
    index_changes(settings, store, backend)

    from portal.app import create_app
    app = create_app(settings, {"TESTING": True, "SECRET_KEY": "bench" * 8})
    client = app.test_client()
    with store.engine.connect() as conn:
        copies = [r for r in conn.execute(select(copies_store.copies)) if r.item_id]
        ids = dict(conn.execute(select(transform_records.c.identifier, transform_records.c.record_id)
                                .where(transform_records.c.source == "tromso")).all())
    rng = random.Random(7)
    whole, write_ms, index_ms, visible_ms, reindexed = [], [], [], [], []
    for n in range(args.writes):
        copy = rng.choice(copies)
        status = "on_loan" if n % 2 == 0 else "available"
        due = "2026-12-24" if status == "on_loan" else ""
        doc_id = f"tromso-{ids[copy.identifier]}"
        started = time.perf_counter()
        with store.engine.begin() as conn:
            copies_store.set_status(conn, copy.id, status, due)
        written = time.perf_counter()
        summary = index_changes(settings, store, backend)
        indexed = time.perf_counter()
        reindexed.append(summary.indexed)
        deadline = indexed + 10
        while True:
            body = client.get(f"/api/record/{doc_id}").get_json()
            found = [c for h in body["record"]["holdings"] for c in h.get("copies", []) if c.get("id") == copy.id]
            if found and found[0]["status"] == status:
                break
            if time.perf_counter() > deadline:
                raise SystemExit(f"status of copy {copy.id} not visible after 10 s")
            time.sleep(0.005)
        done = time.perf_counter()
        whole.append((done - started) * 1000)
        write_ms.append((written - started) * 1000)
        index_ms.append((indexed - written) * 1000)
        visible_ms.append((done - indexed) * 1000)
    backend.close()
    store.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "writes": args.writes, "copies": len(copies),
        "status_to_search_ms": {"p50": round(statistics.median(whole), 1), "p95": round(pct(whole, 95), 1),
                                "max": round(max(whole), 1)},
        "write_ms_p50": round(statistics.median(write_ms), 1),
        "index_ms": {"p50": round(statistics.median(index_ms), 1), "p95": round(pct(index_ms, 95), 1)},
        "visible_after_index_ms_p95": round(pct(visible_ms, 95), 1),
        "documents_reindexed_per_write": sorted(set(reindexed)),
        "peak_mb": round(peak, 1),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    s = result["status_to_search_ms"]
    print(f"{args.writes} status writes over {len(copies)} copies (SQLite + tantivy, embedded default)")
    print(f"status write → /api/record shows it: p50 {s['p50']} ms, p95 {s['p95']} ms, max {s['max']} ms "
          f"(goal p95 ≤ 2000 ms)")
    print(f"  of which: write {result['write_ms_p50']} ms (p50), incremental index p50 {result['index_ms']['p50']} / "
          f"p95 {result['index_ms']['p95']} ms, visible after index p95 {result['visible_after_index_ms_p95']} ms")
    print(f"documents re-indexed per write: {result['documents_reindexed_per_write']}; peak {result['peak_mb']} MB")


if __name__ == "__main__":
    main()
