"""Measure the incremental transform: clustering alone, a first full run, a no-change run, a small change.

    .venv/bin/python bench/transform.py [--data ../shared/data] [--copies 4] [--db URL] [--json]
    .venv/bin/python bench/transform.py --lc 25000[,100000,...]

The Library of Congress test records (marcxml-lc, 949 records) are stored under `--copies` sources,
each copy with its own 001 as if several libraries held the same editions, so clustering has real
work to do (every record finds its twins in the other sources). Prints records/s for key extraction +
cluster assignment alone and for the whole pipeline (parse, keys, clusters, convert, Oxigraph write),
p50/p95 per batch, the time of a re-run with nothing changed and of a run after 100 changed records,
works formed, and peak memory (ru_maxrss).

`--lc N` is the pipeline at scale: the first N records of the 250,000 LC records (`bench/lc_data.py`,
ISO 2709) as one source, imported through the real importer, transformed, then indexed into the
embedded tantivy index, each stage timed (records/s, p50/p95 per transform batch) and end to end, with
peak memory (ru_maxrss). Several sizes (`--lc 25000,100000`) run one process each, so each peak is its own
and the figures show whether memory stays flat as N grows.
"""

from __future__ import annotations

import argparse
import glob
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lxml import etree  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from core.clock import now  # noqa: E402
from core.settings import from_dict  # noqa: E402
from harvest import marcxml  # noqa: E402
from harvest.marcdata import from_stored  # noqa: E402
from harvest.store import IncomingRecord, RecordStore  # noqa: E402
from transform import pipeline as pipeline_mod  # noqa: E402
from transform.cluster_keys import keys_for  # noqa: E402
from transform.clusters import Clusterer, Member  # noqa: E402
from transform.tables import clusters, transform_records  # noqa: E402


def lc_elements(data: Path) -> list:
    out = []
    for path in sorted(glob.glob(str(data / "marcxml-lc" / "**" / "*.xml"), recursive=True)):
        try:
            root = etree.parse(path).getroot()
        except etree.XMLSyntaxError:
            continue
        for el in marcxml.find_records(root):
            try:
                if marcxml.inspect(el).record_type == "bib":
                    out.append(el)
            except Exception:  # noqa: BLE001 - a broken test record is not part of the measurement
                continue
    return out


def copies_of(elements, copies: int):
    """(source, IncomingRecord) for each copy: same MARC, a different 001 per source."""
    for c in range(copies):
        batch = []
        for n, el in enumerate(elements):
            el = etree.fromstring(etree.tostring(el))
            control = next((ch for ch in el if ch.get("tag") == "001"), None)
            if control is not None:
                control.text = f"s{c}-{n}"
            xml = marcxml.serialize(el)
            batch.append(IncomingRecord(f"oai:lib{c}:{n}", marcxml=xml, checksum=marcxml.checksum(xml),
                                        control_number=f"s{c}-{n}", datestamp="2026-01-01"))
        yield f"lib{c}", batch


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0


def bench_clustering(elements, copies: int, url: str) -> dict:
    store = RecordStore(url)
    records = [from_stored(el) for el in elements]
    started = time.perf_counter()
    keys = [keys_for(r) for r in records]
    key_seconds = time.perf_counter() - started
    latencies, total = [], 0
    started = time.perf_counter()
    for c in range(copies):
        for start in range(0, len(keys), 200):
            t0 = time.perf_counter()
            with store.engine.begin() as conn:
                rows = [{"source": f"lib{c}", "identifier": str(n), "record_id": str(n), "status": "ok",
                         "triples": 0, "updated_at": now()} for n in range(start, min(start + 200, len(keys)))]
                conn.execute(insert(transform_records), rows)
                Clusterer(conn).assign([Member(f"lib{c}", str(n), str(n), keys[n])
                                        for n in range(start, min(start + 200, len(keys)))])
            latencies.append(time.perf_counter() - t0)
            total += len(rows)
    seconds = time.perf_counter() - started
    with store.engine.connect() as conn:
        works = conn.execute(select(func.count()).select_from(clusters)).scalar()
    store.close()
    return {"records": total, "keys_per_s": round(len(keys) / key_seconds), "assign_per_s": round(total / seconds),
            "batch_p50_ms": round(pct(latencies, 0.5) * 1000, 1), "batch_p95_ms": round(pct(latencies, 0.95) * 1000, 1),
            "works": works}


