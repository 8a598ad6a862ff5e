"""Benchmark of MARC21 → BIBFRAME conversion on real Library of Congress records.

Uses `BooksAll.2016.part01.utf8` (250,000 LC records, public domain) from the pymarc 5.4.0 source
distribution, downloaded once into bench/.cache/; the first `--records` of them are copied into a sample
file, read by the project's MARC file reader as `grenselos convert` reads a file (`bench.lc_data.lc_records`).
Prints records/s for reading alone and for read + convert + N-Triples, triples per record, latency
percentiles per record and peak memory.

    .venv/bin/python bench/convert.py [--records 20000] [--profile]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.lc_data import lc_records, lc_sample  # noqa: E402


def parse_only(sample: Path) -> tuple[int, float]:
    start = time.perf_counter()
    count = sum(1 for item in lc_records(sample) if item.record is not None)
    return count, time.perf_counter() - start


def full(sample: Path):
    from transform.convert import ConvertContext, Converter
    from transform import readings
    from transform.serialize import serialize

    converter = Converter("http://localhost:5000")
    latencies, triples, lost, out_bytes = [], 0, 0, 0
    reader = lc_records(sample)
    start = time.perf_counter()
    position = 0
    while True:
        t0 = time.perf_counter()
        try:
            record = next(reader).record
        except StopIteration:
            break
        position += 1
        if record is None:
            lost += 1
            continue
        rid = readings.first(record, "record.id").replace(" ", "_") or f"n{position}"
        result = converter.convert(record, ConvertContext("lc", rid))
        out_bytes += len(serialize(result.triples, "nt"))
        triples += len(result.triples)
        latencies.append(time.perf_counter() - t0)
    return position, lost, triples, out_bytes, latencies, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--profile", action="store_true", help="print the top functions (cProfile)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / "lc.mrc"
        lc_sample(args.records, sample)
        run(sample, args.profile)


def run(sample: Path, profile: bool) -> None:
    count, seconds = parse_only(sample)
    print(f"parse only (harvest.reader):      {count} records in {seconds:.2f} s = {count / seconds:,.0f} records/s")

    if profile:
        import cProfile
        import pstats
        prof = cProfile.Profile()
        prof.enable()
    n, lost, triples, out_bytes, lat, seconds = full(sample)
    if profile:
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    lat.sort()
    converted = n - lost
    print(f"parse + convert + N-Triples:      {converted} records in {seconds:.2f} s = "
          f"{converted / seconds:,.0f} records/s")
    print(f"records read {n}, unreadable {lost}, converted {converted} (none lost: {n == converted + lost})")
    print(f"triples/record {triples / max(converted, 1):.1f}; N-Triples {out_bytes / 1e6:.1f} MB")
    print(f"per record p50 {lat[len(lat) // 2] * 1e3:.2f} ms, p95 {lat[int(len(lat) * 0.95)] * 1e3:.2f} ms")
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
