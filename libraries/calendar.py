"""The questions circulation and the portal ask of the libraries' calendars: is it open on a day, when
is the next open day (a due date never falls on a closed day), what are this week's hours.

Service points are created for every configured library as their `main` point (`ensure_main_points`),
so a library without any hours entered is "open every day" rather than never open: due dates then fall
where the rules put them, as in Koha with an empty calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import insert, or_, select

from libraries.tables import closed_days, opening_hours, service_points


@dataclass(frozen=True)
class Hours:
    weekday: int
    opens: time
    closes: time
    note: str = ""


def ensure_main_points(conn, libraries) -> int:
    """A `main` service point for every library that has none (idempotent); returns how many were made."""
    have = {r.library for r in conn.execute(select(service_points.c.library).where(service_points.c.code == "main"))}
    rows = [{"library": lib.id, "code": "main", "kind": "main", "name": lib.name, "municipality": lib.municipality,
             "updated_at": datetime.now(timezone.utc)} for lib in libraries if lib.id not in have]
    if rows:
        conn.execute(insert(service_points), rows)
    return len(rows)


def main_point(conn, library: str) -> int | None:
    return conn.execute(select(service_points.c.id).where(service_points.c.library == library,
                                                          service_points.c.code == "main")).scalar()


def _closed(conn, point: int, day: date) -> bool:
    """A closed day of the point, or of its whole library."""
    library = conn.execute(select(service_points.c.library).where(service_points.c.id == point)).scalar()
    return conn.execute(select(closed_days.c.id).where(
        closed_days.c.library == library, closed_days.c.day == day,
        or_(closed_days.c.service_point.is_(None), closed_days.c.service_point == point))).first() is not None


def hours_on(conn, point: int, day: date) -> list[Hours]:
    """Opening hours of a service point on a day (none when closed that day or no hours apply)."""
    if _closed(conn, point, day):
        return []
    rows = conn.execute(select(opening_hours).where(
        opening_hours.c.service_point == point, opening_hours.c.weekday == day.weekday(),
        or_(opening_hours.c.valid_from.is_(None), opening_hours.c.valid_from <= day),
        or_(opening_hours.c.valid_to.is_(None), opening_hours.c.valid_to >= day)).order_by(opening_hours.c.opens))
    return [Hours(r.weekday, r.opens, r.closes, r.note) for r in rows]


def has_hours(conn, point: int) -> bool:
    return conn.execute(select(opening_hours.c.id).where(opening_hours.c.service_point == point)).first() is not None


def is_open(conn, point: int, day: date) -> bool:
    """Open on `day`: not a closed day and, once any hours are entered for the point, hours that day."""
    if not has_hours(conn, point):
        return not _closed(conn, point, day)
    return bool(hours_on(conn, point, day))


def next_open_day(conn, point: int, day: date, limit: int = 366) -> date:
    """`day` itself if the point is open then, else the first open day after it (a due date's rule)."""
    for offset in range(limit):
        candidate = day + timedelta(days=offset)
        if is_open(conn, point, candidate):
            return candidate
    return day                                  # never open within a year: the rule's own date stands


def week(conn, point: int, start: date) -> list[tuple[date, list[Hours]]]:
    """Seven days of hours from `start`, for a library page."""
    return [(start + timedelta(days=n), hours_on(conn, point, start + timedelta(days=n))) for n in range(7)]


__all__ = ["Hours", "ensure_main_points", "main_point", "hours_on", "is_open", "next_open_day", "week"]
