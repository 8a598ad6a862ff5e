"""The graph outbox: every write the graph store must take, kept in SQL in the transaction of its change.

Oxigraph allows one writing process per directory, and the graph store is a projection of the SQL truth.
So nothing but the applier writes it: a stage that changes what the graph must say (a converted or
deleted record, a work whose members changed, the libraries or statistics graph, the lists) adds a row to
`graph_outbox` in the same SQL transaction as the change — a rollback leaves neither — and `apply`
replays the rows into Oxigraph in id order, flushes, and only then deletes them. A killed applier leaves
its rows behind and the next one replays them: every row replaces or drops whole named graphs, so
applying one twice is harmless.

Rows carry their triples (`payload`: N-Quads, zlib-compressed, about a tenth of the text) rather than a
reference to `record_descriptions`: the packed description keeps what search reads, not the datatypes and
language tags of literals, so it cannot give back the graph. One row holds a whole write (a batch of 200
records is one row), `graphs` names the graphs it replaces or removes (JSON), `op` is replace, remove or
clear.

    GraphOutbox(engine, view).replace(graphs) / .remove(names) / .clear()   # what GraphStore offers writers
    GraphOutbox(...).replace_text({graph: graph_lines(graph, triples)})     # the same, printed elsewhere
    GraphOutbox(engine, view, conn=conn)            # the same, inside the caller's transaction
    apply(engine, graph) -> rows applied            # under core.locks.writer_lock, by one process
    BackgroundApply(engine, graph).step() / .drain() / .close()   # the same, Oxigraph in a thread beside the caller
    pending(engine) -> (rows, oldest created_at)
    writing(settings, engine): the CLI's way to write: lock, store, apply before and after
"""

from __future__ import annotations

import zlib
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Mapping

import orjson
from pyoxigraph import NamedNode, Quad, RdfFormat, parse
from sqlalchemy import (Column, DateTime, Integer, LargeBinary, String, Table, Text, delete, func, insert, select,
                        update)
from sqlalchemy import inspect as sa_inspect

from core.clock import now
from core.locks import writer_lock
from transform.graphstore import GraphStore, nquads
from transform.tables import metadata

#: Rows read and written before one flush and one delete.
APPLY_ROWS = 50
#: Rows one step of `BackgroundApply` hands its thread (a batch of 200 records is one row, ~0.5 MB compressed):
#: few, so that what the thread holds stays small while the caller's batch is at its largest.
BACKGROUND_ROWS = 8

