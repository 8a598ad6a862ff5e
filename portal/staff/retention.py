"""Retention of the staff side's personal data (GDPR storage limitation): `grenselos staff retention`.

What is kept about staff, and about who looked at a patron, and for how long (`[staff]` settings):

| table | personal data | rule |
|---|---|---|
| `staff_sessions` | who was signed in, from which address | deleted `session_retention_days` after the session ended; address blanked after `address_retention_days` |
| `staff_events` | the audit trail: who did what, who looked up which patron, from which address | deleted after `audit_retention_days`; address blanked after `address_retention_days` |
| `patron_pin_failures` | a client address that typed a wrong PIN | deleted once older than `[circulation] pin_lockout_minutes` (the throttle no longer counts it) |
| `record_overlays` | which staff member accepted an enrichment | name blanked after `audit_retention_days` (the accepting library stays: it is the provenance the record's graph shows) |

The audit rows are kept for a while on purpose: a patron may ask who looked at their data, and the answer
must still be there; after that they are themselves personal data held without need. Addresses go first,
because only the sign-in throttle (minutes) and tracing an attack (days) need them.

Every rule is a condition on the row's own times, so a second run the same day finds nothing to do, and a
dry run counts exactly what a real run would change. Patron records have their own timers
(`circulation.patrons.retention`); API tokens keep no address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, not_, or_, select, update

from accounts.tables import staff_events
from circulation.tables import pin_failures
from portal.staff.tables import staff_sessions
from transform.overlays import record_overlays


@dataclass(frozen=True)
class Step:
    table: str
    action: str                  # deleted | address blanked
    rule: str                    # which setting, for the report
    before: datetime             # rows older than this are acted on
    count: int

    def as_dict(self) -> dict:
        return {"table": self.table, "action": self.action, "rule": self.rule, "before": self.before.isoformat(),
                "count": self.count}

    def line(self) -> str:
        return f"{self.table}: {self.count} {self.action} (older than {self.before.isoformat(timespec='seconds')}, " \
               f"{self.rule})"


def _delete(conn, table, where, dry_run: bool) -> int:
    if dry_run:
        return conn.execute(select(func.count()).select_from(table).where(where)).scalar_one()
    return conn.execute(delete(table).where(where)).rowcount


def _blank(conn, table, column, where, dry_run: bool, blank: str | None = None) -> int:
    where = and_(where, column.is_not(None) if blank is None else column != blank)
    if dry_run:
        return conn.execute(select(func.count()).select_from(table).where(where)).scalar_one()
    return conn.execute(update(table).where(where).values({column.name: blank})).rowcount


def run(conn, staff, circulation, now: datetime, *, dry_run: bool = False) -> list[Step]:
    """Apply every rule inside the caller's transaction (`staff`, `circulation`: the settings sections);
    what each removed or blanked (or would have, on a dry run)."""
    steps = []
    s, e = staff_sessions, staff_events

    ended_before = now - timedelta(days=staff.session_retention_days)
    idle, lifetime = timedelta(minutes=staff.idle_minutes), timedelta(hours=staff.lifetime_hours)
    # A session nobody revoked ended at its idle timeout or its lifetime, whichever came first.
    ended = or_(and_(s.c.revoked_at.is_not(None), s.c.revoked_at < ended_before),
                and_(s.c.revoked_at.is_(None), or_(s.c.last_seen_at < ended_before - idle,
                                                   s.c.created_at < ended_before - lifetime)))
    steps.append(Step("staff_sessions", "deleted", "[staff] session_retention_days", ended_before,
                      _delete(conn, s, ended, dry_run)))

    audit_before = now - timedelta(days=staff.audit_retention_days)
    steps.append(Step("staff_events", "deleted", "[staff] audit_retention_days", audit_before,
                      _delete(conn, e, e.c.at < audit_before, dry_run)))

    # Rows deleted above are left out, so that a dry run counts what a real run blanks.
    address_before = now - timedelta(days=staff.address_retention_days)
    steps.append(Step("staff_sessions", "address blanked", "[staff] address_retention_days", address_before,
                      _blank(conn, s, s.c.client, and_(s.c.last_seen_at < address_before, not_(ended)), dry_run)))
    steps.append(Step("staff_events", "address blanked", "[staff] address_retention_days", address_before,
                      _blank(conn, e, e.c.client, and_(e.c.at < address_before, e.c.at >= audit_before), dry_run)))

    o = record_overlays
    steps.append(Step("record_overlays", "staff name blanked", "[staff] audit_retention_days", audit_before,
                      _blank(conn, o, o.c.principal, o.c.created_at < audit_before, dry_run, blank="")))

    stale_before = now - timedelta(minutes=circulation.pin_lockout_minutes)
    steps.append(Step("patron_pin_failures", "deleted", "[circulation] pin_lockout_minutes", stale_before,
                      _delete(conn, pin_failures, pin_failures.c.at < stale_before, dry_run)))
    return steps
