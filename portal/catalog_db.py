"""Read-only access to the rows the portal needs from the record store and the transform tables.

The search index answers searches and carries what a record page shows (contributors with roles,
every copy with its status); a few details live only in the database the earlier stages write: the
record id the transform stage minted for a harvest identifier (links from the staff report), when a
record first arrived (new titles), and which work is a translation of which. Every read is one
batched, parameterised query on indexed columns, so a page of fifty titles costs one round trip.
A database without the transform tables (a portal over a bare record store) answers empty results
rather than failing.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from sqlalchemy import inspect as sa_inspect, select, tuple_

from core.db import chunks

log = logging.getLogger(__name__)

CHUNK = 200          # pairs per IN (...) query; keeps statements small on SQLite and PostgreSQL alike


class CatalogDatabase:
    def __init__(self, url_or_engine):
        from core import db
        self.engine = db.engine_for(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
        self._tables: set[str] | None = None
        self._lock = threading.Lock()

    def has(self, table: str) -> bool:
        """Whether a stage's table exists (checked again later while missing: a stage may run meanwhile)."""
        if self._tables is None or table not in self._tables:
            with self._lock:
                try:
                    self._tables = set(sa_inspect(self.engine).get_table_names())
                except Exception:  # noqa: BLE001 - an unreachable database reads as an empty one
                    log.exception("catalogue database not readable")
                    self._tables = set()
        return table in self._tables

    def _rows(self, table, pairs: list[tuple[str, str]], *columns):
        """Rows of a table keyed by (source, identifier) for the given pairs, one query per chunk."""
        with self.engine.connect() as conn:
            for chunk in chunks(sorted(set(pairs)), CHUNK):
                yield from conn.execute(select(table.c.source, table.c.identifier, *columns).where(
                    tuple_(table.c.source, table.c.identifier).in_(chunk)))

    # -- record ids -------------------------------------------------------------------------------

    def record_ids(self, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """(source, identifier) -> the transform stage's record id, for those it has minted."""
        if not pairs or not self.has("transform_records"):
            return {}
        from transform.tables import transform_records as t
        return {(r.source, r.identifier): r.record_id for r in self._rows(t, pairs, t.c.record_id)}

    def translation_links(self, cluster_id: str) -> dict[str, list[str]]:
        """{'original': [cluster ids this work translates], 'translations': [clusters translating it]}."""
        if not cluster_id or not self.has("clusters"):
            return {"original": [], "translations": []}
        from transform.tables import clusters as c
        with self.engine.connect() as conn:
            original = conn.execute(select(c.c.translation_of).where(c.c.cluster_id == cluster_id)).scalar()
            translations = conn.execute(select(c.c.cluster_id).where(c.c.translation_of == cluster_id)
                                        .order_by(c.c.cluster_id)).scalars().all()
        return {"original": [original] if original else [], "translations": list(translations)}

    # -- harvested records -------------------------------------------------------------------------

    def first_seen(self, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], datetime]:
        if not pairs or not self.has("records"):
            return {}
        from harvest.tables import records as r
        return {(row.source, row.identifier): row.first_seen or row.changed_at
                for row in self._rows(r, pairs, r.c.first_seen, r.c.changed_at)}

    def close(self) -> None:
        self.engine.dispose()
