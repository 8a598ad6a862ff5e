"""What a librarian needs to judge one source's harvests: the figures the staff pages show.

Built here, from the harvest stage's own tables, so the portal's pages and their JSON twins only add
links and labels. The raw bytes of a quarantined record are returned as text (undecodable bytes
replaced, cut at `RAW_LIMIT`): the page shows them escaped, never as markup.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, func, select

from harvest import attempts, schedule
from harvest.tables import quarantine, records

RAW_LIMIT = 20000
LIST_LIMIT = 50


def counts(engine, source: str) -> dict:
    with engine.connect() as conn:
        live, deleted, errors, holdings = conn.execute(select(
            func.sum(case((and_(records.c.deleted.is_(False), records.c.error.is_(None),
                                records.c.record_type != "holdings"), 1), else_=0)),
            func.sum(case((records.c.deleted.is_(True), 1), else_=0)),
            func.sum(case((records.c.error.is_not(None), 1), else_=0)),
            func.sum(case((and_(records.c.deleted.is_(False), records.c.record_type == "holdings"), 1), else_=0)),
        ).where(records.c.source == source)).one()
        pages = conn.execute(select(func.count()).select_from(quarantine)
                             .where(quarantine.c.source == source)).scalar()
    return {"records": int(live or 0), "deleted": int(deleted or 0), "holdings": int(holdings or 0),
            "quarantined": int(errors or 0) + int(pages or 0)}


def next_run(engine, settings, source, now: datetime) -> str | None:
    if not source.oai_url:
        return None
    when = schedule.next_run(source.id, attempts.last_started(engine, source.id), source.schedule_minutes,
                             settings.scheduler.jitter_seconds, now)
    return attempts.iso(max(when, now)) if when is not None else None


def overview(engine, settings, source, now: datetime) -> dict:
    """One source's line on the staff list: health, counts and the next scheduled run."""
    return {"id": source.id, "name": source.name, "library": source.library or source.id,
            "harvested": bool(source.oai_url), "schedule_minutes": source.schedule_minutes if source.oai_url else 0,
            "next_run": next_run(engine, settings, source, now), "contact_email": source.contact_email,
            **attempts.summarise(attempts.recent(engine, source.id, attempts.WINDOW)),
            **counts(engine, source.id)}


def _text(raw) -> str | None:
    if raw is None:
        return None
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return text if len(text) <= RAW_LIMIT else text[:RAW_LIMIT] + " …"


def quarantined(engine, source: str, limit: int = LIST_LIMIT) -> list[dict]:
    """The newest quarantined pages and records of a source, each with its reason and its raw input."""
    with engine.connect() as conn:
        pages = conn.execute(select(quarantine).where(quarantine.c.source == source)
                             .order_by(quarantine.c.id.desc()).limit(limit)).all()
        bad = conn.execute(select(records.c.identifier, records.c.error, records.c.marcxml, records.c.changed_at)
                           .where(records.c.source == source, records.c.error.is_not(None))
                           .order_by(records.c.changed_at.desc()).limit(limit)).all()
    items = [{"stage": r.stage, "identifier": r.identifier, "location": r.location, "cause": r.cause,
              "when": attempts.iso(r.created_at), "raw": _text(r.raw)} for r in pages]
    items += [{"stage": "record", "identifier": r.identifier, "location": None, "cause": r.error,
               "when": attempts.iso(r.changed_at), "raw": _text(r.marcxml)} for r in bad]
    items.sort(key=lambda i: i["when"] or "", reverse=True)
    return items[:limit]


def raw_records(engine, source: str, identifiers: list[str]) -> dict[str, str | None]:
    """The stored MARCXML of some records of a source (for quarantine entries kept by later stages)."""
    if not identifiers:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(select(records.c.identifier, records.c.marcxml)
                            .where(records.c.source == source, records.c.identifier.in_(identifiers))).all()
    return {r.identifier: _text(r.marcxml) for r in rows}


def deletes(engine, source: str, limit: int = LIST_LIMIT) -> list[dict]:
    """The records of a source most recently seen deleted."""
    with engine.connect() as conn:
        rows = conn.execute(select(records.c.identifier, records.c.datestamp, records.c.changed_at)
                            .where(records.c.source == source, records.c.deleted.is_(True))
                            .order_by(records.c.changed_at.desc()).limit(limit)).all()
    return [{"identifier": r.identifier, "datestamp": r.datestamp, "when": attempts.iso(r.changed_at)} for r in rows]


def detail(engine, settings, source, now: datetime) -> dict:
    return {**overview(engine, settings, source, now), "attempts": attempts.recent(engine, source.id, 20),
            "quarantine": quarantined(engine, source.id), "deletes": deletes(engine, source.id)}
