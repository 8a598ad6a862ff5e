"""Throttling staff sign-in: at most N failures per client address, M per library, in any window.

Without it a client tried 600 wrong credentials in 3.3 s. The counts come from the audit trail
(`sign_in_failed` rows), which lives in the database the portal's worker processes share, so a
client cannot spread its guesses over workers, and a restart forgets nothing. A successful sign-in
from an address (or for a library) starts its count afresh.

Past the limit an attempt is refused without the credential being compared (and audited as
`sign_in_throttled`, which does not count as a failure, so a lock-out cannot be prolonged for ever by
an attacker hammering a library's sign-in: it ends `lockout_minutes` after the failures that caused
it). The per-address limit stops one guesser; the per-library limit, higher, stops many addresses
guessing one library's passwords together; the account lock-out (`accounts.store`) stops many addresses
guessing one account's password.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from accounts import audit
from accounts.tables import staff_events as a


def _since_last_success(conn, column, value: str, window_start: datetime) -> datetime:
    success = conn.execute(select(func.max(a.c.at)).where(a.c.event == audit.SIGN_IN, column == value)).scalar()
    if success is not None and success.tzinfo is None:
        success = success.replace(tzinfo=window_start.tzinfo)
    return max(window_start, success) if success is not None else window_start


def _wait(conn, column, value: str | None, limit: int, window: timedelta, now: datetime) -> float:
    """Seconds until `value` (an address or a library) may try again; 0 when it may now."""
    if not value:
        return 0.0
    since = _since_last_success(conn, column, value, now - window)
    recent = conn.execute(select(a.c.at).where(a.c.event == audit.SIGN_IN_FAILED, column == value, a.c.at > since)
                          .order_by(a.c.at.desc()).limit(limit)).scalars().all()
    if len(recent) < limit:
        return 0.0
    oldest = recent[-1] if recent[-1].tzinfo else recent[-1].replace(tzinfo=now.tzinfo)
    return max(0.0, (oldest + window - now).total_seconds())


def wait_seconds(conn, settings, client: str | None, library: str | None, now: datetime) -> float:
    """How long this attempt must wait: the longer of its address's and its library's lock-out."""
    window = timedelta(minutes=settings.lockout_minutes)
    return max(_wait(conn, a.c.client, client, settings.client_failures, window, now),
               _wait(conn, a.c.library, library, settings.library_failures, window, now))
