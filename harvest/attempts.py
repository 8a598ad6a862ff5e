"""Every harvest and import of a source, with its outcome: the memory behind "is this source healthy?".

The checkpoint (`harvest_state`) says where the next run resumes and is overwritten by each run; it
cannot say that the last three runs failed, nor when the source last worked. An attempt row is
written when a run starts (`running`) and completed when it ends (`ok`, `partial`: finished but some
records quarantined, `failed`: did not finish). A process killed mid-run leaves a `running` row; the
next attempt of that source, which holds the source's harvest lock, marks it failed as interrupted,
since no run of it can still be going.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from core.clock import aware
from harvest.tables import harvest_attempts

OUTCOMES = ("ok", "partial", "failed", "running")
INTERRUPTED = "interrupted: the process ended before the run finished"
#: Attempts read per source for the health summary; a longer failure streak is shown as "at least".
WINDOW = 200


def _now() -> datetime:
    return datetime.now(timezone.utc)


def iso(value: datetime | None) -> str | None:
    value = aware(value)
    return value.isoformat(timespec="seconds") if value else None


def outcome(failed: bool, quarantined: int) -> str:
    if failed:
        return "failed"
    return "partial" if quarantined else "ok"


def begin(engine: Engine, source: str, kind: str = "harvest", started: datetime | None = None) -> int:
    """Record that a run of `source` starts; call it while holding the source's lock."""
    stamp = started or _now()
    with engine.begin() as conn:
        conn.execute(update(harvest_attempts).where(
            harvest_attempts.c.source == source, harvest_attempts.c.kind == kind,
            harvest_attempts.c.outcome == "running").values(outcome="failed", error=INTERRUPTED))
        return conn.execute(insert(harvest_attempts).values(
            source=source, kind=kind, started=stamp, outcome="running", records=0, deletes=0, quarantined=0,
            alerted=False)).inserted_primary_key[0]


def finish(engine: Engine, attempt_id: int, result: str, *, records: int = 0, deletes: int = 0,
           quarantined: int = 0, error: str | None = None) -> None:
    if result not in OUTCOMES:
        raise ValueError(f"unknown outcome {result!r}")
    with engine.begin() as conn:
        conn.execute(update(harvest_attempts).where(harvest_attempts.c.id == attempt_id).values(
            finished=_now(), outcome=result, records=records, deletes=deletes, quarantined=quarantined,
            error=error[:4000] if error else None))


def mark_alerted(engine: Engine, attempt_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(update(harvest_attempts).where(harvest_attempts.c.id == attempt_id).values(alerted=True))


def as_dict(row) -> dict:
    m = row._mapping
    return {"id": m["id"], "source": m["source"], "kind": m["kind"], "started": iso(m["started"]),
            "finished": iso(m["finished"]), "outcome": m["outcome"], "records": m["records"],
            "deletes": m["deletes"], "quarantined": m["quarantined"], "error": m["error"],
            "alerted": bool(m["alerted"])}


def recent(engine: Engine, source: str, limit: int = 20) -> list[dict]:
    """The newest attempts of one source, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(select(harvest_attempts).where(harvest_attempts.c.source == source)
                            .order_by(harvest_attempts.c.started.desc(), harvest_attempts.c.id.desc())
                            .limit(limit))
        return [as_dict(r) for r in rows]


def summarise(attempts: list[dict]) -> dict:
    """Health of one source from its attempts (newest first): the keys `status` and the staff pages show.

    `failures` counts the failed attempts since the last one that finished (a running attempt does not
    break or extend the streak); `harvest_status` is the outcome of the newest finished attempt, or
    `running` while one runs."""
    finished = [a for a in attempts if a["outcome"] != "running"]
    failures = 0
    for a in finished:
        if a["outcome"] != "failed":
            break
        failures += 1
    success = next((a for a in finished if a["outcome"] in ("ok", "partial")), None)
    last = attempts[0] if attempts else None
    status = None
    if last is not None:
        status = "running" if last["outcome"] == "running" else finished[0]["outcome"]
    return {"last_attempt": last, "last_success": success["finished"] if success else None,
            "failures": failures, "harvest_status": status}


def health(engine: Engine, sources: list[str]) -> dict[str, dict]:
    return {source: summarise(recent(engine, source, WINDOW)) for source in sources}


def last_started(engine: Engine, source: str, kind: str = "harvest") -> datetime | None:
    """When the newest run of `source` started: what the scheduler counts its interval from."""
    with engine.connect() as conn:
        value = conn.execute(select(harvest_attempts.c.started).where(
            harvest_attempts.c.source == source, harvest_attempts.c.kind == kind)
            .order_by(harvest_attempts.c.started.desc()).limit(1)).scalar()
    return aware(value)