@contextmanager
def timed_batches():
    """For the block, every transform batch (`Pipeline._batch`) is timed: yields the list its seconds
    are appended to, one a batch."""
    latencies = []
    original = pipeline_mod.Pipeline._batch

    def timed(self, *args, **kwargs):
        t0 = time.perf_counter()
        original(self, *args, **kwargs)
        latencies.append(time.perf_counter() - t0)

    pipeline_mod.Pipeline._batch = timed
    try:
        yield latencies
    finally:
        pipeline_mod.Pipeline._batch = original


def bench_pipeline(elements, copies: int, url: str, tmp: Path) -> dict:
    sources = [{"id": f"lib{c}", "name": f"Library {c}"} for c in range(copies)]
    settings = from_dict({"data_dir": str(tmp / "data"), "base_uri": "http://bench.example",
                          "database_url": url, "sources": sources})
    store = RecordStore(url)
    for source, batch in copies_of(elements, copies):
        store.upsert(source, batch)
    with timed_batches() as latencies:
        t0, c0 = time.perf_counter(), cpu()
        first = pipeline_mod.run_transform(settings, store, progress=False)
        full_seconds, full_cpu = time.perf_counter() - t0, cpu() - c0
        t0 = time.perf_counter()
        again = pipeline_mod.run_transform(settings, store, progress=False)
        noop_seconds = time.perf_counter() - t0
        changed = []
        for row in list(store.iter_records("lib0"))[:100]:
            xml = re.sub(r'(<(?:\w+:)?subfield code="a">)([^<]*)', r"\1\2 (rev.)", row.marcxml, count=1)
            changed.append(IncomingRecord(row.identifier, marcxml=xml, control_number=row.control_number))
        store.upsert("lib0", changed)
        t0 = time.perf_counter()
        small = pipeline_mod.run_transform(settings, store, progress=False)
        small_seconds = time.perf_counter() - t0
    converted = sum(s.converted for s in first)
    with store.engine.connect() as conn:
        works = conn.execute(select(func.count()).select_from(clusters)).scalar()
    store.close()
    return {"records": converted, "errors": sum(s.errors for s in first),
            "triples": sum(s.triples for s in first),
            "full_records_per_s": round(converted / full_seconds), "full_seconds": round(full_seconds, 1),
            "full_records_per_cpu_s": round(converted / full_cpu),
            "batch_p50_ms": round(pct(latencies, 0.5) * 1000), "batch_p95_ms": round(pct(latencies, 0.95) * 1000),
            "noop_seconds": round(noop_seconds, 2), "noop_converted": sum(s.converted for s in again),
            "changed_100_seconds": round(small_seconds, 2), "changed_converted": sum(s.converted for s in small),
            "works": works}


