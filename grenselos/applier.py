"""The one process that brings the graph store and the search index up to the SQL truth, as changes land.

The graph store's outbox is a table (`transform.graph_outbox`): every stage that changes what the graph
must say adds a row in the transaction of its change, and the applier replays the rows into Oxigraph in id
order, flushes, then deletes them (a killed applier's rows are replayed by the next: each row replaces or
drops whole named graphs). A portal request or the SIP2 server never opens Oxigraph for writing.

Copies change (the circulation desk, a re-harvest), records are converted, works are re-clustered: each
is a row written in its own SQL transaction with a timestamp (`copies.updated_at`, `transform_records.
updated_at`): that is the index's outbox. The applier polls it every few seconds and, when anything is newer than
the last completed index run, runs the incremental index under the data directory's writer lock
(`core.locks`), so it never races a CLI run or another applier for the index's single writer. It holds
no writer between rounds.

Speed (the 2 s p95 from a checkout to search, `bench/circulation.py --to-search`): between full checks
every `every` seconds the applier looks every `check_every` seconds at a cheap change stamp — the newest
`updated_at` of the outbox tables, two index look-ups on one kept connection — and starts a round at once
when it moved, whichever process wrote it (desk, SIP2, a CLI run), on SQLite and PostgreSQL alike. Nothing
below notifies it: the dependency stays one-way (the stages never know an applier exists).

On the embedded default `grenselos serve` runs it in a background thread, so one command serves a site
whose search follows the desk within seconds; in production it runs on its own (`grenselos apply`, one
process for the installation).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timezone

from sqlalchemy import func, inspect as sa_inspect, select

from core.locks import Busy, writer_lock
from transform import graph_outbox
from transform.graphstore import GraphStore

log = logging.getLogger(__name__)


class Applier:
    def __init__(self, settings, every: float = 2.0, check_every: float = 0.1):
        self.settings = settings
        self.every = every
        self.check_every = check_every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.rounds = 0                       # index runs made (for tests and the health page)
        self.busy = False                     # the last round found another writer at work
        self.graph_rows = 0                   # graph outbox rows applied

    @staticmethod
    def outbox_tables(store) -> list:
        """The outbox tables this database has (copies, converted records), their `updated_at` columns."""
        tables = set(sa_inspect(store.engine).get_table_names())
        columns = []
        if "graph_outbox" in tables:
            from transform.graph_outbox import graph_outbox
            columns.append(graph_outbox.c.id)
        if "copies" in tables:
            from transform.copies import copies
            columns.append(copies.c.updated_at)
        if "transform_records" in tables:
            from transform.tables import transform_records
            columns.append(transform_records.c.updated_at)
        return columns

    @staticmethod
    def change_stamp(conn, columns) -> tuple:
        """The newest write to each outbox table: cheap (an index's last entry), so it can be asked often."""
        return tuple(conn.execute(select(func.max(column))).scalar() for column in columns)

    def pending(self, store) -> bool:
        """Anything written since the last completed index run?"""
        from index.indexer import Indexer
        from index.pipeline import target_name
        last = Indexer(store.engine, None, target_name(self.settings)).last_success()
        if last is None:
            return True
        newest = []
        tables = set(sa_inspect(store.engine).get_table_names())
        with store.engine.connect() as conn:
            if "copies" in tables:
                from transform.copies import copies
                newest.append(conn.execute(select(func.max(copies.c.updated_at))).scalar())
            if "transform_records" in tables:
                from transform.tables import transform_records
                newest.append(conn.execute(select(func.max(transform_records.c.updated_at))).scalar())
        stamps = [s.replace(tzinfo=timezone.utc) if s.tzinfo is None else s for s in newest if s is not None]
        return any(s > last for s in stamps)

    def apply_once(self, store=None):
        """One round: index what changed, unless nothing did or another writer is at work. The summary, or None.
        `store`: a record store kept open between rounds (else one is opened for this round)."""
        from harvest.store import RecordStore
        from index.pipeline import index_changes
        own = store is None
        store = store or RecordStore(self.settings.database_url, migrate=False)
        self.busy = False
        try:
            graph_rows, _oldest = graph_outbox.pending(store.engine)
            if not graph_rows and not self.pending(store):
                return None
            try:
                with writer_lock(self.settings.data_dir, wait=0):
                    if graph_rows:
                        self.graph_rows += self.apply_graph(store)
                    summary = index_changes(self.settings, store)
            except Busy:
                self.busy = True
                return None
            self.rounds += 1
            if summary.failed or summary.errors:
                log.warning("applier: %s", summary.line())
            return summary
        finally:
            if own:
                store.close()

    def apply_graph(self, store) -> int:
        """The graph outbox into Oxigraph (the caller holds the writer lock); rows applied."""
        with GraphStore.open(self.settings) as graph:
            return graph_outbox.apply(store.engine, graph)

    def run(self) -> None:
        from harvest.store import RecordStore
        store = RecordStore(self.settings.database_url, migrate=False)
        columns, seen, next_full = None, None, 0.0
        try:
            while not self._stop.is_set():
                try:
                    if columns is None:
                        columns = self.outbox_tables(store)
                    with store.engine.connect() as conn:
                        stamp = self.change_stamp(conn, columns)
                    if stamp != seen or time.monotonic() >= next_full:
                        self.apply_once(store)
                        if not self.busy:          # a busy round leaves the change to be seen again
                            seen = stamp
                        next_full = time.monotonic() + self.every
                        if not columns:            # a database still being set up: look for the tables again
                            columns = None
                except Exception:  # noqa: BLE001 - a failed round is logged and tried again next time
                    log.exception("applier round failed")
                    columns, next_full = None, time.monotonic() + self.every
                    self._stop.wait(self.every)
                self._stop.wait(self.check_every)
        finally:
            store.close()

    def start(self) -> "Applier":
        self._thread = threading.Thread(target=self.run, name="grenselos-applier", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
