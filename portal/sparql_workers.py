"""Long-lived worker processes that evaluate SPARQL queries and can be killed when one runs too long.

Why processes: Oxigraph has no way to cancel a running query, so the only sure stop for a runaway
aggregate is to end the process evaluating it (see `portal.sparql_service`). Workers come from the
`forkserver` context: the portal process has RocksDB open, and forking it would copy that state into
the child; the fork server is a fresh interpreter that never opens a store, and forking *it* makes a
replacement worker ready in milliseconds. Each worker opens the graph store read-only by path.

Freshness: a read-only Oxigraph store sees the data as it was when it was opened. The portal reopens
its own handle when a transform run has finished (`portal.ld_store`); the pool notices that the handle
it is given is a new object and sends a new generation with the next job, and a worker whose store is
of an older generation reopens it before evaluating.

A worker also dies with the portal, even in the middle of a query: it holds the read end of a
"lifeline" pipe whose only write end is in the portal, and a watchdog thread (Oxigraph releases the GIL
while it evaluates) ends the worker when that pipe closes, which happens however the portal ends. The
pool kills every worker at interpreter exit as well.

As with any `spawn`/`forkserver` use, the portal's main module must be importable without side effects
(`if __name__ == "__main__":`), since each worker imports it; the console scripts and WSGI servers are.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import threading
import time
import weakref

from portal import sandbox
from portal.sparql_eval import BUSY_MESSAGE, STORE_MESSAGE, Answer, SparqlError, evaluate, timeout_message

#: Seconds past the query's own deadline the parent waits before it kills the worker: a query that
#: streams rows notices the deadline itself and answers within this margin, keeping its worker.
GRACE = 0.3
#: Seconds a new worker may take to start and open the store.
START_TIMEOUT = 60.0
#: Seconds a request waits for a free worker before it is answered "busy".
BUSY_WAIT = 1.0

_pools: "weakref.WeakSet[WorkerPool]" = weakref.WeakSet()


def _context():
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        # Takes effect only if the fork server is not running yet; then workers skip these imports.
        ctx.set_forkserver_preload(["portal.sparql_workers", "transform.graphstore", "transform.serialize",
                                    "rdflib.plugins.sparql.parser"])
    return ctx


class _Worker:
    def __init__(self, process, conn, lifeline, pid: int):
        self.process, self.conn, self.lifeline, self.pid = process, conn, lifeline, pid

    def alive(self) -> bool:
        return self.process.is_alive()

    def kill(self) -> None:
        """SIGKILL and reap: the CPU work stops now, whatever Oxigraph was doing."""
        try:
            self.process.kill()
        except (OSError, ValueError):
            pass
        self.process.join(5)
        for end in (self.conn, self.lifeline):
            try:
                end.close()
            except OSError:
                pass


class WorkerPool:
    """Up to `size` worker processes, started when needed, one query at a time each."""

    def __init__(self, size: int = 2):
        self.size = max(1, int(size))
        self._slots = threading.BoundedSemaphore(self.size)
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._live = 0                  # idle + busy + starting; never above size
        self._generation = 0
        self._seen: weakref.ref | None = None
        self._key: tuple[str, str, int] | None = None
        self._epoch = 0                 # bumped by close(): replacements started before it are dropped
        _pools.add(self)

    # -- what the endpoint calls -----------------------------------------------------------------

    def run(self, graph, query: str, *, media: dict[str, str], default_graphs: list[str],
            named_graphs: list[str] | None, timeout: float, max_rows: int) -> Answer:
        """Evaluate in a worker; past `timeout` the worker is killed and SparqlError(503) raised."""
        if not self._slots.acquire(timeout=BUSY_WAIT):
            raise SparqlError(503, BUSY_MESSAGE, "busy")
        try:
            key = self._store_key(graph)
            job = {"key": key, "query": query, "media": media, "default_graphs": default_graphs,
                   "named_graphs": named_graphs, "timeout": timeout, "max_rows": max_rows}
            worker = self._take(key)
            started = time.monotonic()
            try:
                worker.conn.send(job)
            except OSError:                       # died while idle: one fresh worker, one more try
                self._discard(worker)
                worker = self._take(key)
                started = time.monotonic()
                try:
                    worker.conn.send(job)
                except OSError as exc:
                    self._discard(worker)
                    logging.getLogger(__name__).warning("SPARQL worker could not take a query: %s", exc)
                    raise SparqlError(500, "The SPARQL worker could not take the query.") from None
            try:
                if not worker.conn.poll(timeout + GRACE):
                    self._discard(worker, replace=True)
                    raise SparqlError(503, timeout_message(timeout), "timeout")
                reply = worker.conn.recv()
            except (EOFError, OSError):
                self._discard(worker, replace=True)
                raise SparqlError(500, "The query process ended unexpectedly (out of memory?); "
                                       "try a more selective query.") from None
            except SparqlError:
                raise
            except BaseException:          # whatever else happened, the worker is not left counted as busy
                self._discard(worker, replace=True)
                raise
            self._give_back(worker)
        finally:
            self._slots.release()
        if reply[0] == "error":
            raise SparqlError(*reply[1:])
        _kind, body, media_type, rows = reply
        return Answer(body, media_type, rows, time.monotonic() - started)

    def pids(self) -> list[int]:
        """Process ids of the running workers (for status pages and tests)."""
        with self._cond:
            return sorted(w.pid for w in self._all)

    def close(self) -> None:
        """Kill every worker; the pool starts new ones if it is used again."""
        with self._cond:
            workers, self._all, self._idle = list(self._all), set(), []
            self._live = 0
            self._epoch += 1
            self._cond.notify_all()
        for worker in workers:
            worker.kill()

    # -- bookkeeping -----------------------------------------------------------------------------

    def _store_key(self, graph) -> tuple[str, str, int]:
        with self._cond:
            if self._seen is None or self._seen() is not graph:
                self._generation += 1
                self._seen = weakref.ref(graph)
                self._key = (str(graph.path), graph.base_uri, self._generation)
            return self._key

    def _take(self, key) -> _Worker:
        """An idle worker, else a new one if the pool is not full, else wait for a replacement."""
        deadline = time.monotonic() + START_TIMEOUT
        with self._cond:
            while True:
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive():
                        return worker
                    worker.kill()                # reaps it and closes its pipes
                    self._forget(worker)
                if self._live < self.size:
                    self._live += 1
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SparqlError(503, BUSY_MESSAGE, "busy")
                self._cond.wait(left)          # a replacement is starting; it lands in _idle
        try:
            worker = _start(key)
        except BaseException:
            with self._cond:
                self._live -= 1
                self._cond.notify()
            raise
        with self._cond:
            self._all.add(worker)
        return worker

    def _give_back(self, worker: _Worker) -> None:
        with self._cond:
            if worker in self._all:
                self._idle.append(worker)
                self._cond.notify()
            else:                               # the pool was closed meanwhile
                worker.kill()

    def _forget(self, worker: _Worker) -> None:
        self._all.discard(worker)
        self._live -= 1

    def _discard(self, worker: _Worker, replace: bool = False) -> None:
        worker.kill()
        with self._cond:
            if worker not in self._all:
                return
            self._forget(worker)
            if not replace:
                self._cond.notify()
                return
            self._live += 1                     # the replacement's place, taken before it exists
            key, epoch = self._key, self._epoch
        threading.Thread(target=self._replace, args=(key, epoch), name="sparql-worker-start", daemon=True).start()

    def _replace(self, key, epoch: int) -> None:
        """Start a worker in the background so the query after a killed one does not wait for it."""
        try:
            worker = _start(key)
        except BaseException:  # noqa: BLE001 - a later query starts one itself and reports the error
            worker = None
        with self._cond:
            if epoch != self._epoch:            # closed meanwhile: its counts are gone, so is it
                if worker is not None:
                    worker.kill()
                return
            if worker is None:
                self._live -= 1
            else:
                self._all.add(worker)
                self._idle.append(worker)
            self._cond.notify()


def _start(key) -> _Worker:
    ctx = _context()
    parent, child = ctx.Pipe()
    life_r, life_w = ctx.Pipe(duplex=False)
    process = ctx.Process(target=serve, args=(child, life_r, key), name="grenselos-sparql", daemon=True)
    process.start()
    child.close()
    life_r.close()
    worker = _Worker(process, parent, life_w, process.pid)
    if not parent.poll(START_TIMEOUT):
        worker.kill()
        raise SparqlError(500, f"The SPARQL worker did not start within {START_TIMEOUT:g} s.")
    try:
        message = parent.recv()
    except (EOFError, OSError):
        worker.kill()
        raise SparqlError(500, "The SPARQL worker ended while starting.") from None
    if message[0] != "ready":
        worker.kill()
        raise SparqlError(*message[1:])
    return worker


@atexit.register
def _close_all() -> None:
    for pool in list(_pools):
        pool.close()


# -- the worker process ----------------------------------------------------------------------------

def serve(conn, lifeline, key) -> None:
    """Worker main loop: give up the network, open the store, then answer jobs until the pipe closes."""
    if not sandbox.deny_network():
        logging.getLogger(__name__).warning(
            "SPARQL worker %s runs without its network sandbox (seccomp unavailable here); federation is "
            "still refused from the parsed query", os.getpid())
    threading.Thread(target=_watch, args=(lifeline,), name="lifeline", daemon=True).start()
    graph = None
    try:
        graph = _open(key)
    except SparqlError as err:
        conn.send(("error", *err.parts()))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            if job["key"] != key:
                graph.close()
                graph, key = _open(job["key"]), job["key"]
            answer = evaluate(graph, job["query"], job["media"], job["default_graphs"], job["named_graphs"],
                              job["timeout"], job["max_rows"])
            reply = ("answer", answer.body, answer.media_type, answer.rows)
        except SparqlError as err:
            reply = ("error", *err.parts())
        except Exception as exc:  # noqa: BLE001 - the worker lives on; the text stays in the log
            logging.getLogger(__name__).warning("SPARQL worker error: %s: %s", type(exc).__name__,
                                                ascii(str(exc))[:500])
            reply = ("error", 500, STORE_MESSAGE)
        try:
            conn.send(reply)
        except OSError:
            return


def _open(key):
    from transform.graphstore import GraphStore
    path, base_uri, _generation = key
    try:
        return GraphStore(path, base_uri, read_only=True)
    except OSError as exc:
        logging.getLogger(__name__).warning("SPARQL worker could not open the graph store: %s", exc)
        raise SparqlError(500, "The graph store could not be opened.") from None


def _watch(lifeline) -> None:
    """End this worker at once when the portal is gone (its end of the lifeline closed)."""
    try:
        lifeline.poll(None)
    except OSError:
        pass
    os._exit(0)
