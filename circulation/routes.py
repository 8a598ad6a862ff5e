"""Transport routes as data: which libraries a book bus, book boat or the county's van serves, and on which
weekdays, so a hold's expected date is the day the copy really arrives ("Thursday, with the book boat").

Seeded from `[[routes]]` in the config (`seed`: only routes not yet in the table, so staff edits on the
routes page survive a restart) and edited by county admins as seasons change. Libraries are
`vocab.libraries` ids; the config names sources, which the caller maps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import delete, insert, select, update

from circulation.tables import route_stops, routes

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
KINDS = ("bus", "boat", "van")


@dataclass(frozen=True)
class Route:
    id: int
    name: str
    kind: str
    weekdays: tuple[int, ...]           # 0 = Monday
    stops: tuple[str, ...]              # library ids, in order

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "kind": self.kind,
                "days": [WEEKDAYS[d] for d in self.weekdays], "stops": list(self.stops)}

    def next_run(self, after: date) -> date | None:
        """The first day after `after` this route runs (None: it has no days)."""
        for step in range(1, 8):
            day = after + timedelta(days=step)
            if day.weekday() in self.weekdays:
                return day
        return None


def _days(text: str) -> tuple[int, ...]:
    return tuple(sorted({int(d) for d in text.split() if d.isdigit() and 0 <= int(d) <= 6}))


def all_routes(conn) -> list[Route]:
    stops: dict[int, list[str]] = {}
    for r in conn.execute(select(route_stops).order_by(route_stops.c.route_id, route_stops.c.n)):
        stops.setdefault(r.route_id, []).append(r.library)
    return [Route(r.id, r.name, r.kind, _days(r.weekdays), tuple(stops.get(r.id, ())))
            for r in conn.execute(select(routes).order_by(routes.c.name))]


def problems(name: str, kind: str, days, stops, libraries) -> list[str]:
    """What is wrong with a route as staff or the config wrote it (empty: fine)."""
    out = []
    if not (name or "").strip():
        out.append("name")
    if kind not in KINDS:
        out.append("kind")
    if any(d not in WEEKDAYS for d in days):
        out.append("days")
    if not stops or any(s not in libraries for s in stops):
        out.append("stops")
    return out


def put(conn, name: str, kind: str, days, stops, route_id: int | None = None) -> int:
    """Add a route, or replace route `route_id` (or the route of this name): its days and stops; returns its id."""
    if route_id is None:
        route_id = conn.execute(select(routes.c.id).where(routes.c.name == name.strip())).scalar()
    values = {"name": name.strip(), "kind": kind, "updated_at": datetime.now(timezone.utc),
              "weekdays": " ".join(str(WEEKDAYS.index(d)) for d in days)}
    if route_id is None:
        route_id = conn.execute(insert(routes).values(**values)).inserted_primary_key[0]
    else:
        conn.execute(update(routes).where(routes.c.id == route_id).values(**values))
        conn.execute(delete(route_stops).where(route_stops.c.route_id == route_id))
    if stops:
        conn.execute(insert(route_stops), [{"route_id": route_id, "n": n, "library": s, "stop": ""}
                                           for n, s in enumerate(stops, 1)])
    return route_id


def remove(conn, route_id: int) -> bool:
    conn.execute(delete(route_stops).where(route_stops.c.route_id == route_id))
    return conn.execute(delete(routes).where(routes.c.id == route_id)).rowcount > 0


def seed(conn, configured, library_of) -> int:
    """Add the config's routes that the table does not have yet (by name); returns how many."""
    have = set(conn.execute(select(routes.c.name)).scalars())
    added = 0
    for route in configured:
        if route.name not in have:
            put(conn, route.name, route.kind, route.days, [library_of(s) for s in route.stops])
            added += 1
    return added


def served_with(all_: list[Route], library: str) -> set[str]:
    """The libraries that share a route with `library` (itself not included)."""
    return {s for r in all_ if library in r.stops for s in r.stops} - {library}


def arrival(all_: list[Route], lender: str, pickup: str, today: date, transit_days: int) -> tuple[date, str]:
    """When a copy sent today from `lender` reaches `pickup`, and the route that brings it ("" when it is
    the same library or no route joins them: then `transit_days` later). A route serving both carries it
    on its next run; otherwise it leaves on the lender's next run and arrives on the pickup's next run
    after that (the depot in between sorts it the same day)."""
    if lender == pickup:
        return today, ""
    shared = [r for r in all_ if lender in r.stops and pickup in r.stops and r.weekdays]
    if shared:
        best = min(shared, key=lambda r: (r.next_run(today), r.name))
        return best.next_run(today), best.name
    leaving = [r for r in all_ if lender in r.stops and r.weekdays]
    arriving = [r for r in all_ if pickup in r.stops and r.weekdays]
    if leaving and arriving:
        out = min(r.next_run(today) for r in leaving)
        best = min(arriving, key=lambda r: (r.next_run(out - timedelta(days=1)), r.name))
        return best.next_run(out - timedelta(days=1)), best.name
    return today + timedelta(days=transit_days), ""
