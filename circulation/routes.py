"""Transport routes as data: which libraries a book bus, book boat or the county's van serves, and on which
weekdays, so a hold's expected date is the day the copy really arrives ("Thursday, with the book boat").

Seeded from `[[routes]]` in the config (`seed`: only routes not yet in the table, so staff edits on the
routes page survive a restart) and edited by county admins as seasons change. Libraries are
`vocab.libraries` ids; the config names sources, which the caller maps.

Service points that are not libraries ("Bokbussen: Masi skole") are `libraries`' service points (the one home
of a library's points: kind `bookbus_stop`, `bookboat_stop`, `depot`, `school`; its `code` is the id a
pickup names) placed on a route as `route_stops` rows whose `stop` is that code. Each belongs to a home
library (the point's `library`): a hold for one travels there like any hold, waits in its "for the book bus"
box, and is expected on the route's next run after it arrives (`point_arrival`). Seeded from
`[[service_points]]` like the routes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import and_, delete, func, insert, select, update

from circulation.tables import route_stops, routes
from libraries.tables import service_points

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
KINDS = ("bus", "boat", "van")
#: The `libraries` service point kind of a stop on a route of each kind.
POINT_KINDS = {"bus": "bookbus_stop", "boat": "bookboat_stop", "van": "depot"}


@dataclass(frozen=True)
class Route:
    id: int
    name: str
    kind: str
    weekdays: tuple[int, ...]           # 0 = Monday
    stops: tuple[str, ...]              # library ids, in order
    points: tuple[str, ...] = ()        # its service points' codes (stops that are not libraries)

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "kind": self.kind,
                "days": [WEEKDAYS[d] for d in self.weekdays], "stops": list(self.stops),
                "points": list(self.points)}

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
    points: dict[int, list[str]] = {}
    for r in conn.execute(select(route_stops).order_by(route_stops.c.route_id, route_stops.c.n)):
        if r.stop:
            points.setdefault(r.route_id, []).append(r.stop)
        else:
            stops.setdefault(r.route_id, []).append(r.library)
    return [Route(r.id, r.name, r.kind, _days(r.weekdays), tuple(stops.get(r.id, ())), tuple(points.get(r.id, ())))
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
    """Add a route, or replace route `route_id` (or the route of this name): its days and stops (its service
    points stay on it, after the libraries); returns its id."""
    kept = []
    if route_id is None:
        route_id = conn.execute(select(routes.c.id).where(routes.c.name == name.strip())).scalar()
    values = {"name": name.strip(), "kind": kind, "updated_at": datetime.now(timezone.utc),
              "weekdays": " ".join(str(WEEKDAYS.index(d)) for d in days)}
    if route_id is None:
        route_id = conn.execute(insert(routes).values(**values)).inserted_primary_key[0]
    else:
        conn.execute(update(routes).where(routes.c.id == route_id).values(**values))
        kept = [(r.library, r.stop) for r in conn.execute(select(route_stops).where(
            route_stops.c.route_id == route_id, route_stops.c.stop != "").order_by(route_stops.c.n))]
        conn.execute(delete(route_stops).where(route_stops.c.route_id == route_id))
    rows = [(s, "") for s in stops] + kept
    if rows:
        conn.execute(insert(route_stops), [{"route_id": route_id, "n": n, "library": library, "stop": stop}
                                           for n, (library, stop) in enumerate(rows, 1)])
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



@dataclass(frozen=True)
class Point:
    """A book-bus or book-boat stop (or depot) that is not a library, with the route that serves it."""
    id: str                             # the service point's code: what a pickup names
    name: str
    library: str                        # the home library (vocab.libraries id) whose hold shelf serves it
    route: Route

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "library": self.library, "route": self.route.name,
                "route_id": self.route.id, "kind": self.route.kind,
                "days": [WEEKDAYS[d] for d in self.route.weekdays]}


def all_points(conn, all_: list[Route] | None = None) -> dict[str, Point]:
    """Every service point on a route that takes holds, by code."""
    by_id = {r.id: r for r in (all_ if all_ is not None else all_routes(conn))}
    sp = service_points.c
    rows = conn.execute(select(sp.code, sp.name, sp.library, route_stops.c.route_id).join(
        route_stops, and_(route_stops.c.library == sp.library, route_stops.c.stop == sp.code))
        .where(sp.active.is_(True), sp.pickup.is_(True), sp.code != "main").order_by(sp.name, sp.code))
    return {r.code: Point(r.code, r.name, r.library, by_id[r.route_id]) for r in rows if r.route_id in by_id}


def point_problems(point_id: str, name: str, route_id, library: str, libraries, route_ids, taken) -> list[str]:
    """What is wrong with a service point as staff or the config wrote it (empty: fine). `taken`: ids it may
    not have (sources and libraries, since a pickup names either)."""
    out = []
    point_id = point_id or ""
    if not point_id.strip() or point_id == "main" or point_id in taken or any(ch.isspace() for ch in point_id):
        out.append("id")
    if not (name or "").strip():
        out.append("name")
    if route_id not in route_ids:
        out.append("route")
    if library not in libraries:
        out.append("library")
    return out


def put_point(conn, point_id: str, name: str, route_id: int, library: str) -> None:
    """Add a stop to route `route_id`, or move the stop with this code there: the home library's service
    point (made, renamed or re-activated; its kind follows the route's) and the route's stop row. A code
    names one stop in the county: the same code at another library is retired."""
    kind = POINT_KINDS[conn.execute(select(routes.c.kind).where(routes.c.id == route_id)).scalar() or "van"]
    sp = service_points.c
    now = datetime.now(timezone.utc)
    conn.execute(update(service_points).where(sp.code == point_id, sp.library != library).values(
        active=False, updated_at=now))
    values = {"name": name.strip(), "kind": kind, "active": True, "pickup": True, "updated_at": now}
    if conn.execute(update(service_points).where(sp.code == point_id, sp.library == library)
                    .values(**values)).rowcount == 0:
        conn.execute(insert(service_points).values(library=library, code=point_id, **values))
    conn.execute(delete(route_stops).where(route_stops.c.stop == point_id))
    n = conn.execute(select(func.coalesce(func.max(route_stops.c.n), 0)).where(
        route_stops.c.route_id == route_id)).scalar()
    conn.execute(insert(route_stops).values(route_id=route_id, n=n + 1, library=library, stop=point_id))


def remove_point(conn, point_id: str) -> bool:
    """Take a stop off its route; its service point stays (with its history) but takes no more holds."""
    gone = conn.execute(delete(route_stops).where(route_stops.c.stop == point_id)).rowcount > 0
    conn.execute(update(service_points).where(service_points.c.code == point_id, service_points.c.code != "main")
                 .values(active=False, updated_at=datetime.now(timezone.utc)))
    return gone


def seed_points(conn, configured, library_of) -> int:
    """Add the config's `[[service_points]]` no route has yet (by code; routes by name); how many."""
    have = set(conn.execute(select(route_stops.c.stop).where(route_stops.c.stop != "")).scalars())
    route_ids = {r.name: r.id for r in conn.execute(select(routes.c.id, routes.c.name))}
    added = 0
    for point in configured:
        if point.id not in have and point.route in route_ids:
            put_point(conn, point.id, point.name, route_ids[point.route], library_of(point.library))
            added += 1
    return added


def point_arrival(point: Point, at_home: date) -> date:
    """The day a copy that reaches the point's home library on `at_home` reaches the stop: the route's next
    run after that day (the desk packs the box the day it comes); `at_home` when the route has no days."""
    return point.route.next_run(at_home) or at_home
