"""What a copy scanned at a desk does for the holds queue: the one place that decides whether a returned or
received copy goes to the hold shelf here or in transit to a patron's pickup library, and the one place
that says a hold is ready (`ready`), so notices hook in there and nowhere else.

Why here and not in `circulation.holds`: checkin (`circulation.service`) needs it inside its own transaction,
and the holds service builds on the circulation service; this module sits under both.

Serving order is FIFO: the open hold placed first that this copy can fill gets it (its queue position is
a promise the patron was shown). A copy already chosen for a hold (`assigned_copy_id`) goes to that hold.
Suspended holds keep their place but are passed over until their date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, insert, or_, select, update

from circulation import hold_states as st, routes as route_store
from circulation.tables import hold_events, holds
from libraries import calendar
from transform.copies import set_status
from transform.tables import transform_records


@dataclass(frozen=True)
class Capture:
    """What checkin did for a hold: `shelf` (here, under `pickup_number`) or `transit` (to `pickup`)."""
    hold_id: int
    where: str
    pickup: str
    pickup_number: str = ""
    shelf_expires_on: date | None = None
    point: str = ""                     # a service point: the copy waits in the "for the book bus" box


def work_of(conn, source: str, identifier: str) -> str | None:
    """The work (cluster id) a record is in now; None before it is clustered."""
    return conn.execute(select(transform_records.c.cluster_id).where(
        transform_records.c.source == source, transform_records.c.identifier == identifier)).scalar()


def queue_key(conn, source: str, identifier: str) -> str:
    """The queue holds on this record stand in: its work, so a record hold and a work hold on the same
    book share one line; `source:identifier` for a record not clustered yet."""
    return work_of(conn, source, identifier) or f"{source}:{identifier}"


def fillable_by(conn, copy, day: date):
    """The condition: open holds this copy can fill today (not suspended), whatever their level."""
    work = work_of(conn, copy.source, copy.identifier)
    c = holds.c
    targets = [and_(c.level == "copy", c.copy_id == copy.id),
               and_(c.level == "record", c.source == copy.source, c.identifier == copy.identifier)]
    if work:
        targets.append(and_(c.level == "work", c.work_id == work))
    return and_(c.status.in_(st.OPEN), or_(c.suspended_until.is_(None), c.suspended_until <= day), or_(*targets))


def waiting_count(conn, copy, day: date, exclude_patron: int | None = None) -> int:
    """How many other patrons' open holds this copy could fill (renewal is refused while any does)."""
    query = select(func.count()).select_from(holds).where(fillable_by(conn, copy, day))
    if exclude_patron is not None:
        query = query.where(holds.c.patron_id != exclude_patron)
    return conn.execute(query).scalar()


def next_for(conn, copy, day: date):
    """The hold this copy serves now: the one it was chosen for, else the first placed one it can fill."""
    c = holds.c
    chosen = conn.execute(select(holds).where(c.assigned_copy_id == copy.id, c.status.in_(st.OPEN))
                          .order_by(c.placed_at, c.id)).first()
    if chosen is not None:
        return chosen
    return conn.execute(select(holds).where(fillable_by(conn, copy, day), c.status == st.PLACED,
                                            or_(c.assigned_copy_id.is_(None), c.assigned_copy_id == copy.id))
                        .order_by(c.placed_at, c.id).limit(1)).first()


def kept_for_another(conn, copy_id: int, patron_id: int) -> bool:
    """True when the copy is on the hold shelf or on its way for someone else's hold."""
    return conn.execute(select(func.count()).select_from(holds).where(
        holds.c.assigned_copy_id == copy_id, holds.c.status.in_((st.WAITING, st.IN_TRANSIT)),
        holds.c.patron_id != patron_id)).scalar() > 0


