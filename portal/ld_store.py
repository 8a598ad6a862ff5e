"""The linked-data views' handles on the stores: the SQL database and the graph store, opened lazily.

The graph store is opened read-only (the applier of the graph outbox is the one writer) and reopened when a
transform run, the applier or `grenselos lists graph` has finished since it was opened, because a read-only Oxigraph store sees the data as
it was when it was opened. The check is one indexed query at most every `RECHECK` seconds.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

from sqlalchemy import func, select

from transform import graph_outbox
from transform.graphstore import GraphStore
from lists.tables import list_graph_runs
from transform.tables import transform_state

RECHECK = 2.0


class LinkedDataStores:
    def __init__(self, settings, engine):
        self.settings = settings
        self.base_uri = settings.base_uri
        self.engine = engine
        self._graph: GraphStore | None = None
        self._graph_stamp = None
        self._checked = 0.0
        self._lock = threading.RLock()

    def sql(self):
        """The app's one engine (`portal.services.sql`)."""
        return self.engine

    def last_run(self) -> datetime | None:
        with self.sql().connect() as conn:
            value = conn.execute(select(func.max(transform_state.c.last_run))).scalar()
            lists_written = conn.execute(select(func.max(list_graph_runs.c.written_at))).scalar()
            applied = graph_outbox.last_applied(conn)
        value = max((v for v in (value, lists_written, applied) if v is not None), default=None,
                    key=lambda v: v if v.tzinfo else v.replace(tzinfo=timezone.utc))
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value

    def graph(self) -> GraphStore:
        """The graph store as of the newest finished transform run."""
        now = time.monotonic()
        if self._graph is not None and now - self._checked < RECHECK:
            return self._graph
        with self._lock:
            stamp = self.last_run()
            self._checked = now
            if self._graph is None or stamp != self._graph_stamp:
                path = self.settings.data_dir / "graph"
                if not path.exists():
                    graph = GraphStore(None, self.base_uri)          # nothing transformed yet: empty
                else:
                    graph = GraphStore.open(self.settings, read_only=True)
                self._graph, self._graph_stamp = graph, stamp
            return self._graph


def stores() -> LinkedDataStores:
    from portal.services import once_per_app, settings, sql
    return once_per_app("linked_data", lambda: LinkedDataStores(settings(), sql()))
