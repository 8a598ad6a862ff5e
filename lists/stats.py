"""What a list did, in aggregate: views per day, and loans and holds of its titles while it was up.

Views are a counter per list and day (`ListStore.count_view`); nothing records who viewed. Loans and holds
come from the copies table (`transform.copies`), the one place copy statuses live until the circulation
core writes them there too: a copy of one of the list's titles counts as lent (`on_loan`) or held for a
patron (`awaiting_pickup`) while the list was up when its status is that now and was last set within the
list's window. That undercounts a copy lent and returned within the window (the table keeps no history),
and says so in `basis`; it never names a patron.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Engine

from core.clock import now as now_utc
from lists.model import CuratedList
from lists.store import ListStore
from transform.copies import copies
from transform.tables import transform_records

LOAN, HOLD = "on_loan", "awaiting_pickup"
BASIS = ("copy statuses now, set while the list was up (copies table; a loan returned within the window "
         "is not counted)")


def record_keys(public_ids) -> list[tuple[str, str]]:
    """Every (source, record_id) a public id `{source}-{record_id}` can be (source ids may hold '-')."""
    out = []
    for public in public_ids:
        for n, ch in enumerate(public):
            if ch == "-" and 0 < n < len(public) - 1:
                out.append((public[:n], public[n + 1:]))
    return out


def circulation(engine: Engine, curated: CuratedList, at: datetime | None = None) -> dict:
    at = at or now_utc()
    counts = {"loans": 0, "holds": 0}
    if curated.publish_at is None or curated.publish_at > at or not curated.items:
        return counts
    end = min(curated.unpublish_at or at, at)
    keys = record_keys(i.record_id for i in curated.items)
    if not keys:
        return counts
    with engine.connect() as conn:
        records = select(transform_records.c.source, transform_records.c.identifier).where(
            or_(*(and_(transform_records.c.source == s, transform_records.c.record_id == r) for s, r in keys)))
        pairs = [(r.source, r.identifier) for r in conn.execute(records)]
        if not pairs:
            return counts
        query = (select(copies.c.status, func.count()).where(
            or_(*(and_(copies.c.source == s, copies.c.identifier == i) for s, i in pairs)),
            copies.c.status.in_((LOAN, HOLD)), copies.c.updated_at >= curated.publish_at,
            copies.c.updated_at <= end).group_by(copies.c.status))
        for status, n in conn.execute(query):
            counts["loans" if status == LOAN else "holds"] += n
    return counts


def report(store: ListStore, curated: CuratedList, at: datetime | None = None) -> dict:
    days = store.views(curated.id)
    return {"views": sum(n for _, n in days), "views_by_day": [{"day": d.isoformat(), "views": n} for d, n in days],
            **circulation(store.engine, curated, at), "basis": BASIS}
