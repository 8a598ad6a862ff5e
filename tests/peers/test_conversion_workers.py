"""`[transform] workers`: converting in worker processes changes nothing the pipeline writes, and a worker
that dies costs only its own records (quarantined, named, with the cause), never a hang or an orphan."""

from __future__ import annotations

import multiprocessing
import os
import threading
import traceback
import zlib
from pathlib import Path

import pytest
from sqlalchemy import DateTime, select

from core import settings as settings_mod
from harvest.files import import_files
from harvest.store import RecordStore
from transform import record_conversion
from transform.copies import copies
from transform.descriptions import record_descriptions
from transform.graph_outbox import graph_outbox
from transform.graphstore import GraphStore
from transform.pipeline import Pipeline
from transform.statistics import facts_table
from transform.tables import clusters, language_detections, transform_records

KOHA = "koha-misc4dev/koha_sample_biblios_with_952_items.marcxml"
LC = "marcxml-lc/dataset/loc_general.xml"
TABLES = (transform_records, clusters, record_descriptions, copies, facts_table, language_detections)


def world(tmp_path, shared_data, workers: int):
    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / "grenselos.toml"
    path.write_text(f'''data_dir = "{tmp_path / 'data'}"
database_url = "sqlite:///{tmp_path / 'records.sqlite'}"
base_uri = "http://data.grenselos.test"

[transform]
workers = {workers}

[[sources]]
id = "tromso"
name = "Tromsø bibliotek"
isil = "NO-1902000"
holdings = "koha-952"

[[sources]]
id = "alta"
name = "Alta bibliotek"
''', encoding="utf-8")
    settings = settings_mod.load(path)
    store = RecordStore(settings.database_url)
    import_files(store, settings.source("tromso"), [shared_data / KOHA])
    import_files(store, settings.source("alta"), [shared_data / LC])
    return settings, store


def transform(settings, store):
    """One run whose graph writes stay in the outbox (an in-memory view: nothing applies them)."""
    pipeline = Pipeline(settings, store, graph=GraphStore(None, settings.base_uri))
    try:
        return pipeline.run()
    finally:
        pipeline.close()


def written(store) -> dict:
    """What the run wrote, without the clock: each table's rows, and the outbox rows' N-Quads as bytes."""
    out = {}
    with store.engine.connect() as conn:
        for table in TABLES:
            keep = [c for c in table.columns if not isinstance(c.type, DateTime)]
            out[table.name] = sorted(repr(tuple(r)) for r in conn.execute(select(*keep)))
        out["graph_outbox"] = [(r.kind, r.op, r.graphs, zlib.decompress(r.payload) if r.payload else None)
                               for r in conn.execute(select(graph_outbox).order_by(graph_outbox.c.id))]
    return out


