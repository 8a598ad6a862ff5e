"""Measure the index stage on the LC records × `--copies` sources after a full transform: documents
built per second (each record's description read from the graph store, its holdings, the projection)
and the whole `grenselos index --full` into a fresh tantivy index. With `--baseline DIR` the same is
measured for another checkout (its own virtualenv, over a copy of the same record store), alternating
round by round, so that both figures come from one run on the same machine load.

    .venv/bin/python bench/index_stage.py [--data ../shared/data] [--copies 4] [--rounds 3]
                                          [--baseline /path/to/checkout] [--json]

It also times the parts of building one document (reading the graph, parsing the MARC for holdings,
the projection) beside converting the MARC again: what the index stage could do instead of reading
the graph store.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/harvest.py and bench/transform.py would shadow the packages of the checkout measured
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]


def _settings_module():
    """The settings module of the checkout measured: `core.settings`, or `grenselos.settings` before core/."""
    return importlib.import_module("core.settings" if importlib.util.find_spec("core") else "grenselos.settings")


def _bench_transform():
    """bench/transform.py's record loading (its module name would shadow the `transform` package)."""
    spec = importlib.util.spec_from_file_location("bench_transform", Path(__file__).with_name("transform.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def prepare(data: Path, copies: int, tmp: Path) -> Path:
    """Record store with the LC records under `copies` sources, transformed; returns the config file."""
    sys.path.insert(0, str(ROOT))
    settings_mod = _settings_module()
    from harvest.store import RecordStore
    from transform.pipeline import run_transform
    bench = _bench_transform()
    config = tmp / "grenselos.toml"
    sources = "".join(f'\n[[sources]]\nid = "lib{c}"\nname = "Library {c}"\nkind = "public"\n'
                      f'municipality = "Tromsø"\n' for c in range(copies))
    config.write_text(f'data_dir = "{tmp / "data"}"\nbase_uri = "http://bench.example"\n'
                      f'database_url = "sqlite:///{tmp / "records.sqlite"}"\n{sources}', encoding="utf-8")
    settings = settings_mod.load(config)
    store = RecordStore(settings.database_url)
    for source, batch in bench.copies_of(bench.lc_elements(data), copies):
        store.upsert(source, batch)
    t0 = time.perf_counter()
    summaries = run_transform(settings, store, progress=False)
    converted = sum(s.converted for s in summaries)
    print(f"prepared: {converted} records transformed in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    store.close()
    return config


def measure(config: Path, index_dir: Path) -> dict:
    """In the checkout on sys.path: documents built per second, then `index --full` into `index_dir`."""
    settings_mod = _settings_module()
    from harvest.store import RecordStore
    from index.pipeline import documents, index_changes
    from index.tantivy_backend import TantivyBackend
    settings = settings_mod.load(config)
    store = RecordStore(settings.database_url)
    errors: list[str] = []
    graph = None
    t0, c0 = time.perf_counter(), time.process_time()
    if "graph" in inspect.signature(documents).parameters:     # documents from the description
        from index.pipeline import open_graph
        graph = open_graph(settings)
        docs, _deletes = documents(settings, store, None, errors, "bench", graph)
    else:                                                      # documents from MARC (before issue 11)
        docs, _deletes = documents(settings, store, None, errors, "bench")
    built = sum(1 for _ in docs)
    build_s, build_cpu = time.perf_counter() - t0, time.process_time() - c0
    if graph is not None:
        graph.close()
    backend = TantivyBackend(index_dir, writer_heap=256_000_000, writer_threads=1)
    t0, c0 = time.perf_counter(), time.process_time()
    summary = index_changes(settings, store, backend, full=True)
    index_s, index_cpu = time.perf_counter() - t0, time.process_time() - c0
    backend.close()
    store.close()
    return {"documents": built, "errors": len(errors), "build_per_s": built / build_s,
            "build_per_cpu_s": built / build_cpu, "indexed": summary.indexed,
            "index_per_s": summary.indexed / index_s, "index_per_cpu_s": summary.indexed / index_cpu}


def parts(config: Path) -> dict:
    """Microseconds (CPU) per record for each way to a record's description and each part of building its
    document: the graph store read, the packed description, converting the MARC again, the projection."""
    settings_mod = _settings_module()
    from harvest.marcdata import from_stored
    from harvest.store import RecordStore
    from index.holdings import holdings_of
    from index.pipeline import open_graph
    from index.projection import Description, default
    from sqlalchemy import select
    from transform import descriptions
    from transform.convert import ConvertContext, Converter
    from transform.tables import transform_records
    settings = settings_mod.load(config)
    store = RecordStore(settings.database_url)
    with store.engine.connect() as conn:
        minted = {(r.source, r.identifier): r.record_id for r in conn.execute(
            select(transform_records.c.source, transform_records.c.identifier, transform_records.c.record_id)
            .where(transform_records.c.status == "ok"))}
        packed = {(r.source, r.identifier): r.description for r in conn.execute(
            select(descriptions.record_descriptions))}
    rows = [r for r in store.iter_records(record_type="bib", include_deleted=False)
            if (r.source, r.identifier) in minted]
    sources = {s.id: s for s in settings.sources}
    graph, projection, converter = open_graph(settings), default(), Converter(settings.base_uri)
    clock = time.process_time
    names = ("graph store read", "packed description", "convert MARC again", "MARC parse, holdings fields",
             "holdings", "projection")
    from transform.holdings import consumed
    timings = dict.fromkeys(names, 0.0)
    for row in rows:
        key, record_id = (row.source, row.identifier), minted[(row.source, row.identifier)]
        spent = []
        t = clock()
        Description.from_triples(graph.record_triples(row.source, record_id))
        spent.append(clock() - t)
        t = clock()
        description = Description.from_packed(packed[key])
        spent.append(clock() - t)
        t = clock()
        conversion = converter.convert(from_stored(row.marcxml), ConvertContext(row.source, record_id))
        Description.from_triples(conversion.triples)
        spent.append(clock() - t)
        t = clock()
        record = from_stored(row.marcxml, tags=consumed(sources[row.source].holdings))
        spent.append(clock() - t)
        t = clock()
        holdings = holdings_of(record, sources[row.source])
        spent.append(clock() - t)
        t = clock()
        projection.document(description, id=record_id, work_id="w", source=row.source, holdings=holdings)
        spent.append(clock() - t)
        for name, seconds in zip(names, spent):
            timings[name] += seconds
    graph.close()
    store.close()
    return {name: round(seconds / len(rows) * 1e6) for name, seconds in timings.items()}


def before_packed_descriptions(path: Path) -> None:
    """The record store as a checkout from before `record_descriptions` (migration t0006) knows it."""
    import sqlite3
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE IF EXISTS record_descriptions")
        conn.execute("UPDATE alembic_version SET version_num = 't0005' WHERE version_num = 't0006'")


def child(python: str, cwd: Path, config: Path, index_dir: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    out = subprocess.run([python, __file__, "--measure", str(config), "--index-dir", str(index_dir)], cwd=cwd,
                         env=env, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"bench: measuring {cwd} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", default="",
                        help="another checkout to measure alike (with its .venv, if it has one)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--measure", default="", help=argparse.SUPPRESS)
    parser.add_argument("--index-dir", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:       # a child: measure the checkout on PYTHONPATH
        print(json.dumps(measure(Path(args.measure), Path(args.index_dir))))
        return 0
    runs = {"this": [], "baseline": []}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        config = prepare(Path(args.data), args.copies, tmp)
        sys.path.insert(0, str(ROOT))
        out = {"copies": args.copies, "parts_us_per_record": parts(config)}
        if args.baseline:
            base = Path(args.baseline).resolve()
            base_dir = tmp / "baseline"
            base_dir.mkdir()
            shutil.copy(tmp / "records.sqlite", base_dir / "records.sqlite")
            before_packed_descriptions(base_dir / "records.sqlite")
            base_config = base_dir / "grenselos.toml"
            base_config.write_text(config.read_text(encoding="utf-8").replace(str(tmp / "records.sqlite"),
                                                                              str(base_dir / "records.sqlite")),
                                   encoding="utf-8")
        for n in range(args.rounds):
            runs["this"].append(child(sys.executable, ROOT, config, tmp / f"idx-this-{n}"))
            if args.baseline:
                python = base / ".venv" / "bin" / "python"   # else this one's (e.g. for a `git archive` of a commit)
                runs["baseline"].append(child(str(python) if python.exists() else sys.executable, base, base_config,
                                              base_dir / f"idx-{n}"))
    for name, results in runs.items():
        if results:
            out[name] = {"documents": results[0]["documents"], "errors": results[0]["errors"]}
            for key in ("build_per_s", "build_per_cpu_s", "index_per_s", "index_per_cpu_s"):
                out[name][key] = round(statistics.median(r[key] for r in results))
                out[name][key + "_best"] = round(max(r[key] for r in results))
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"LC records × {args.copies} sources, {args.rounds} rounds, alternating (median, best); CPU seconds "
          "are this process's and its threads', steadier than the clock on a shared machine")
    for name in ("this", "baseline"):
        if name in out:
            r = out[name]
            print(f"{name:9} documents built: {r['build_per_s']} records/s (best {r['build_per_s_best']}), "
                  f"{r['build_per_cpu_s']} per CPU second (best {r['build_per_cpu_s_best']}); "
                  f"`index --full` into tantivy: {r['index_per_s']} records/s (best {r['index_per_s_best']}), "
                  f"{r['index_per_cpu_s']} per CPU second (best {r['index_per_cpu_s_best']}); "
                  f"{r['documents']} documents, {r['errors']} errors")
    print("per record (µs of CPU): " + ", ".join(f"{k} {v}" for k, v in out["parts_us_per_record"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
