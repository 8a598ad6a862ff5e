"""A runaway SPARQL query is really stopped: its worker process is killed, and the endpoint goes on.

Runs against the real on-disk graph store of the shared catalogue (12k+ quads), through the real portal on
a loopback port where the endpoint's behaviour is at stake, and through `QueryRunner` directly where a
differently sized pool or a store that changes under the portal is needed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Triple

from portal.sparql_eval import SparqlError
from portal.sparql_service import QueryRunner
from transform.graphstore import GraphStore

SAMI_BOOK = "http://data.grenselos.test/instance/kautokeino-kau-ill-sme-001"
#: Three-way cross join of every quad, grouped: far beyond any time limit (10^12 solutions), and all of it
#: inside one Oxigraph aggregate, where no row is handed out and nothing but ending the process stops it.
RUNAWAY = "SELECT ?p (COUNT(*) AS ?n) WHERE { ?a ?p ?c . ?d ?e ?f . ?g ?h ?i } GROUP BY ?p"
JSON_ACCEPT = {"Accept": "application/sparql-results+json"}


def get(server, query, headers=JSON_ACCEPT):
    req = urllib.request.Request(server.url + "/sparql?" + urllib.parse.urlencode({"query": query}), headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def cpu_ticks(pid: int) -> int | None:
    """utime + stime of a process, or None when it is gone (or only a zombie is left of it)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[11]) + int(fields[12])


def busy_worker(pids: list[int], seconds: float = 0.6) -> int:
    """The worker whose CPU time grows: the one evaluating the runaway query."""
    before = {pid: cpu_ticks(pid) or 0 for pid in pids}
    time.sleep(seconds)
    grown = {pid: (cpu_ticks(pid) or 0) - before[pid] for pid in pids}
    pid = max(grown, key=grown.get)
    assert grown[pid] > 0, f"no worker is using CPU: {grown}"
    return pid


def read_only_graph(settings) -> GraphStore:
    return GraphStore.open(settings, read_only=True)