graph_outbox = Table(
    "graph_outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),          # records, works, libraries, statistics, lists, repair…
    Column("op", String(8), nullable=False),             # replace | remove | clear
    Column("graphs", Text, nullable=False),              # JSON list of graph IRIs
    Column("payload", LargeBinary, nullable=True),       # zlib(N-Quads) for replace
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: One row (id 1): when the applier last changed the store, so that read-only readers (the portal's
#: linked-data views) know to reopen it.
graph_outbox_applied = Table(
    "graph_outbox_applied", metadata,
    Column("id", Integer, primary_key=True),
    Column("applied_at", DateTime(timezone=True), nullable=False),
    Column("rows", Integer, nullable=False),
)


def pack_quads(graphs: Mapping[NamedNode, Iterable]) -> bytes:
    return zlib.compress(nquads(graphs), 1)


def unpack_quads(payload: bytes | None) -> list[Quad]:
    if not payload:
        return []
    return list(parse(zlib.decompress(payload), format=RdfFormat.N_QUADS))


def row(kind: str, op: str, names: Iterable, payload: bytes | None = None) -> dict:
    return {"kind": kind, "op": op, "graphs": orjson.dumps([getattr(n, "value", n) for n in names]).decode(),
            "payload": payload, "created_at": now()}


class GraphOutbox:
    """What a writer of the graph store sees: `replace`, `remove`, `clear` become outbox rows; names and
    reads (`store`, `has_graph`, `record_graph`…) come from `view`, the graph store as last applied (read
    only, or the writer's own store in the process that applies). With `conn`, rows join that transaction;
    without, each write is a transaction of its own."""

    def __init__(self, engine, view: GraphStore, kind: str = "graph", conn=None):
        self.engine = engine
        self.view = view
        self.kind = kind
        self.conn = conn
        self.base_uri = view.base_uri

    def __getattr__(self, name):
        return getattr(self.view, name)

    def bound(self, conn, kind: str | None = None) -> "GraphOutbox":
        """The same outbox writing inside `conn`'s transaction."""
        return GraphOutbox(self.engine, self.view, kind or self.kind, conn)

    def _add(self, rows: list[dict]) -> None:
        if not rows:
            return
        if self.conn is not None:
            self.conn.execute(insert(graph_outbox), rows)
        else:
            with self.engine.begin() as conn:
                conn.execute(insert(graph_outbox), rows)

    def replace(self, graphs: Mapping[NamedNode, Iterable], kind: str | None = None) -> int:
        if not graphs:
            return 0
        graphs = {g: list(t) for g, t in graphs.items()}
        self._add([row(kind or self.kind, "replace", graphs, pack_quads(graphs))])
        return sum(len(t) for t in graphs.values())

    def replace_text(self, graphs: Mapping[NamedNode, str], kind: str | None = None) -> None:
        """`replace` for graphs already printed as N-Quads (`graph_lines`): the same row, byte for byte."""
        if graphs:
            self._add([row(kind or self.kind, "replace", graphs,
                           zlib.compress("".join(graphs.values()).encode("utf-8"), 1))])

    def remove(self, names: Iterable[NamedNode], kind: str | None = None) -> int:
        names = list(names)
        if names:
            self._add([row(kind or self.kind, "remove", names)])
        return len(names)

    def clear(self) -> None:
        self._add([row(self.kind, "clear", [])])

    def flush(self) -> None:
        """Nothing to flush: the applier flushes the store."""


def has_table(engine) -> bool:
    return sa_inspect(engine).has_table("graph_outbox")


def pending(engine) -> tuple[int, datetime | None]:
    """Rows waiting for the applier, and when the oldest was written."""
    if not has_table(engine):
        return 0, None
    with engine.connect() as conn:
        count, oldest = conn.execute(select(func.count(), func.min(graph_outbox.c.created_at))).one()
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=timezone.utc)
    return int(count), oldest


def last_applied(conn) -> datetime | None:
    """When the applier last changed the graph store (None: never, or before this table existed)."""
    value = conn.execute(select(graph_outbox_applied.c.applied_at).where(graph_outbox_applied.c.id == 1)).scalar()
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


def apply(engine, graph: GraphStore, after_write=None) -> int:
    """Replay the outbox into `graph` in id order; returns rows applied. The caller holds the writer lock.

    A chunk of rows is written one row at a time (Oxigraph parses each row's N-Quads itself), the store
    is flushed, and only then are exactly the applied rows deleted (by id: a row another transaction commits meanwhile,
    with a lower id, is applied next time, never lost). `after_write`: called between the flush and the
    delete (tests kill the applier there)."""
    if not has_table(engine):
        return 0
    done = 0
    after = 0
    while True:
        rows = _next_rows(engine, after)
        if not rows:
            return done
        _write_and_flush(graph, rows)
        if after_write is not None:
            after_write(rows)
        _mark_applied(engine, [r.id for r in rows])
        done += len(rows)
        after = rows[-1].id


def _next_rows(engine, after: int, limit: int | None = None) -> list:
    with engine.connect() as conn:
        return conn.execute(select(graph_outbox).where(graph_outbox.c.id > after)
                            .order_by(graph_outbox.c.id).limit(limit or APPLY_ROWS)).all()


def _write_and_flush(graph: GraphStore, rows) -> None:
    _write(graph, rows)
    graph.flush()


def _mark_applied(engine, ids: list[int]) -> None:
    """The rows are in the flushed store: delete them and note when the store changed."""
    with engine.begin() as conn:
        conn.execute(delete(graph_outbox).where(graph_outbox.c.id.in_(ids)))
        values = {"applied_at": now(), "rows": len(ids)}
        if not conn.execute(update(graph_outbox_applied).where(graph_outbox_applied.c.id == 1)
                            .values(**values)).rowcount:
            conn.execute(insert(graph_outbox_applied).values(id=1, **values))


class BackgroundApply:
    """`apply` for a process that keeps adding rows (a CLI transform): Oxigraph's writes run in a thread
    of their own, beside the caller's conversion. Oxigraph releases the GIL while it parses and stores, and
    storing is about as much CPU as converting, so on two cores the two overlap instead of taking turns.

    Only the thread writes the store, and only the caller touches SQL: `step()` (between two batches)
    deletes the rows the thread has flushed and hands it the next pending ones, or returns at once while
    it is still busy; `drain()` waits and applies everything (before the store is read, and at the end).
    Rows are deleted only after the store was flushed, as in `apply`: a killed run replays them."""

    def __init__(self, engine, graph: GraphStore):
        self.engine = engine
        self.graph = graph
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="graph-outbox")
        self._running = None            # (future, row ids) of the chunk being written
        self.applied = 0
        self._has_table = False

    def step(self) -> None:
        if self._running is not None:
            if not self._running[0].done():
                return
            self._collect()
        self._has_table = self._has_table or has_table(self.engine)
        if not self._has_table:
            return
        rows = _next_rows(self.engine, 0, BACKGROUND_ROWS)
        if rows:
            self._running = (self._thread.submit(_write_and_flush, self.graph, rows), [r.id for r in rows])

    def _collect(self) -> None:
        future, ids = self._running
        self._running = None
        future.result()                 # the thread's error, if any, is the caller's
        _mark_applied(self.engine, ids)
        self.applied += len(ids)

    def drain(self) -> int:
        if self._running is not None:
            self._collect()
        self.applied += apply(self.engine, self.graph)
        return self.applied

    def close(self) -> None:
        """Wait for the thread (the store must not close under it); what it wrote is replayed next time."""
        if self._running is not None:
            self._running[0].exception()
            self._running = None
        self._thread.shutdown(wait=True)


def _write(graph: GraphStore, rows) -> None:
    """Each row as its stage would have written it: replace (drop its graphs, load its quads), remove, clear."""
    for r in rows:
        if r.op == "clear":
            graph.clear()
            continue
        names = [NamedNode(n) for n in orjson.loads(r.graphs)]
        graph.remove(names)
        if r.op == "replace" and r.payload:
            graph.load_nquads(zlib.decompress(r.payload))


@contextmanager
def writing(settings, engine, graph: GraphStore | None = None, kind: str = "graph"):
    """For a CLI verb that writes the graph: take the writer lock, open the store (unless given), apply
    what is pending, yield an outbox whose reads see the store, and apply the verb's rows at the end."""
    with writer_lock(settings.data_dir):
        own = graph is None
        graph = graph if graph is not None else GraphStore.open(settings)
        try:
            apply(engine, graph)
            yield GraphOutbox(engine, graph, kind)
            apply(engine, graph)
        finally:
            if own:
                graph.close()


def reading_view(settings) -> GraphStore:
    """The graph store for a process that must not write it (a portal request): read-only, or an empty
    in-memory store before the first transform made the directory."""
    path = Path(settings.data_dir) / "graph"
    if path.is_dir():
        try:
            return GraphStore(path, settings.base_uri, read_only=True)
        except OSError:
            pass
    return GraphStore(None, settings.base_uri)