def pickup_number(conn, library: str) -> str:
    """The smallest shelf number free at this pickup library: short to read on a slip, never a name."""
    taken = {int(n) for n in conn.execute(select(holds.c.pickup_number).where(
        holds.c.pickup_library == library, holds.c.status == st.WAITING)).scalars() if n and n.isdigit()}
    n = 1
    while n in taken:
        n += 1
    return str(n)


def shelf_expiry(conn, library: str, today: date, open_days: int) -> date:
    """The last day on the shelf: `open_days` days the pickup library is open, after today."""
    point = calendar.main_point(conn, library)
    day = today
    for _ in range(max(open_days, 1)):
        day = calendar.next_open_day(conn, point, day + timedelta(days=1)) if point is not None \
            else day + timedelta(days=1)
    return day


def ready(conn, hold_id: int, at: datetime) -> None:
    """A hold now waits on the shelf: the single hook notices read (`hold_events` rows of kind
    `hold_ready`, see `circulation.holds.ready_events`)."""
    conn.execute(insert(hold_events).values(hold_id=hold_id, kind=st.READY, at=at))


def capture(conn, copy, library: str, today: date, at: datetime, shelf_days: int) -> Capture | None:
    """Give a copy scanned in at `library` to the hold it serves, if any: the hold shelf here (status
    waiting, a pickup number, a shelf expiry, `ready`) or transit to the pickup library; None when no hold
    wants it."""
    hold = next_for(conn, copy, today)
    if hold is None:
        return None
    if hold.status == st.WAITING:
        if hold.pickup_library == library:       # scanned again on the shelf: nothing changes
            return Capture(hold.id, "shelf", library, hold.pickup_number, hold.shelf_expires_on)
    values = {"assigned_copy_id": copy.id, "lender_library": hold.lender_library or library, "updated_at": at}
    if hold.pickup_library == library:
        number = pickup_number(conn, library)
        # a hold for a book-bus stop waits here in the bus box and reaches the stop on the route's next run
        point = route_store.all_points(conn).get(hold.pickup_point) if hold.pickup_point else None
        on = route_store.point_arrival(point, today) if point is not None else today
        expires = shelf_expiry(conn, library, on, shelf_days)
        conn.execute(update(holds).where(holds.c.id == hold.id).values(
            status=st.WAITING, pickup_number=number, shelf_expires_on=expires, expected_on=on, **values))
        set_status(conn, copy.id, st.COPY_ON_SHELF)
        ready(conn, hold.id, at)
        return Capture(hold.id, "shelf", library, number, expires, point.id if point is not None else "")
    conn.execute(update(holds).where(holds.c.id == hold.id).values(status=st.IN_TRANSIT, **values))
    set_status(conn, copy.id, st.COPY_IN_TRANSIT)
    return Capture(hold.id, "transit", hold.pickup_library)


def fill(conn, copy_id: int, patron_id: int, source: str, identifier: str, at: datetime) -> int | None:
    """A patron borrows a copy: their hold it was kept for (or, failing that, their open hold on the same
    record) is filled, and the copy stops being anyone else's; returns the hold filled."""
    c = holds.c
    mine = conn.execute(select(holds.c.id).where(c.patron_id == patron_id, c.status.in_(st.OPEN),
                                                 c.assigned_copy_id == copy_id)).scalar()
    if mine is None:
        mine = conn.execute(select(holds.c.id).where(
            c.patron_id == patron_id, c.status.in_(st.OPEN),
            or_(and_(c.level == "copy", c.copy_id == copy_id),
                and_(c.level != "copy", c.source == source, c.identifier == identifier)))
            .order_by(c.placed_at)).scalar()
    if mine is not None:
        conn.execute(update(holds).where(c.id == mine).values(status=st.FILLED, assigned_copy_id=copy_id,
                                                              updated_at=at))
    # another patron's hold that had chosen this copy chooses again at the next run
    conn.execute(update(holds).where(c.assigned_copy_id == copy_id, c.status == st.PLACED,
                                     c.patron_id != patron_id).values(assigned_copy_id=None, lender_library=None))
    return mine
