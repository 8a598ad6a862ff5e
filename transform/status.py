"""Transform figures for `grenselos status` (per source converted, errors, deleted, works, last run) and the
transform stage's part of `grenselos quarantine` (records that could not be converted, with the cause)."""

from __future__ import annotations

from urllib.parse import unquote

from sqlalchemy import case, func, select
from sqlalchemy.exc import SQLAlchemyError

from core import db
from transform.statistics import facts_table
from transform.tables import transform_records, transform_state

#: Where `transform.holdings.library` files a copy whose owning code nobody knows.
UNKNOWN_LIBRARY = "/library/code/"


def counts_by_source(conn) -> dict[str, dict]:
    out: dict[str, dict] = {}
    rows = conn.execute(select(
        transform_records.c.source,
        func.sum(case((transform_records.c.status == "ok", 1), else_=0)),
        func.sum(case((transform_records.c.status == "error", 1), else_=0)),
        func.sum(case((transform_records.c.status == "deleted", 1), else_=0)),
        func.count(func.distinct(transform_records.c.cluster_id)),
        func.coalesce(func.sum(transform_records.c.triples), 0),
    ).group_by(transform_records.c.source))
    for source, ok, errors, deleted, works, triples in rows:
        out[source] = {"converted": int(ok or 0), "conversion_errors": int(errors or 0),
                       "transform_deleted": int(deleted or 0), "clusters": int(works or 0),
                       "triples": int(triples or 0), "last_transform": None}
    unknown = conn.execute(select(facts_table.c.source, facts_table.c.library, func.sum(facts_table.c["items"]))
                           .where(facts_table.c.library.like(f"%{UNKNOWN_LIBRARY}%"))
                           .group_by(facts_table.c.source, facts_table.c.library))
    for source, library, items in unknown:
        code = unquote(library.rsplit(UNKNOWN_LIBRARY, 1)[1])
        out.setdefault(source, {"converted": 0, "conversion_errors": 0, "transform_deleted": 0, "clusters": 0,
                                "triples": 0, "last_transform": None})
        out[source].setdefault("unknown_library_codes", {})[code] = int(items or 0)
    for row in conn.execute(select(transform_state)):
        entry = out.setdefault(row.source, {"converted": 0, "conversion_errors": 0, "transform_deleted": 0,
                                            "clusters": 0, "triples": 0, "last_transform": None})
        if row.last_run is not None:
            entry["last_transform"] = row.last_run.isoformat(timespec="seconds")
    return out


def add_status(settings, counts: dict) -> None:
    """Add per-source transform counts to the `status` table (zeros for never-transformed sources).

    `clusters` counts the works holding at least one record of the source.
    """
    engine = db.engine_for(settings.database_url)
    try:
        with engine.connect() as conn:
            figures = counts_by_source(conn)
    except SQLAlchemyError:
        figures = {}
    finally:
        engine.dispose()
    for source, entry in counts.items():
        entry.update(figures.get(source, {"converted": 0, "conversion_errors": 0, "transform_deleted": 0,
                                          "clusters": 0, "triples": 0, "last_transform": None}))


def quarantined(settings, source: str | None = None) -> list[dict]:
    """Records the transform stage could not convert, in the shape of `RecordStore.quarantined()`.

    They are kept in `transform_records` (status `error`, with the cause) rather than copied into the
    harvest's quarantine table, so a record fixed at the source leaves this list by itself on the next run.
    """
    engine = db.engine_for(settings.database_url)
    t = transform_records
    try:
        with engine.connect() as conn:
            q = select(t.c.source, t.c.identifier, t.c.record_id, t.c.error, t.c.updated_at).where(
                t.c.status == "error").order_by(t.c.source, t.c.identifier)
            if source:
                q = q.where(t.c.source == source)
            rows = list(conn.execute(q))
    except SQLAlchemyError:
        return []
    finally:
        engine.dispose()
    base = settings.base_uri.rstrip("/")
    return [{"source": r.source, "stage": "transform", "identifier": r.identifier,
             "location": f"{base}/instance/{r.source}-{r.record_id}", "cause": r.error or "conversion failed",
             "created_at": r.updated_at} for r in rows]