def test_runaway_query_is_killed_and_the_endpoint_answers_on(server, catalogue):
    settings, _store = catalogue
    status, body = get(server, f"ASK {{ <{SAMI_BOOK}> ?p ?o }}")       # starts the first worker
    assert status == 200 and json.loads(body)["boolean"] is True
    pool = server.app.extensions["grenselos"]["sparql_runner"].pool
    assert pool.pids() and all(pid != os.getpid() for pid in pool.pids())

    outcome = {}

    def runaway():
        started = time.monotonic()
        outcome["status"], outcome["body"] = get(server, RUNAWAY)
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.3)
    # Meanwhile another client's request is answered by the other worker, correctly and promptly.
    started = time.monotonic()
    query = f"PREFIX bf: <http://id.loc.gov/ontologies/bibframe/>\nSELECT ?w WHERE {{ <{SAMI_BOOK}> bf:instanceOf ?w }}"
    status, _headers, body = server.get("/sparql?" + urllib.parse.urlencode({"query": query}), JSON_ACCEPT,
                                        source="127.0.0.2")
    assert status == 200 and time.monotonic() - started < 1.5
    assert json.loads(body)["results"]["bindings"][0]["w"]["value"].startswith("http://data.grenselos.test/work/")
    assert len(pool.pids()) == 2
    victim = busy_worker(pool.pids())

    thread.join(30)
    timeout = settings.sparql.timeout
    assert outcome["status"] == 503 and b"longer than this endpoint allows (2 s)" in outcome["body"]
    assert outcome["seconds"] < timeout + 1.0
    assert cpu_ticks(victim) is None, "the runaway query's worker process is still there"
    assert victim not in pool.pids()

    # The next ordinary query is answered right away (by the survivor or the fresh replacement) and right.
    started = time.monotonic()
    status, body = get(server, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert status == 200 and time.monotonic() - started < 1.0
    assert int(json.loads(body)["results"]["bindings"][0]["n"]["value"]) > 10000
    deadline = time.monotonic() + 10
    while len(pool.pids()) < 2 and time.monotonic() < deadline:   # the replacement started in the background
        time.sleep(0.05)
    assert len(pool.pids()) == 2 and victim not in pool.pids()


def test_all_workers_busy_answers_busy_quickly(catalogue):
    settings, _store = catalogue
    graph = read_only_graph(settings)
    runner = QueryRunner(workers=1)
    try:
        errors = {}

        def runaway():
            try:
                runner.run(graph, RUNAWAY, accept=None, timeout=3.0)
            except SparqlError as err:
                errors["runaway"] = err

        thread = threading.Thread(target=runaway)
        thread.start()
        time.sleep(0.5)
        started = time.monotonic()
        with pytest.raises(SparqlError) as info:
            runner.run(graph, "ASK { ?s ?p ?o }", accept=None, timeout=3.0)
        assert info.value.status == 503 and "busy" in info.value.message
        assert time.monotonic() - started < 2.0
        thread.join(30)
        assert errors["runaway"].status == 503 and "longer than this endpoint allows" in errors["runaway"].message
        answer = runner.run(graph, "ASK { ?s ?p ?o }", accept=None, timeout=3.0)
        assert json.loads(answer.body) == {"head": {}, "boolean": True}
    finally:
        runner.close()
    assert runner.pool.pids() == []


def test_a_worker_sees_the_data_of_a_reopened_store(tmp_path):
    base = "http://data.grenselos.test"
    name = NamedNode(base + "/graph/test-1")
    writer = GraphStore(tmp_path / "graph", base)
    writer.replace({name: [Triple(NamedNode(base + "/work/1"), NamedNode("http://schema.org/name"),
                                  Literal("first"))]})
    writer.flush()
    writer.close()     # a transform run has finished: read-only handles are opened only then (RocksDB rule)
    runner = QueryRunner(workers=1)
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    try:
        before = runner.run(GraphStore(tmp_path / "graph", base, read_only=True), count, accept=None)
        assert b'"value": "1"' in before.body
        pid = runner.pool.pids()
        writer = GraphStore(tmp_path / "graph", base)
        writer.replace({NamedNode(base + "/graph/test-2"): [
            Triple(NamedNode(base + "/work/2"), NamedNode("http://schema.org/name"), Literal("second"))]})
        writer.flush()
        writer.close()
        # What portal.ld_store does after a transform run: a new read-only handle. Same worker, new data.
        after = runner.run(GraphStore(tmp_path / "graph", base, read_only=True), count, accept=None)
        assert b'"value": "2"' in after.body
        assert runner.pool.pids() == pid
    finally:
        runner.close()


def test_an_in_memory_store_runs_in_a_thread_without_processes():
    graph = GraphStore(None, "http://data.grenselos.test")
    graph.store.add(_quad("http://data.grenselos.test/work/1", "Čáhppes beana"))
    runner = QueryRunner(workers=1)
    answer = runner.run(graph, "SELECT ?n WHERE { ?w <http://schema.org/name> ?n }", accept=None,
                        format_param="csv")
    assert answer.body.decode() == "n\r\nČáhppes beana\r\n" and answer.media_type.startswith("text/csv")
    assert runner._pool is None                        # no worker process was started for it


def _quad(subject: str, name: str):
    from pyoxigraph import DefaultGraph, Quad
    return Quad(NamedNode(subject), NamedNode("http://schema.org/name"), Literal(name, language="se"),
                DefaultGraph())


def test_workers_start_lazily_and_die_with_the_portal_process(catalogue):
    """A portal process killed mid-query (SIGKILL: no atexit) leaves no worker running behind it."""
    settings, _store = catalogue
    from portal.app import create_app
    app = create_app(settings, {"TESTING": True, "SECRET_KEY": "workers"})
    assert "sparql_runner" not in app.extensions.get("grenselos", {})     # nothing started with the app

    script = textwrap.dedent(f"""
        import sys, threading, time
        from portal.sparql_service import QueryRunner
        from transform.graphstore import GraphStore
        graph = GraphStore({str(Path(settings.data_dir) / "graph")!r}, {settings.base_uri!r}, read_only=True)
        runner = QueryRunner(workers=2)
        threading.Thread(target=runner.run, args=(graph, {RUNAWAY!r}), kwargs={{"accept": None, "timeout": 600}},
                         daemon=True).start()
        time.sleep(0.5)
        runner.run(graph, "ASK {{ ?s ?p ?o }}", accept=None)      # a second worker, beside the busy one
        print(" ".join(map(str, runner.pool.pids())), flush=True)
        if sys.argv[1] == "exit":
            sys.exit(0)                       # atexit stops the workers
        time.sleep(600)
    """)
    for how in ("exit", "kill"):
        proc = subprocess.Popen([sys.executable, "-c", script, how], stdout=subprocess.PIPE, text=True,
                                cwd=Path(__file__).resolve().parents[2])
        try:
            pids = [int(p) for p in proc.stdout.readline().split()]
            assert len(pids) == 2, pids
            if how == "kill":
                assert any(cpu_ticks(pid) is not None for pid in pids)
                proc.send_signal(signal.SIGKILL)
            proc.wait(30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        deadline = time.monotonic() + 10
        while any(cpu_ticks(pid) is not None for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert all(cpu_ticks(pid) is None for pid in pids), f"workers outlived the portal ({how}): {pids}"