def cpu() -> float:
    """CPU seconds of this process and its finished children: a figure the other engineers' load on the
    shared cores does not inflate as much as it does wall time."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def peak_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def bench_lc(n: int, tmp: Path) -> dict:
    """Import, transform and index the first `n` LC records as one source; seconds and peak memory per stage."""
    from bench.lc_data import lc_sample
    from harvest.files import import_files
    from index.pipeline import index_changes
    sample = tmp / "lc.mrc"
    count = lc_sample(n, sample)
    settings = from_dict({"data_dir": str(tmp / "data"), "base_uri": "http://bench.example",
                          "database_url": f"sqlite:///{tmp / 'lc.sqlite'}",
                          "sources": [{"id": "lc", "name": "Library of Congress"}]})
    store = RecordStore(settings.database_url)
    out = {"records": count}
    t0, c0 = time.perf_counter(), cpu()
    imported = import_files(store, "lc", [sample])
    out["import_seconds"], out["import_cpu"] = time.perf_counter() - t0, cpu() - c0
    out["imported"], out["quarantined"] = imported.records, imported.quarantined
    out["memory_after_import_mb"] = peak_mb()
    with timed_batches() as latencies:
        t0, c0 = time.perf_counter(), cpu()
        summaries = pipeline_mod.run_transform(settings, store, progress=False)
        out["transform_seconds"], out["transform_cpu"] = time.perf_counter() - t0, cpu() - c0
    out["converted"] = sum(s.converted for s in summaries)
    out["errors"] = sum(s.errors for s in summaries)
    out["batch_p50_ms"] = round(pct(latencies, 0.5) * 1000)
    out["batch_p95_ms"] = round(pct(latencies, 0.95) * 1000)
    out["memory_after_transform_mb"] = peak_mb()
    t0, c0 = time.perf_counter(), cpu()
    indexed = index_changes(settings, store, full=True)
    out["index_seconds"], out["index_cpu"] = time.perf_counter() - t0, cpu() - c0
    out["indexed"] = indexed.indexed
    out["peak_memory_mb"] = peak_mb()
    store.close()
    total = out["import_seconds"] + out["transform_seconds"] + out["index_seconds"]
    out["total_seconds"] = total
    for stage in ("import", "transform", "index"):
        out[f"{stage}_per_s"] = round(count / out[f"{stage}_seconds"]) if out[f"{stage}_seconds"] else 0
        out[f"{stage}_per_cpu_s"] = round(count / out[f"{stage}_cpu"]) if out[f"{stage}_cpu"] else 0
    out["end_to_end_per_s"] = round(count / total)
    return out


def print_lc(r: dict, load: str) -> None:
    print(f"LC {r['records']} records ({load}): import {r['import_per_s']} records/s ({r['import_seconds']:.0f} s, "
          f"{r['quarantined']} quarantined); transform {r['transform_per_s']} records/s "
          f"({r['transform_seconds']:.0f} s, {r['converted']} converted, {r['errors']} errors, batch p50 "
          f"{r['batch_p50_ms']} ms, p95 {r['batch_p95_ms']} ms); index {r['index_per_s']} records/s "
          f"({r['index_seconds']:.0f} s, {r['indexed']} documents); end to end {r['end_to_end_per_s']} records/s "
          f"({r['total_seconds']:.0f} s)")
    print(f"  per CPU second: import {r['import_per_cpu_s']}, transform {r['transform_per_cpu_s']}, "
          f"index {r['index_per_cpu_s']} records")
    print(f"  peak memory: {r['memory_after_import_mb']} MB after import, {r['memory_after_transform_mb']} MB "
          f"after transform, {r['peak_memory_mb']} MB after index")


def load_average() -> str:
    with open("/proc/loadavg") as fh:
        return "load " + " ".join(fh.read().split()[:3])


def main_lc(sizes: list[int], as_json: bool) -> int:
    if len(sizes) > 1:       # one process per size: ru_maxrss is a process's peak
        for n in sizes:
            subprocess.run([sys.executable, __file__, "--lc", str(n)] + ["--json"] * as_json, check=True)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        before = load_average()
        result = bench_lc(sizes[0], Path(tmp))
    load = f"{before}; after: {load_average()}"
    if as_json:
        print(json.dumps({**result, "load": load}))
    else:
        print_lc(result, load)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--copies", type=int, default=4, help="sources holding the same records")
    parser.add_argument("--db", default="", help="database URL (default: SQLite in a temporary directory)")
    parser.add_argument("--skip-pipeline", action="store_true", help="clustering only (no converter)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--lc", default="", help="N[,N...]: the full pipeline on the first N of the 250k LC records")
    args = parser.parse_args(argv)
    if args.lc:
        return main_lc([int(n) for n in args.lc.split(",")], args.json)
    elements = lc_elements(Path(args.data))
    out = {"input_records": len(elements), "copies": args.copies}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        out["clustering"] = bench_clustering(elements, args.copies, args.db or f"sqlite:///{tmp / 'c.sqlite'}")
        if not args.skip_pipeline:
            url = args.db or f"sqlite:///{tmp / 'p.sqlite'}"
            if args.db:
                raise SystemExit("--db with the pipeline needs an empty database per part; use SQLite")
            out["pipeline"] = bench_pipeline(elements, args.copies, url, tmp)
    out["peak_memory_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        c = out["clustering"]
        print(f"input: {out['input_records']} LC records × {args.copies} sources")
        print(f"clustering: keys {c['keys_per_s']} records/s; assign {c['assign_per_s']} records/s "
              f"(batch of 200 p50 {c['batch_p50_ms']} ms, p95 {c['batch_p95_ms']} ms); {c['works']} works "
              f"from {c['records']} records")
        if "pipeline" in out:
            p = out["pipeline"]
            print(f"pipeline full run: {p['records']} records, {p['errors']} errors, {p['triples']} triples, "
                  f"{p['full_records_per_s']} records/s ({p['full_seconds']} s; batch p50 {p['batch_p50_ms']} ms, "
                  f"p95 {p['batch_p95_ms']} ms); {p['works']} works; {p['full_records_per_cpu_s']} records per CPU second")
            print(f"re-run, nothing changed: {p['noop_seconds']} s, {p['noop_converted']} converted")
            print(f"re-run after 100 changed records: {p['changed_100_seconds']} s, {p['changed_converted']} converted")
        print(f"peak memory: {out['peak_memory_mb']} MB ({load_average()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