def in_a_fresh_process(scenario, *args) -> None:
    """Run `scenario(*args)` in a new interpreter and fail with its traceback if it fails. The pipeline forks
    its workers only from a process with no other Python thread (as the CLI's is); the whole suite's process
    has many (servers, pools of earlier tests), where the run would rightly convert in-process instead."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(target=_report, args=(results, scenario, args))
    child.start()
    try:
        outcome, detail = results.get(timeout=600)
    finally:
        child.join(60)
    assert outcome == "passed", detail


def _report(results, scenario, args) -> None:
    try:
        scenario(*args)
        results.put(("passed", ""))
    except BaseException:  # noqa: BLE001 - the parent reports it
        results.put(("failed", traceback.format_exc()))


def _two_workers_write_what_one_writes(tmp: str, shared: str) -> None:
    tmp_path, shared_data = Path(tmp), Path(shared)
    sent = []
    real = record_conversion.ConversionPool.convert
    record_conversion.ConversionPool.convert = \
        lambda pool, source_id, jobs: sent.append(len(jobs)) or real(pool, source_id, jobs)
    serial_settings, serial_store = world(tmp_path / "one", shared_data, workers=1)
    pooled_settings, pooled_store = world(tmp_path / "two", shared_data, workers=2)
    assert record_conversion.workers_for(pooled_settings) == 2
    try:
        serial, pooled = transform(serial_settings, serial_store), transform(pooled_settings, pooled_store)
        assert [s.converted for s in pooled] == [s.converted for s in serial] and sum(s.converted for s in serial) > 50
        assert sum(s.errors for s in pooled) == sum(s.errors for s in serial)
        assert sum(sent) == sum(s.converted + s.errors for s in pooled)     # every record went to the workers
        one, two = written(serial_store), written(pooled_store)
        assert one["copies"] and one["record_descriptions"] and one["graph_outbox"]
        for name in one:
            assert one[name] == two[name], name
    finally:
        serial_store.close()
        pooled_store.close()
    assert multiprocessing.active_children() == []          # the pool was shut down with the run


def test_two_workers_write_exactly_what_one_process_writes(tmp_path, shared_data):
    in_a_fresh_process(_two_workers_write_what_one_writes, str(tmp_path), str(shared_data))


def _a_dead_worker_costs_its_records(tmp: str, shared: str) -> None:
    settings, store = world(Path(tmp), Path(shared), workers=2)
    parent = os.getpid()
    real = record_conversion.convert_record

    def dies_in_a_worker(*args, **kwargs):
        if os.getpid() != parent:
            os._exit(3)                                      # as a segfault in a C library would end it
        return real(*args, **kwargs)

    record_conversion.convert_record = dies_in_a_worker
    try:
        summaries = transform(settings, store)
        errors = [e for s in summaries for e in s.error_list]
        assert errors and all("the worker process converting it stopped" in e for e in errors)
        assert errors[0].startswith(("tromso:", "alta:"))
        # after the crash the run converted in this process: the other source, and later batches, went through
        assert sum(s.converted for s in summaries) > 0
        with store.engine.connect() as conn:
            statuses = {r.status for r in conn.execute(select(transform_records.c.status))}
        assert statuses == {"ok", "error"}
    finally:
        store.close()
    assert multiprocessing.active_children() == []


def test_a_worker_that_dies_quarantines_its_records_and_the_run_goes_on(tmp_path, shared_data):
    in_a_fresh_process(_a_dead_worker_costs_its_records, str(tmp_path), str(shared_data))


def test_a_process_with_other_threads_converts_in_process(tmp_path, shared_data, monkeypatch):
    """Forking beside other threads can deadlock the child: such a process (`serve`, this suite) converts
    in its own process whatever `workers` says, and writes the same."""
    settings, store = world(tmp_path, shared_data, workers=2)
    idle = threading.Event()
    other = threading.Thread(target=idle.wait, daemon=True)
    other.start()
    started = []
    real = record_conversion.ConversionPool.__init__
    monkeypatch.setattr(record_conversion.ConversionPool, "__init__",
                        lambda pool, *a, **k: started.append(1) or real(pool, *a, **k))
    try:
        summaries = transform(settings, store)
    finally:
        idle.set()
        store.close()
    assert started == [] and sum(s.converted for s in summaries) > 50 and not any(s.errors for s in summaries)


@pytest.mark.parametrize("configured, expected", [(1, 1), (3, 3)])
def test_the_setting_names_the_workers(tmp_path, configured, expected):
    settings = settings_mod.from_dict({"data_dir": str(tmp_path), "transform": {"workers": configured}})
    assert record_conversion.workers_for(settings) == expected


@pytest.mark.parametrize("cpus, expected", [(1, 1), (2, 1), (3, 2), (4, 3), (16, 4)])
def test_automatic_is_one_fewer_than_the_cpus_at_most_four(tmp_path, monkeypatch, cpus, expected):
    settings = settings_mod.from_dict({"data_dir": str(tmp_path)})
    assert settings.transform.workers == 0
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(cpus)))
    assert record_conversion.workers_for(settings) == expected
