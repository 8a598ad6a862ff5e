"""Measure copy cataloguing from the ISBN scan to a copy the portal's search API shows.

    .venv/bin/python bench/copy_cataloguing.py [--data ../shared/data] [--scans 20] [--json]

Builds a catalogue on the embedded default (SQLite + tantivy) with the Koha sample records
(../shared/data/koha-misc4dev) as the national bibliography source, and a library with a staff account.
Each scan is what the staff page does: `POST /api/staff/copies` with an ISBN of the national source, a new
barcode and a shelf (the best record chosen, the library's own record written and converted), then the
applier's incremental index run, then the record page's JSON asked until it shows the copy.
Prints p50/p95/max of the whole path and of its parts (goal: ≤ 2 s).
"""

from __future__ import annotations

import argparse
import base64
import json
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
from transform.pipeline import run_transform  # noqa: E402
from transform.tables import cluster_keys  # noqa: E402

KOHA = "koha-misc4dev/koha_sample_biblios_with_952_items.marcxml"
USER, PASSWORD = "bench-librarian", "bench-password-0123456789"


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--scans", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="grenselos-catalogue-bench-"))
    settings = from_dict({"data_dir": str(tmp), "base_uri": "http://data.grenselos.test",
                          "search": {"facet_cache_seconds": 0},
                          "sources": [{"id": "nb", "name": "Nasjonalbibliografien", "kind": "national",
                                       "holdings": "koha-952"},
                                      {"id": "tromso", "name": "Tromsø bibliotek", "municipality": "Tromsø",
                                       "holdings": "marc-852", "isil": "NO-1902000"}]})
    store = RecordStore(settings.database_url)
    import_files(store, settings.source("nb"), [args.data / KOHA])
    run_transform(settings, store, progress=False)
    backend = TantivyBackend(settings.data_dir / "index", writer_heap=50_000_000, writer_threads=1)
    index_changes(settings, store, backend)
    from accounts.store import Accounts
    from core.settings import StaffSettings
    accounts = Accounts.open(settings.database_url, StaffSettings())
    accounts.add(USER, "tromso", "librarian", PASSWORD)
    accounts.engine.dispose()
    from portal.app import create_app
    app = create_app(settings, {"TESTING": True, "SECRET_KEY": "bench" * 8})
    client = app.test_client()
    auth = {"Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}
    with store.engine.connect() as conn:
        isbns = sorted({r.key[5:] for r in conn.execute(select(cluster_keys.c.key).where(
            cluster_keys.c.source == "nb", cluster_keys.c.key.like("isbn:%")))})
    if len(isbns) < args.scans:
        raise SystemExit(f"only {len(isbns)} ISBNs in the sample")
    whole, api_ms, index_ms, visible_ms = [], [], [], []
    for n, isbn in enumerate(isbns[:args.scans]):
        barcode, shelf = f"0301{n:07d}", f"Bench {n:04d}"
        started = time.perf_counter()
        answer = client.post("/api/staff/copies", json={"isbn": isbn, "barcode": barcode, "call_number": shelf},
                             headers=auth)
        if answer.status_code != 201:
            raise SystemExit(f"{isbn}: {answer.status_code} {answer.get_data(as_text=True)}")
        catalogued = time.perf_counter()
        index_changes(settings, store, backend)
        indexed = time.perf_counter()
        doc_id = answer.get_json()["local_record"]["id"]
        deadline = indexed + 10
        while True:
            body = client.get(f"/record/{doc_id}.json").get_data(as_text=True)
            if shelf in body:           # the record page's copies come from the search document
                break
            if time.perf_counter() > deadline:
                raise SystemExit(f"copy {barcode} not visible after 10 s")
            time.sleep(0.005)
        done = time.perf_counter()
        whole.append((done - started) * 1000)
        api_ms.append((catalogued - started) * 1000)
        index_ms.append((indexed - catalogued) * 1000)
        visible_ms.append((done - indexed) * 1000)
    backend.close()
    store.close()
    result = {"scans": args.scans,
              "scan_to_search_ms": {"p50": round(statistics.median(whole), 1), "p95": round(pct(whole, 95), 1),
                                    "max": round(max(whole), 1)},
              "api_ms": {"p50": round(statistics.median(api_ms), 1), "p95": round(pct(api_ms, 95), 1)},
              "index_ms": {"p50": round(statistics.median(index_ms), 1), "p95": round(pct(index_ms, 95), 1)},
              "visible_after_index_ms_p95": round(pct(visible_ms, 95), 1)}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    s = result["scan_to_search_ms"]
    print(f"{args.scans} scans (SQLite + tantivy, embedded default, {len(isbns)} national ISBNs)")
    print(f"ISBN + barcode → the record page shows the copy: p50 {s['p50']} ms, p95 {s['p95']} ms, max {s['max']} ms "
          f"(goal ≤ 2000 ms)")
    print(f"  of which: POST /api/staff/copies p50 {result['api_ms']['p50']} / p95 {result['api_ms']['p95']} ms, "
          f"incremental index p50 {result['index_ms']['p50']} / p95 {result['index_ms']['p95']} ms")


if __name__ == "__main__":
    main()
