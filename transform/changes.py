"""The change log the transform pipeline appends to, and the facts the publishing side filters on.

National services follow Grenseløs without re-harvesting (as LIBRIS offers for Sweden): every run
appends one row per resource that appeared, changed or went away (`Create`, `Update`, `Delete`), in a
strictly increasing `seq`, inside the same transaction that records the batch as done. A killed run
therefore never logs a change it did not make, and a redone batch logs it once more (a reader sees a
second `Update`, which is harmless; a lost one would not be). The portal's `/changes` feed pages over
this table by `seq` and the resource views answer 410 Gone from it.

`record_languages` keeps each live record's language codes (008 and 041, normalised) so the OAI-PMH
provider can offer per-language and language-group sets with plain indexed SQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, Mapping

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, delete, func, insert, or_, select

from transform.tables import transform_records

metadata = MetaData()

change_log = Table(
    "change_log", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("time", DateTime(timezone=True), nullable=False),
    Column("activity", String(8), nullable=False),            # Create | Update | Delete
    Column("uri", String(1024), nullable=False),
    Column("kind", String(16), nullable=False),               # instance | work
    Column("source", String(64)),
    Column("record_id", String(512)),
    Index("ix_change_log_uri", "uri"),
)

record_languages = Table(
    "record_languages", metadata,
    Column("source", String(64), primary_key=True),
    Column("identifier", String(512), primary_key=True),
    Column("language", String(16), primary_key=True),
    Index("ix_record_languages_language", "language"),
)

ACTIVITIES = ("Create", "Update", "Delete")
KINDS = ("instance", "work")


def instance_uri(base_uri: str, source: str, record_id: str) -> str:
    return f"{base_uri.rstrip('/')}/instance/{source}-{record_id}"


def work_uri_from_graph(graph_name: str) -> str:
    """`{base}/graph/work-{cluster}` → `{base}/work/{cluster}`."""
    base, _, cluster = graph_name.partition("/graph/work-")
    return f"{base}/work/{cluster}"


def languages_of(record, source_id: str) -> list[str]:
    """The record's own language codes as catalogued (no detection: it must be cheap and deterministic)."""
    from transform.languages import record_languages as read
    try:
        return list(dict.fromkeys(read(record, source_id, detect=False).effective))[:20]
    except Exception:  # noqa: BLE001 - a record whose codes cannot be read simply has no language set
        return []


def log_records(conn, base_uri: str, source_id: str, converted: Mapping[str, tuple[str, object]],
                removed: Mapping[str, str], stamp: datetime) -> int:
    """Log one pipeline batch before its rows are updated (so the old status still tells Create from Update).

    `converted` maps identifier → (record_id, record) for records whose graph was (re)written;
    `removed` maps identifier → record_id for records whose graph was dropped (deleted or failed).
    Returns the number of change rows written.
    """
    identifiers = [*converted, *removed]
    if not identifiers:
        return 0
    old = {}
    for start in range(0, len(identifiers), 500):
        chunk = identifiers[start:start + 500]
        old.update(conn.execute(select(transform_records.c.identifier, transform_records.c.status)
                                .where(transform_records.c.source == source_id,
                                       transform_records.c.identifier.in_(chunk))).all())
    rows = []
    for identifier, (record_id, _record) in converted.items():
        activity = "Update" if old.get(identifier) == "ok" else "Create"
        rows.append(_row(stamp, activity, instance_uri(base_uri, source_id, record_id), "instance",
                         source_id, record_id))
    for identifier, record_id in removed.items():
        if old.get(identifier) == "ok":
            rows.append(_row(stamp, "Delete", instance_uri(base_uri, source_id, record_id), "instance",
                             source_id, record_id))
    if rows:
        conn.execute(insert(change_log), rows)
    # A removed record keeps its languages, so a harvester of a language set still sees its delete.
    rewritten = list(converted)
    for start in range(0, len(rewritten), 500):
        conn.execute(delete(record_languages).where(record_languages.c.source == source_id,
                                                    record_languages.c.identifier.in_(
                                                        rewritten[start:start + 500])))
    language_rows = [{"source": source_id, "identifier": identifier, "language": code}
                     for identifier, (_rid, record) in converted.items() if record is not None
                     for code in languages_of(record, source_id)]
    if language_rows:
        conn.execute(insert(record_languages), language_rows)
    return len(rows)


def log_works(engine, graph, written: Iterable, removed_clusters: Iterable[str], stamp: datetime) -> int:
    """Log work graphs about to be (re)written (`written`: graph names) or removed (cluster ids)."""
    rows = []
    for name in written:
        value = getattr(name, "value", name)
        activity = "Update" if graph.has_graph(name) else "Create"
        rows.append(_row(stamp, activity, work_uri_from_graph(value), "work"))
    for cluster in removed_clusters:
        name = graph.work_graph(cluster)
        if graph.has_graph(name):
            rows.append(_row(stamp, "Delete", str(graph.work_uri(cluster).value), "work"))
    if rows:
        with engine.begin() as conn:
            conn.execute(insert(change_log), rows)
    return len(rows)


def _row(stamp, activity, uri, kind, source=None, record_id=None) -> dict:
    return {"time": stamp, "activity": activity, "uri": uri, "kind": kind, "source": source,
            "record_id": record_id}


# -- reading ---------------------------------------------------------------------------------------

def last_seq(conn) -> int:
    return int(conn.execute(select(func.max(change_log.c.seq))).scalar() or 0)


def page(conn, after: int, limit: int) -> list[dict]:
    """Entries with seq > after, oldest first (keyset paging: stable while the log grows)."""
    rows = conn.execute(select(change_log).where(change_log.c.seq > after)
                        .order_by(change_log.c.seq).limit(limit))
    return [dict(r._mapping) for r in rows]


def count(conn, sources=None) -> int:
    """Entries in the log; with `sources`, only those of works and of records of these sources."""
    query = select(func.count()).select_from(change_log)
    if sources is not None:
        query = query.where(or_(change_log.c.source.is_(None), change_log.c.source.in_(list(sources))))
    return int(conn.execute(query).scalar() or 0)


def latest_for(conn, uri: str) -> dict | None:
    """The newest change of one resource (its activity says whether it is gone)."""
    row = conn.execute(select(change_log).where(change_log.c.uri == uri)
                       .order_by(change_log.c.seq.desc()).limit(1)).first()
    return dict(row._mapping) if row else None
