"""Harvest benchmark: real Library of Congress records over OAI-PMH on loopback into the record store.

    .venv/bin/python bench/harvest.py [--records 50000] [--page-size 200] [--db URL]

The records are `BooksAll.2016.part01.utf8` from the pymarc 5.4.0 source distribution (public domain),
fetched once with pip and converted to MARCXML into `bench/.cache/` (gitignored). The provider
(`harvest.loopback`) runs in a child process so that it does not share the harvester's interpreter;
the harvester runs here. Prints records/s stored, page time p50/p95, and peak memory (ru_maxrss)
sampled along the way, so that memory that grows with the number of records shows.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CACHE = ROOT / "bench" / ".cache"
from bench.lc_data import ensure_data  # noqa: E402


def loc_iso2709() -> Path:
    return ensure_data()


def loc_marcxml(count: int) -> Path:
    """One MARCXML record per line, converted once with pymarc and cached."""
    existing = sorted(CACHE.glob("loc-*.lines"), key=lambda p: int(p.stem.split("-")[1]))
    for path in existing:
        if int(path.stem.split("-")[1]) >= count:
            return path
    import pymarc
    source = loc_iso2709()
    target = CACHE / f"loc-{count}.lines"
    written = skipped = 0
    started = time.monotonic()
    with source.open("rb") as f, target.open("w", encoding="utf-8") as out:
        for record in pymarc.MARCReader(f, to_unicode=True, force_utf8=True, utf8_handling="replace"):
            if record is None:
                skipped += 1
                continue
            xml = pymarc.record_to_xml(record, namespace=True).decode("utf-8")
            out.write(xml.replace("\n", " ") + "\n")
            written += 1
            if written >= count:
                break
    print(f"converted {written} records to MARCXML in {time.monotonic() - started:.0f} s "
          f"({skipped} unreadable skipped) -> {target}", file=sys.stderr)
    return target


def _provider(lines: str, count: int, page_size: int, queue, stop) -> None:
    from harvest.loopback import LoopbackRecord, serve
    records = []
    with open(lines, encoding="utf-8") as f:
        for n, line in enumerate(f):
            if n >= count:
                break
            records.append(LoopbackRecord(f"oai:loc.gov:{n}", f"2016-{1 + n % 12:02d}-{1 + n % 28:02d}T12:00:00Z",
                                          line.rstrip("\n")))
    server = serve(records, page_size=page_size)
    server.provider.warm("marc21")
    queue.put(server.url)
    stop.wait()
    server.stop()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--page-size", type=int, default=200)
    parser.add_argument("--db", default="", help="SQLAlchemy URL of the store (default: a fresh SQLite file)")
    args = parser.parse_args(argv)

    converter = multiprocessing.Process(target=loc_marcxml, args=(args.records,))   # keeps pymarc's memory
    converter.start()                                                                # out of the figures
    converter.join()
    lines = loc_marcxml(args.records)
    queue, stop = multiprocessing.Queue(), multiprocessing.Event()
    child = multiprocessing.Process(target=_provider, args=(str(lines), args.records, args.page_size, queue, stop),
                                    daemon=True)
    child.start()
    url = queue.get(timeout=600)

    from core.settings import from_dict
    from harvest.oai import harvest_source
    from harvest.progress import Progress
    from harvest.store import RecordStore

    class Timing(Progress):
        """Per-page wall times and memory samples, taken from the harvester's progress calls."""

        def __init__(self):
            super().__init__("bench", enabled=False)
            self.last, self.pages, self.memory = time.monotonic(), [], []

        def update(self, pages, records, total=None, note=""):
            now = time.monotonic()
            self.pages.append(now - self.last)
            self.last = now
            self.memory.append((records, peak_mb()))

    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or f"sqlite:///{tmp}/records.sqlite"
        settings = from_dict({"data_dir": tmp, "database_url": db, "harvest": {"timeout": 60},
                              "sources": [{"id": "loc", "name": "Library of Congress (bench)", "oai_url": url,
                                           "granularity": "YYYY-MM-DDThh:mm:ssZ"}]})
        store = RecordStore(db)
        baseline = peak_mb()
        timing = Timing()
        started = time.monotonic()
        summary = harvest_source(settings, store, settings.sources[0], full=True, progress=timing)
        elapsed = time.monotonic() - started
        stored = store.status().get("loc", {}).get("records", 0)
        store.close()
    stop.set()
    child.join(timeout=10)

    print(summary.line())
    if summary.failed:
        return 1
    page_ms = sorted(t * 1000 for t in timing.pages)
    p95 = page_ms[min(len(page_ms) - 1, int(len(page_ms) * 0.95))]
    print(f"records stored: {stored} of {args.records} in {elapsed:.1f} s = {stored / elapsed:,.0f} records/s")
    print(f"pages: {len(page_ms)} of {args.page_size}; page time p50 {statistics.median(page_ms):.1f} ms, "
          f"p95 {p95:.1f} ms")
    marks = [timing.memory[max(0, int(len(timing.memory) * q) - 1)] for q in (0.25, 0.5, 0.75, 1.0)]
    samples = ", ".join(f"after {n} records {mb:.0f} MB" for n, mb in marks)
    print(f"peak memory (ru_maxrss): {peak_mb():.0f} MB (before harvest {baseline:.0f} MB; {samples})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
