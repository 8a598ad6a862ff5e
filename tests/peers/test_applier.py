"""One writer per store: the writer lock across processes, and the applier that brings search up to the
copies table (in its own round, and inside `grenselos serve`, a real process on a loopback port)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Triple
from sqlalchemy import select

from core.locks import Busy, writer_lock
from grenselos.applier import Applier
from tests import koha_catalogue
from transform import copies as copies_store
from transform import graph_outbox
from transform.graph_outbox import GraphOutbox
from transform.graphstore import GraphStore
from transform.tables import transform_records

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def catalogue(tmp_path, shared_data):
    path = koha_catalogue.write_config(tmp_path)
    settings, store = koha_catalogue.build(path, shared_data)
    yield path, settings, store
    store.close()


class LockHolder:
    """Another process holding the data directory's writer lock until told to stop."""

    def __init__(self, data_dir):
        code = textwrap.dedent(f"""
            import sys, time
            from core.locks import writer_lock
            with writer_lock({str(data_dir)!r}):
                print("held", flush=True)
                sys.stdin.readline()
        """)
        self.process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "held"

    def release(self):
        self.process.stdin.write("\n")
        self.process.stdin.flush()
        self.process.wait(10)


def test_the_writer_lock_serialises_processes_and_is_reentrant(tmp_path):
    holder = LockHolder(tmp_path)
    try:
        started = time.monotonic()
        with pytest.raises(Busy), writer_lock(tmp_path, wait=0.3):
            pass
        assert time.monotonic() - started >= 0.3
    finally:
        holder.release()
    with writer_lock(tmp_path, wait=0), writer_lock(tmp_path, wait=0):     # re-entrant in one thread
        pass


def copy_and_doc(settings, store):
    with store.engine.connect() as conn:
        copy = next(r for r in conn.execute(select(copies_store.copies)) if r.status == "available")
        record_id = conn.execute(select(transform_records.c.record_id).where(
            transform_records.c.identifier == copy.identifier)).scalar()
    return copy, f"tromso-{record_id}"


def test_the_applier_indexes_a_status_change_once_and_waits_for_another_writer(catalogue):
    _path, settings, store = catalogue
    applier = Applier(settings)
    assert applier.apply_once() is None                        # nothing changed since the index run
    copy, _doc = copy_and_doc(settings, store)
    with store.engine.begin() as conn:
        copies_store.set_status(conn, copy.id, "on_loan", "2026-12-24")
    holder = LockHolder(settings.data_dir)
    try:
        assert applier.apply_once() is None                    # busy: it does not wait, nothing is lost
    finally:
        holder.release()
    summary = applier.apply_once()
    assert summary is not None and summary.indexed == 1
    assert applier.apply_once() is None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_keeps_search_up_to_the_copies_table(catalogue):
    path, settings, store = catalogue
    copy, doc_id = copy_and_doc(settings, store)
    port = free_port()
    env = {**os.environ, "GRENSELOS_CONFIG": str(path)}
    server = subprocess.Popen([sys.executable, "-m", "grenselos.cli", "serve", "--port", str(port)], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/api/record/{doc_id}"

    def status():
        with urllib.request.urlopen(url, timeout=5) as resp:
            body = json.load(resp)
        return next(c["status"] for h in body["record"]["holdings"] for c in h["copies"] if c["id"] == copy.id)

    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert status() == "available"
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline
                time.sleep(0.2)
        with store.engine.begin() as conn:
            copies_store.set_status(conn, copy.id, "on_loan", "2026-12-24")
        written = time.monotonic()
        while status() != "on_loan":
            assert time.monotonic() - written < 10, "the status never reached search"
            time.sleep(0.1)
        # A graph write from a process that must not open Oxigraph (a portal request): an outbox row,
        # which serve's applier replays into the graph store within seconds.
        name = NamedNode(f"{settings.base_uri}/graph/applier-test")
        GraphOutbox(store.engine, GraphStore(None, settings.base_uri)).replace(
            {name: [Triple(NamedNode(f"{settings.base_uri}/x"), NamedNode(f"{settings.base_uri}/p"), Literal("y"))]})
        written = time.monotonic()
        while graph_outbox.pending(store.engine)[0]:
            assert time.monotonic() - written < 10, "the graph outbox was never applied"
            time.sleep(0.1)
        with GraphStore.open(settings, read_only=True) as graph:
            assert graph.has_graph(name)
    finally:
        server.terminate()
        server.wait(15)


def test_the_change_check_starts_a_round_long_before_the_full_look(catalogue):
    _path, settings, store = catalogue
    applier = Applier(settings, every=60.0, check_every=0.05).start()
    try:
        time.sleep(0.5)                                         # its first look: nothing to index
        assert applier.rounds == 0
        copy, _doc = copy_and_doc(settings, store)
        with store.engine.begin() as conn:
            copies_store.set_status(conn, copy.id, "on_loan", "2026-12-24")
        written = time.monotonic()
        while applier.rounds == 0:
            assert time.monotonic() - written < 5, "the change check never started a round"
            time.sleep(0.02)
        assert applier.apply_once() is None                      # it indexed the change itself
    finally:
        applier.stop()
