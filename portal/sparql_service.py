"""SPARQL 1.1 Query over the graph store, with the limits a public endpoint needs.

Oxigraph cannot cancel a query: once it is inside one long aggregate (a GROUP BY over everything, a
cross join) it keeps a core busy until it is done, however long that takes, and a thread cannot be
killed. So queries over the on-disk store run in a small pool of long-lived worker *processes*
(`portal.sparql_workers`): the request thread waits up to the deadline, and past it kills the worker
(SIGKILL, which stops the CPU work for real), answers with a clear error and has a fresh worker started.
Each worker opens the store read-only itself; nothing but strings and bytes crosses between processes,
so the media types are negotiated here from the request's Accept before the query is sent.

An in-memory store (nothing transformed yet, or a test graph) cannot be shared with another process, so
it keeps the old way: a worker thread with a deadline that stops pulling rows at either limit, abandoned
when Oxigraph is stuck inside an aggregate. Federation is refused before evaluation, and so are updates:
the endpoint never changes the store. Evaluating one query and writing its answer is
`portal.sparql_eval`, shared with the worker processes.
"""

from __future__ import annotations

import threading
import time

from pyoxigraph import NamedNode

from portal import sparql_guard
from portal.sparql_eval import BUSY_MESSAGE, Answer, SparqlError, evaluate, negotiate, timeout_message
from portal.sparql_workers import WorkerPool


def check_query(text: str, max_bytes: int) -> None:
    """Refuse before any worker is involved what the request thread can judge cheaply: no text, oversize
    text, a bare SERVICE token, runaway nesting. The full decision, on the parsed query, is `guard()`."""
    if not text.strip():
        raise SparqlError(400, "No query given: send it as the 'query' parameter or as an "
                               "application/sparql-query body.", "empty")
    if len(text.encode("utf-8")) > max_bytes:
        raise SparqlError(413, f"The query is larger than this endpoint accepts ({max_bytes} bytes).", "too_large")
    try:
        sparql_guard.scan(sparql_guard.expand_escapes(text))
    except sparql_guard.QueryRefused as refused:
        raise SparqlError(refused.status, refused.message, refused.kind, refused.detail) from None


def graph_list(values: list[str], parameter: str) -> list[NamedNode]:
    out = []
    for value in values:
        try:
            out.append(NamedNode(value))
        except ValueError:
            raise SparqlError(400, f"{parameter} is not a valid IRI: {value!r}", "bad_request") from None
    return out


class QueryRunner:
    """Runs queries under the endpoint's limits: worker processes for an on-disk store, threads otherwise.

    Worker processes start on the first query, not before, and stop when the portal process exits;
    `close()` stops them earlier. See the module docstring for why processes.
    """

    def __init__(self, workers: int = 2, per_client: int = 0):
        self.size = max(1, int(workers))
        self.per_client = max(0, int(per_client))               # 0: no per-client share
        self.slots = threading.BoundedSemaphore(self.size)     # the in-memory (thread) path only
        self._pool = None
        self._pool_lock = threading.Lock()
        self._running: dict[str, int] = {}
        self._running_lock = threading.Lock()

    @property
    def pool(self):
        """The worker processes (a `portal.sparql_workers.WorkerPool`), created on first use."""
        if self._pool is None:
            with self._pool_lock:
                if self._pool is None:
                    self._pool = WorkerPool(self.size)
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()

    def run(self, graph, query: str, *, accept, format_param: str = "", default_graphs=(), named_graphs=None,
            timeout: float = 10.0, max_rows: int = 10000, client: str = "") -> Answer:
        """Evaluate under the limits; `client` (the caller's address) counts against its share of workers."""
        if not self.per_client or not client:
            return self._run(graph, query, accept, format_param, default_graphs, named_graphs, timeout, max_rows)
        with self._running_lock:
            if self._running.get(client, 0) >= self.per_client:
                raise SparqlError(429, SHARE_MESSAGE, "busy")
            self._running[client] = self._running.get(client, 0) + 1
        try:
            return self._run(graph, query, accept, format_param, default_graphs, named_graphs, timeout, max_rows)
        finally:
            with self._running_lock:
                left = self._running.pop(client) - 1
                if left:
                    self._running[client] = left

    def _run(self, graph, query, accept, format_param, default_graphs, named_graphs, timeout, max_rows) -> Answer:
        media = negotiate(accept, format_param)
        default_graphs = [_iri(g) for g in default_graphs]
        named_graphs = [_iri(g) for g in named_graphs] if named_graphs else None
        if getattr(graph, "path", None) is not None:
            return self.pool.run(graph, query, media=media, default_graphs=default_graphs,
                                 named_graphs=named_graphs, timeout=timeout, max_rows=max_rows)
        return self._run_in_thread(graph, query, media, default_graphs, named_graphs, timeout, max_rows)

    def _run_in_thread(self, graph, query, media, default_graphs, named_graphs, timeout, max_rows) -> Answer:
        if not self.slots.acquire(timeout=1.0):
            raise SparqlError(503, BUSY_MESSAGE, "busy")
        cancelled = threading.Event()
        done = threading.Event()
        outcome: dict = {}
        started = time.monotonic()

        def work():
            try:
                outcome["answer"] = evaluate(graph, query, media, default_graphs, named_graphs, timeout, max_rows,
                                             cancelled)
            except BaseException as exc:  # noqa: BLE001 - handed to the request thread below
                outcome["error"] = exc
            finally:
                self.slots.release()
                done.set()

        # A daemon thread, not a pool: an abandoned query must never keep the process from exiting.
        threading.Thread(target=work, name="sparql", daemon=True).start()
        if not done.wait(timeout + 0.05):
            cancelled.set()
            raise SparqlError(503, timeout_message(timeout), "timeout")
        if "error" in outcome:
            raise outcome["error"]
        answer = outcome["answer"]
        answer.seconds = time.monotonic() - started
        return answer


SHARE_MESSAGE = ("You already have as many SPARQL queries running as this endpoint allows one client; "
                 "wait for them to finish, then try again.")


def _iri(value) -> str:
    return value.value if isinstance(value, NamedNode) else str(value)


