"""`grenselos scheduler`: the harvest → transform → index chain per source on its interval, catch-up once
after downtime, jitter, one run of a source at a time across processes (SQLite and PostgreSQL), and a
graceful SIGTERM, against loopback OAI-PMH providers."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import update

from grenselos.scheduler import Scheduler, next_run
from harvest import attempts, schedule
from harvest.loopback import LoopbackRecord, serve
from harvest.tables import harvest_attempts
from tests.peers.oai_servers import marc_records

pytestmark = pytest.mark.peer

ROOT = Path(__file__).resolve().parents[2]
DOWN = "http://127.0.0.1:9/oai"


@pytest.fixture(scope="module")
def records(shared_data):
    xml = marc_records(shared_data / "vufindharvest" / "marc.xml", limit=6)
    return [LoopbackRecord(f"oai:sch:{n}", "2024-03-01T10:00:00Z", x) for n, x in enumerate(xml)]


def write_config(tmp_path, db_url, sources, jitter=0, poll=0.2):
    lines = [f'data_dir = "{tmp_path / "data"}"', f'database_url = "{db_url}"',
             "[harvest]", "timeout = 10", "max_retries = 0", "backoff = 0.01",
             "[scheduler]", f"jitter_seconds = {jitter}", f"poll_seconds = {poll}"]
    for source in sources:
        lines.append("[[sources]]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in source.items()]
    path = tmp_path / "grenselos.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    from core.settings import load
    return path, load(path)


def test_each_source_runs_its_chain_when_due_and_catches_up_once(tmp_path, records):
    db_url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    with serve(records, page_size=4) as provider:
        _, settings = write_config(tmp_path, db_url, [
            {"id": "up", "name": "Up", "oai_url": provider.url},
            {"id": "down", "name": "Down", "oai_url": DOWN, "schedule_minutes": 60},
            {"id": "manual", "name": "By hand", "oai_url": provider.url, "schedule_minutes": 0},
            {"id": "files", "name": "Files only"}])
        runner = Scheduler(settings, out=io.StringIO())
        try:
            results = {r.source: r for r in runner.run_once()}
            assert set(results) == {"up", "down"}                   # not the unscheduled ones
            up, down = results["up"], results["down"]
            assert up.ran and not up.failed and len(up.lines) == 3, up.lines
            assert up.lines[0].startswith("up: ok") and "6 new" in up.lines[0]
            assert "converted" in up.lines[1] and "ok" in up.lines[2]
            assert down.ran and down.failed and down.lines[0].startswith("down: FAILED")
            assert len(down.lines) == 1                              # nothing harvested: no transform, no index
            assert runner.run_once() == []                           # nobody is due again at once
            now = datetime.now(timezone.utc)
            assert [(r.source, r.ran) for r in runner.run_once(now + timedelta(minutes=31))] == [("up", True)]
            assert {(r.source, r.ran) for r in runner.run_once(now + timedelta(minutes=61))} == {
                ("down", True), ("up", True)}
            # Downtime: the newest starts were five hours ago; each source runs once, not five or ten times.
            engine = runner.store.engine
            with engine.begin() as conn:
                for a in attempts.recent(engine, "up") + attempts.recent(engine, "down"):
                    conn.execute(update(harvest_attempts).where(harvest_attempts.c.id == a["id"]).values(
                        started=datetime.fromisoformat(a["started"]) - timedelta(hours=5)))
            assert sorted((r.source, r.ran) for r in runner.run_once()) == [("down", True), ("up", True)]
            assert runner.run_once() == []
            started = attempts.last_started(engine, "up")
            assert next_run(settings, runner.store, settings.source("up"), now) == started + timedelta(minutes=30)
            assert [a["outcome"] for a in attempts.recent(engine, "up")] == ["ok"] * 4
            assert [a["outcome"] for a in attempts.recent(engine, "down")] == ["failed"] * 3
        finally:
            runner.close()


def test_jitter_spreads_sources_and_is_the_same_for_every_reader():
    start = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)
    now = start
    a = schedule.next_run("tromso", start, 30, 120, now)
    b = schedule.next_run("alta", start, 30, 120, now)
    assert a == schedule.next_run("tromso", start, 30, 120, now)          # deterministic
    assert a != b
    for when in (a, b):
        assert start + timedelta(minutes=30) <= when <= start + timedelta(minutes=32)
    assert schedule.next_run("x", None, 30, 120, now) == now                # never harvested: due now
    assert schedule.next_run("x", start, 0, 120, now) is None               # not scheduled
    assert not schedule.is_due(None, now) and schedule.is_due(now, now)


def _slow(seconds, started: threading.Event):
    def hook(handler, params):
        if params.get("verb") == "ListRecords":
            started.set()
            time.sleep(seconds)
        return False                     # then answer as usual
    return hook


def _scheduler(config, *args):
    return subprocess.Popen([sys.executable, "-m", "grenselos.cli", "--config", str(config), "scheduler", *args],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def test_two_schedulers_never_run_one_source_at_once(tmp_path, db_url, records):
    from harvest.store import RecordStore
    RecordStore(db_url).close()                                  # migrated before the race
    started = threading.Event()
    with serve(records, page_size=2, hook=_slow(1.5, started)) as provider:
        config, settings = write_config(tmp_path, db_url, [{"id": "slow", "name": "Slow", "oai_url": provider.url}])
        first = _scheduler(config, "--once")
        assert started.wait(60), "the first scheduler never asked the provider"
        second = _scheduler(config, "--once")
        out_second, _ = second.communicate(timeout=120)
        out_first, _ = first.communicate(timeout=120)
    assert first.returncode == 0 and second.returncode == 0, out_first + out_second
    assert "slow: ok" in out_first and "6 new" in out_first
    # The second saw the first's attempt (not due) or, earlier, its lock (skipped): never a second run.
    assert ("slow: skipped (another scheduler is running it)" in out_second
            or "scheduler: no source is due" in out_second), out_second
    store = RecordStore(db_url, migrate=False)
    runs = attempts.recent(store.engine, "slow")
    store.close()
    assert len(runs) == 1 and runs[0]["outcome"] == "ok" and runs[0]["records"] == 6


def test_a_source_whose_lock_is_held_elsewhere_is_skipped(tmp_path, db_url):
    from core.locks import named_lock
    _, settings = write_config(tmp_path, db_url, [{"id": "busy", "name": "Busy", "oai_url": DOWN}])
    runner = Scheduler(settings, out=io.StringIO())
    holding, release = threading.Event(), threading.Event()

    def other_scheduler():                 # its own connection (PostgreSQL) or file descriptor (SQLite)
        with named_lock(runner.store.engine, settings.data_dir, "schedule-busy") as got:
            assert got
            holding.set()
            release.wait(30)
    thread = threading.Thread(target=other_scheduler)
    thread.start()
    try:
        assert holding.wait(30)
        [result] = runner.run_once()
        assert not result.ran and result.skipped == "another scheduler is running it"
        assert attempts.recent(runner.store.engine, "busy") == []
    finally:
        release.set()
        thread.join()
    [result] = runner.run_once()
    assert result.ran and result.failed                         # the lock is free again: it runs
    runner.close()


def test_sigterm_lets_the_run_in_progress_finish(tmp_path, records):
    db_url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    started = threading.Event()
    with serve(records, page_size=2, hook=_slow(0.7, started)) as provider:
        config, _ = write_config(tmp_path, db_url, [{"id": "slow", "name": "Slow", "oai_url": provider.url}])
        proc = _scheduler(config)
        assert started.wait(60), "the scheduler never asked the provider"
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    assert "SIGTERM, stopping after the run in progress" in out and "scheduler: stopped" in out
    assert out.index("slow: ok") < out.index("scheduler: stopped")
    from harvest.store import RecordStore
    store = RecordStore(db_url, migrate=False)
    runs = attempts.recent(store.engine, "slow")
    store.close()
    assert [r["outcome"] for r in runs] == ["ok"] and runs[0]["records"] == 6
