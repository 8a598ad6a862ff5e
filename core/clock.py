"""Time as every stage stores and compares it: aware, in UTC.

SQLite hands back naive datetimes (the project stores UTC), PostgreSQL aware ones; `aware` makes the two
compare alike, so no stage keeps its own copy of that rule.
"""

from __future__ import annotations

from datetime import datetime, timezone


def now() -> datetime:
    return datetime.now(timezone.utc)


def aware(value: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime (None stays None)."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def moment(at: datetime | None) -> datetime:
    """The time an operation takes place at: the one given (made aware), or now."""
    return aware(at) if at is not None else now()
