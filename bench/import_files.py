"""Benchmark `grenselos import`: ISO 2709 records/s into a fresh SQLite store, batch latency, memory.

Usage: .venv/bin/python bench/import_files.py [FILE] [--limit N]
FILE defaults to the Library of Congress set from the pymarc 5.4.0 sdist (see ../shared/data/README.md),
cut to --limit records (default 50,000) so the run stays short; without it, a real damaged file from
the shared data (pride-and-prejudice-with-many-errors.mrc) is repeated to the same size.
Prints records/s for reading only and for reading + storing, p50/p95 per batch of 500, peak RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harvest import iso2709                        # noqa: E402
from harvest.files import import_files          # noqa: E402
from harvest.reader import read_records            # noqa: E402
from harvest.store import RecordStore              # noqa: E402

SHARED = Path(os.environ.get("GRENSELOS_SHARED", Path(__file__).resolve().parents[2] / "shared")) / "data"
from bench.lc_data import ensure_data   # noqa: E402


def sample(source: Path | None, limit: int, out: Path) -> Path:
    """A file of `limit` real records: the first records of `source`, or a damaged file repeated."""
    with open(out, "wb") as fh:
        if source and source.exists():
            data = source.read_bytes() if source.stat().st_size < 50_000_000 else open(source, "rb").read(
                limit * 2000)
            count = 0
            for chunk in iso2709.chunks(data):
                fh.write(chunk.data)
                count += 1
                if count >= limit:
                    break
            return out
        data = (SHARED / "marc4j/pride-and-prejudice-with-many-errors.mrc").read_bytes()
        for _ in range(max(1, limit // 383)):
            fh.write(data)
    return out


class TimedStore(RecordStore):
    latencies: list[float] = []

    def upsert(self, source, incoming):
        started = time.perf_counter()
        try:
            return super().upsert(source, incoming)
        finally:
            self.latencies.append(time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file", nargs="?", type=Path, default=None,
                        help="ISO 2709 file; default: the LC BooksAll records (fetched once)")
    parser.add_argument("--limit", type=int, default=50_000)
    args = parser.parse_args()
    args.file = args.file or ensure_data()
    with tempfile.TemporaryDirectory() as tmp:
        path = sample(args.file, args.limit, Path(tmp) / "sample.mrc")
        started = time.perf_counter()
        count = sum(1 for _ in read_records(path))
        read_s = time.perf_counter() - started
        store = TimedStore(f"sqlite:///{tmp}/records.sqlite")
        started = time.perf_counter()
        summary = import_files(store, "bench", [path])
        total_s = time.perf_counter() - started
        started = time.perf_counter()
        again = import_files(store, "bench", [path])
        again_s = time.perf_counter() - started
    lat = sorted(store.latencies)
    print(f"file: {args.file or 'pride-and-prejudice-with-many-errors.mrc (repeated)'}")
    print(f"records: {count} read, {summary.records} imported ({summary.quarantined} quarantined)")
    print(f"read + decode (no store):         {count / read_s:,.0f} records/s")
    print(f"import into SQLite:               {summary.records / total_s:,.0f} records/s")
    print(f"re-import (all unchanged):        {again.records / again_s:,.0f} records/s")
    print(f"upsert batch of 500: p50 {statistics.median(lat) * 1000:.1f} ms, "
          f"p95 {lat[int(len(lat) * 0.95) - 1] * 1000:.1f} ms")
    print(f"peak memory (ru_maxrss): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
