"""County-wide holds: place (on a work, a record or a copy), queue position and expected date, suspend and
cancel, staff placing for a patron, and the nightly run that chooses lenders and clears expired shelves.

Choosing the lender (`choose_lender`), in Biblioteksøk's order: a copy on the shelf at the pickup library
itself; then at a library that shares a transport route with it (`circulation.routes`); then anywhere in the
county. Among equals the copy that arrives soonest by the routes wins (then the lowest copy id, so runs
are repeatable): proximity among lenders, because a book boat that runs on Thursdays is the real cost here.
Among patrons it is FIFO (`circulation.hold_capture`): the position a patron was shown is kept.

A work hold may name languages (`languages`, ISO 639 codes): then only copies of the work's records in
those languages fill it (a record whose language nobody recorded is not excluded).

Holds follow their works: a work hold names the record it was placed from; `retarget` (run nightly and by
`grenselos cluster join|split`) moves it to that record's cluster as it is now, keeping `placed_at`, so the
patron's place in the queue (placement order) survives a join or a split.

Transactions write the patron's row first (`Circulation._lock_patron`), so the hold limit holds under
concurrent placing as the loan limit does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from accounts import audit
from circulation import hold_capture, hold_states as st, reasons, routes as route_store, rules
from circulation.service import Circulation, local_day
from circulation.tables import hold_events, holds, loans, patrons
from core.clock import moment
from transform.copies import copies, set_status
from transform.statistics import facts_table
from transform.tables import transform_records

HOLD_PLACED_BY_STAFF = "hold_placed_by_staff"
HOLD_CANCELLED_BY_STAFF = "hold_cancelled_by_staff"
DUPLICATE = "duplicate"               # the patron already has an open hold on this
NO_SUCH_TITLE = "no_such_title"       # nothing to hold: unknown record, work or copy
BAD_PICKUP = "bad_pickup"             # the pickup library does not lend through Grenseløs


@dataclass(frozen=True)
class Hold:
    id: int
    level: str
    source: str
    identifier: str
    work_id: str | None
    copy_id: int | None
    pickup_library: str
    status: str
    position: int
    placed_at: datetime
    expected_on: date | None
    suspended_until: date | None
    pickup_number: str
    shelf_expires_on: date | None
    lender_library: str | None
    placed_by: str | None
    pickup_point: str | None = None     # a book-bus or book-boat stop; then `pickup_library` is its home

    def as_dict(self) -> dict:
        return {"id": self.id, "level": self.level, "source": self.source, "identifier": self.identifier,
                "work": self.work_id, "copy_id": self.copy_id, "pickup": self.pickup_point or self.pickup_library,
                "pickup_library": self.pickup_library, "pickup_point": self.pickup_point,
                "status": self.status, "position": self.position,
                "placed_at": self.placed_at.isoformat(timespec="seconds"),
                "expected_on": self.expected_on.isoformat() if self.expected_on else None,
                "suspended_until": self.suspended_until.isoformat() if self.suspended_until else None,
                "pickup_number": self.pickup_number or None,
                "shelf_expires_on": self.shelf_expires_on.isoformat() if self.shelf_expires_on else None,
                "lender": self.lender_library, "placed_by": self.placed_by}


@dataclass(frozen=True)
class HoldResult:
    ok: bool
    reason: str
    hold: Hold | None = None


@dataclass(frozen=True)
class RunSummary:
    assigned: int = 0
    expired: int = 0
    retargeted: int = 0

    def as_dict(self) -> dict:
        return {"assigned": self.assigned, "expired": self.expired, "retargeted": self.retargeted}


class Holds:
    """Holds over a `Circulation` (its engine, settings and library ids)."""

    def __init__(self, circ: Circulation):
        self.circ = circ
        self.engine = circ.engine
        self.settings = circ.settings
        #: A library's loan period for estimates (its adult book rule), read once per run or placing.
        self._loan_days: dict[str, int] = {}
        #: The service points by id, read with the routes once per run or placing.
        self._points: dict[str, route_store.Point] = {}

    # --- reading ---------------------------------------------------------------------------------

    def _position(self, conn, r) -> int:
        """1 + the open holds ahead in the same queue (placed earlier); 0 once it waits on the shelf."""
        if r.status not in (st.PLACED, st.IN_TRANSIT):
            return 0
        c = holds.c
        return 1 + conn.execute(select(func.count()).select_from(holds).where(
            c.queue_key == r.queue_key, c.status.in_((st.PLACED, st.IN_TRANSIT)),
            or_(c.placed_at < r.placed_at, and_(c.placed_at == r.placed_at, c.id < r.id)))).scalar()

    def _hold(self, conn, r) -> Hold:
        return Hold(r.id, r.level, r.source, r.identifier, r.work_id, r.copy_id, r.pickup_library, r.status,
                    self._position(conn, r), moment(r.placed_at), r.expected_on, r.suspended_until,
                    r.pickup_number, r.shelf_expires_on, r.lender_library, r.placed_by, r.pickup_point)

    def get(self, hold_id: int) -> Hold | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(holds).where(holds.c.id == hold_id)).first()
            return self._hold(conn, r) if r is not None else None

    def describe(self, hold: Hold) -> dict:
        """The hold as the patron API and My page show it: its fields, the record's public id and title."""
        with self.engine.connect() as conn:
            record_id = self.circ._record_id(conn, hold.source, hold.identifier)
            point = route_store.all_points(conn).get(hold.pickup_point) if hold.pickup_point else None
        return {**hold.as_dict(), "record": record_id or None, "title": self.circ._title(record_id),
                "point": point.as_dict() if point is not None else None}

    def seed_routes(self) -> int:
        """Add the config's `[[routes]]` and `[[service_points]]` the tables do not have yet (staff edits
        win); returns how many routes were added."""
        with self.circ._transaction() as conn:
            added = route_store.seed(conn, self.settings.routes, self.circ.library_id)
            route_store.seed_points(conn, self.settings.service_points, self.circ.library_id)
            return added

    def pickups(self) -> list[dict]:
        """What a patron may choose as the pickup: every lending library, then every service point (with its
        route), as the hold forms and the patron API offer them."""
        with self.engine.connect() as conn:
            points = route_store.all_points(conn)
        return ([{"id": s, "library": self.circ.library_id(s), "point": None}
                 for s in self.circ.circulating_sources]
                + [{"id": p.id, "library": p.library, "point": p.as_dict()} for p in points.values()
                   if p.library in self.circ.circulating_libraries])

    def _pickup(self, pickup: str) -> tuple[str | None, str | None]:
        """(home library, service point id) a pickup names: a source or library id, or a service point id."""
        pickup = (pickup or "").strip()
        library = self.circ.library_id(pickup)
        if library in self.circ.circulating_libraries:
            return library, None
        with self.engine.connect() as conn:
            point = route_store.all_points(conn).get(pickup)
        if point is not None and point.library in self.circ.circulating_libraries:
            return point.library, point.id
        return None, None

    def _arrival(self, all_routes, lender: str, r, day: date) -> date:
        """When a copy sent from `lender` on `day` reaches the hold's pickup: its library by the routes, then
        for a service point the bus or boat's next run from there."""
        when = route_store.arrival(all_routes, lender, r.pickup_library, day, self.settings.holds.transit_days)[0]
        point = self._points.get(r.pickup_point) if r.pickup_point else None
        return route_store.point_arrival(point, when) if point is not None else when

    def of_patron(self, card: str, open_only: bool = True) -> list[Hold]:
        with self.engine.connect() as conn:
            query = select(holds).join(patrons, patrons.c.id == holds.c.patron_id).where(
                patrons.c.card == (card or "").strip())
            if open_only:
                query = query.where(holds.c.status.in_(st.OPEN))
            return [self._hold(conn, r) for r in conn.execute(query.order_by(holds.c.placed_at, holds.c.id))]

    # --- placing ---------------------------------------------------------------------------------

    def _target(self, conn, level: str, ref) -> tuple | None:
        """(source, identifier, work_id, copy_id) of what a hold is on; None when there is nothing.
        `ref`: a record's public id or (source, identifier); a work (cluster) id; a copy's barcode."""
        r = transform_records.c
        if level == "copy":
            copy = self.circ._copy(conn, str(ref))
            return (copy.source, copy.identifier, None, copy.id) if copy is not None else None
        if level == "work":
            row = conn.execute(select(r.source, r.identifier).where(r.cluster_id == str(ref), r.status == "ok")
                               .order_by(r.source, r.identifier).limit(1)).first()
            return (row.source, row.identifier, str(ref), None) if row is not None else None
        if isinstance(ref, tuple):
            source, identifier = ref
        else:
            row = None
            for source in self.circ.circulating_sources:        # public id: "{source}-{record_id}"
                if str(ref).startswith(source + "-"):
                    row = conn.execute(select(r.source, r.identifier).where(
                        r.source == source, r.record_id == str(ref)[len(source) + 1:])).first() or row
            if row is None:
                return None
            source, identifier = row
        if conn.execute(select(func.count()).select_from(copies).where(
                copies.c.source == source, copies.c.identifier == identifier)).scalar() == 0:
            return None
        return source, identifier, None, None

    def place(self, card: str, *, pickup: str, record=None, work: str | None = None, copy: str | None = None,
              languages: tuple[str, ...] = (), at: datetime | None = None, who=None,
              client: str | None = None) -> HoldResult:
        """Place a hold for the patron with this card: on a `work` (cluster id), a `record` (public id
        "{source}-{record_id}", as /record/<id>, or (source, identifier)) or a `copy` (barcode), for pickup
        at `pickup` (a source or library id, or a service point id: a book-bus or book-boat stop). `who`: the staff member placing it (their own library's patrons only; audited)."""
        at = moment(at)
        self._loan_days = {}
        level, ref = ("copy", copy) if copy else ("work", work) if work else ("record", record)
        if ref in (None, ""):
            return HoldResult(False, NO_SUCH_TITLE)
        pickup_library, pickup_point = self._pickup(pickup)
        if pickup_library is None:
            return HoldResult(False, BAD_PICKUP)
        with self.circ._transaction() as conn:
            p = self.circ._lock_patron(conn, card)
            if p is None:
                return HoldResult(False, reasons.PATRON_NOT_FOUND)
            if who is not None:
                patron = self.circ._find_patron(conn, card)
                if not self.circ.may_serve(who, patron):
                    return HoldResult(False, reasons.NOT_ALLOWED)
            if p.status == "blocked":
                return HoldResult(False, reasons.BLOCKED)
            if p.status == "expired" or (p.expires_on and p.expires_on < local_day(at)):
                return HoldResult(False, reasons.EXPIRED)
            target = self._target(conn, level, ref)
            if target is None:
                return HoldResult(False, NO_SUCH_TITLE)
            source, identifier, work_id, copy_id = target
            key = work_id or hold_capture.queue_key(conn, source, identifier)
            c = holds.c
            mine = conn.execute(select(holds.c.id).where(
                c.patron_id == p.id, c.status.in_(st.OPEN), c.queue_key == key,
                c.level == level, c.source == source, c.identifier == identifier)).first()
            if mine is not None:
                return HoldResult(False, DUPLICATE, self._hold(conn, conn.execute(
                    select(holds).where(c.id == mine.id)).first()))
            rule = rules.resolve(conn, p.library, p.category, "book")
            count = conn.execute(select(func.count()).select_from(holds).where(
                c.patron_id == p.id, c.status.in_(st.OPEN))).scalar()
            if count >= rule.hold_limit:
                return HoldResult(False, reasons.LIMIT)
            hold_id = conn.execute(insert(holds).values(
                patron_id=p.id, level=level, source=source, identifier=identifier, work_id=work_id,
                copy_id=copy_id, languages=" ".join(languages), queue_key=key, pickup_library=pickup_library,
                pickup_point=pickup_point,
                status=st.PLACED, placed_at=at, placed_by=who.username if who is not None else None,
                updated_at=at)).inserted_primary_key[0]
            row = conn.execute(select(holds).where(c.id == hold_id)).first()
            all_routes = route_store.all_routes(conn)
            self._points = route_store.all_points(conn, all_routes)
            self._assign(conn, row, local_day(at), all_routes)
            if who is not None:
                audit.record(conn, HOLD_PLACED_BY_STAFF, library=who.library, principal=who.username,
                             client=client, target=p.card, detail=f"hold {hold_id}")
            return HoldResult(True, reasons.OK, self._hold(conn, conn.execute(select(holds).where(c.id == hold_id))
                                                          .first()))

    # --- the patron's changes --------------------------------------------------------------------

    def _own(self, conn, card: str, hold_id: int, who=None):
        r = conn.execute(select(holds, patrons.c.card).join(patrons, patrons.c.id == holds.c.patron_id).where(
            holds.c.id == hold_id)).first()
        if r is None:
            return None
        if who is not None:
            return r if self.circ.may_serve(who, self.circ._find_patron(conn, r.card)) else None
        return r if r.card == (card or "").strip() else None

    def cancel(self, card: str | None, hold_id: int, at: datetime | None = None, who=None,
               client: str | None = None) -> HoldResult:
        """Cancel an open hold (the patron's own, or staff for their library's patron): a copy it held on
        the shelf or on its way goes to the next in the queue at the next checkin or nightly run."""
        at = moment(at)
        with self.circ._transaction() as conn:
            r = self._own(conn, card, hold_id, who)
            if r is None:
                return HoldResult(False, reasons.NOT_FOUND)
            if r.status not in st.OPEN:
                return HoldResult(False, reasons.INVALID, self._hold(conn, r))
            conn.execute(update(holds).where(holds.c.id == r.id).values(status=st.CANCELLED, updated_at=at))
            if who is not None:
                audit.record(conn, HOLD_CANCELLED_BY_STAFF, library=who.library, principal=who.username,
                             client=client, target=r.card, detail=f"hold {r.id}")
            return HoldResult(True, reasons.OK, self._hold(conn, conn.execute(
                select(holds).where(holds.c.id == r.id)).first()))

    def suspend(self, card: str, hold_id: int, until: date | None, at: datetime | None = None) -> HoldResult:
        """Suspend a placed hold until a date (a holiday), keeping its place; None resumes it. A hold already
        on its way or on the shelf is not suspended."""
        at = moment(at)
        with self.circ._transaction() as conn:
            r = self._own(conn, card, hold_id)
            if r is None:
                return HoldResult(False, reasons.NOT_FOUND)
            if r.status != st.PLACED or (until is not None and until <= local_day(at)):
                return HoldResult(False, reasons.INVALID, self._hold(conn, r))
            values = {"suspended_until": until, "updated_at": at}
            if until is not None:
                values.update(assigned_copy_id=None, lender_library=None)
            conn.execute(update(holds).where(holds.c.id == r.id).values(**values))
            return HoldResult(True, reasons.OK, self._hold(conn, conn.execute(
                select(holds).where(holds.c.id == r.id)).first()))

    # --- choosing the lender ---------------------------------------------------------------------

    def _candidates(self, conn, r, day: date):
        """Copies on a shelf now that this hold can take and that no other open hold has chosen."""
        c = copies.c
        chosen = select(holds.c.id).where(holds.c.assigned_copy_id == c.id, holds.c.status.in_(st.OPEN),
                                          holds.c.id != r.id).exists()
        query = select(c.id, c.library, c.source).where(c.status == "available",
                                                        c.source.in_(self.circ.circulating_sources), ~chosen)
        if r.level == "copy":
            query = query.where(c.id == r.copy_id)
        elif r.level == "record":
            query = query.where(c.source == r.source, c.identifier == r.identifier)
        else:
            t = transform_records.c
            query = query.join(transform_records, and_(t.source == c.source, t.identifier == c.identifier)) \
                .where(t.cluster_id == r.work_id)
            if r.languages:
                query = query.where(_in_languages(c, r.languages.split()))
        return conn.execute(query.order_by(c.id).limit(200)).all()

    @staticmethod
    def _may_have_copy():
        """The condition: a copy this hold could take is on a shelf somewhere and no open hold has chosen
        it, so the nightly run looks closer only at these."""
        c, t = copies.c, transform_records.c
        other = holds.alias("other")
        free = and_(c.status == "available", ~select(other.c.id).where(
            other.c.assigned_copy_id == c.id, other.c.status.in_(st.OPEN)).exists())
        on_record = select(c.id).where(c.source == holds.c.source, c.identifier == holds.c.identifier,
                                       free).exists()
        in_work = select(c.id).select_from(transform_records.join(
            copies, and_(c.source == t.source, c.identifier == t.identifier))).where(
            t.cluster_id == holds.c.work_id, free).exists()
        the_copy = select(c.id).where(c.id == holds.c.copy_id, free).exists()
        return or_(and_(holds.c.level == "record", on_record), and_(holds.c.level == "work", in_work),
                   and_(holds.c.level == "copy", the_copy))

    def choose_lender(self, conn, r, day: date, all_routes) -> tuple | None:
        """(copy id, lender library, expected date) for a hold, or None when no copy is on a shelf."""
        found = self._candidates(conn, r, day)
        if not found:
            return None
        pickup = r.pickup_library
        neighbours = route_store.served_with(all_routes, pickup)
        transit = self.settings.holds.transit_days

        def rank(row):
            library = row.library or self.circ.library_id(row.source)
            tier = 0 if library == pickup else 1 if library in neighbours else 2
            when, _ = route_store.arrival(all_routes, library, pickup, day, transit)
            return tier, when, row.id
        best = min(found, key=rank)
        library = best.library or self.circ.library_id(best.source)
        return best.id, library, self._arrival(all_routes, library, r, day)

    def _assign(self, conn, r, day: date, all_routes, look: bool = True) -> bool:
        """Choose a lender for a placed, unsuspended hold that has none; else estimate its date from the
        loans it waits behind. True when a copy was chosen. `look` False: no copy is on a shelf for it
        (the nightly run knows), so only the date is refreshed."""
        if r.status != st.PLACED or (r.suspended_until and r.suspended_until > day):
            return False
        chosen = self.choose_lender(conn, r, day, all_routes) if r.assigned_copy_id is None and look else None
        if chosen is not None:
            copy_id, library, expected = chosen
            try:
                with conn.begin_nested():        # another transaction may have just chosen the same copy
                    conn.execute(update(holds).where(holds.c.id == r.id).values(
                        assigned_copy_id=copy_id, lender_library=library, expected_on=expected))
                return True
            except IntegrityError:
                chosen = None
        if r.assigned_copy_id is None:
            conn.execute(update(holds).where(holds.c.id == r.id).values(
                expected_on=self._estimate(conn, r, day, all_routes)))
        return False

    def _estimate(self, conn, r, day: date, all_routes) -> date | None:
        """When the copy might come: the position-th due date among the queue's loans, a loan period per
        round after that, plus the journey; None when no copy of it is lent."""
        query = select(loans.c.due_date, loans.c.library).where(loans.c.returned_at.is_(None))
        if r.level == "work":
            t = transform_records.c
            query = query.join(transform_records, and_(t.source == loans.c.source,
                                                       t.identifier == loans.c.identifier)) \
                .where(t.cluster_id == r.work_id)
        elif r.level == "copy":
            query = query.where(loans.c.copy_id == r.copy_id)
        else:
            query = query.where(loans.c.source == r.source, loans.c.identifier == r.identifier)
        out = conn.execute(query.order_by(loans.c.due_date).limit(500)).all()
        if not out:
            return None
        position = self._position(conn, r)
        rounds, slot = divmod(position - 1, len(out))
        due, library = out[slot]
        if library not in self._loan_days:
            self._loan_days[library] = max(rules.resolve(conn, library, "adult", "book").loan_days, 1)
        back = max(due, day) + timedelta(days=rounds * self._loan_days[library])
        return self._arrival(all_routes, library, r, back)

    # --- the nightly run -------------------------------------------------------------------------

    def run(self, at: datetime | None = None, batch: int = 500) -> RunSummary:
        """The nightly run: re-target work holds to their records' clusters, expire holds left on the shelf
        past their date (their copies go to the next in line), and choose lenders for placed holds. Its work
        follows what changed: placing a hold already chose a lender or set a date, so only holds for which a
        copy is on a shelf, or whose date has passed, are looked at. Each batch is its own transaction."""
        at = moment(at)
        day = local_day(at)
        self._loan_days = {}
        retargeted = self.retarget(at)
        expired = self.expire_shelves(at)
        assigned = 0
        last = 0
        with self.engine.connect() as conn:
            all_routes = route_store.all_routes(conn)
            self._points = route_store.all_points(conn, all_routes)
        # a copy could be on a shelf for it, or its date has passed (or was never set)
        may_have = self._may_have_copy()
        due = or_(may_have, holds.c.expected_on.is_(None), holds.c.expected_on <= day)
        while True:
            with self.circ._transaction() as conn:
                rows = conn.execute(select(holds, may_have.label("may_have_copy")).where(
                    holds.c.id > last, holds.c.status == st.PLACED, holds.c.assigned_copy_id.is_(None),
                    or_(holds.c.suspended_until.is_(None), holds.c.suspended_until <= day),
                    due)
                    .order_by(holds.c.id).limit(batch)).all()
                if not rows:
                    break
                for r in sorted(rows, key=lambda r: (moment(r.placed_at), r.id)):
                    assigned += self._assign(conn, r, day, all_routes, bool(r.may_have_copy))
                last = rows[-1].id
        return RunSummary(assigned=assigned, expired=expired, retargeted=retargeted)

    def expire_shelves(self, at: datetime | None = None) -> int:
        """Holds waiting past their shelf date expire; each copy is captured for the next in the queue at
        the library where it sits (shelf here or transit), or goes back to being available."""
        at = moment(at)
        day = local_day(at)
        with self.engine.connect() as conn:
            ids = conn.execute(select(holds.c.id).where(holds.c.status == st.WAITING,
                                                        holds.c.shelf_expires_on < day)).scalars().all()
        for hold_id in ids:
            with self.circ._transaction() as conn:
                r = conn.execute(select(holds).where(holds.c.id == hold_id, holds.c.status == st.WAITING)).first()
                if r is None:
                    continue
                conn.execute(update(holds).where(holds.c.id == r.id).values(status=st.EXPIRED, updated_at=at))
                copy = conn.execute(select(copies).where(copies.c.id == r.assigned_copy_id)).first()
                if copy is not None and hold_capture.capture(conn, copy, r.pickup_library, day, at,
                                                              self.settings.holds.shelf_days) is None:
                    set_status(conn, copy.id, "available")
        return len(ids)

    def retarget(self, at: datetime | None = None) -> int:
        """Open work holds follow the record they were placed from into its cluster as it is now (after
        `grenselos cluster join|split` or a re-harvest); `placed_at` is kept, so is the queue position."""
        at = moment(at)
        moved = 0
        with self.circ._transaction() as conn:
            rows = conn.execute(select(holds.c.id, holds.c.work_id, transform_records.c.cluster_id).join(
                transform_records, and_(transform_records.c.source == holds.c.source,
                                        transform_records.c.identifier == holds.c.identifier)).where(
                holds.c.level == "work", holds.c.status.in_(st.OPEN),
                transform_records.c.cluster_id.is_not(None),
                transform_records.c.cluster_id != holds.c.work_id)).all()
            for r in rows:
                conn.execute(update(holds).where(holds.c.id == r.id).values(
                    work_id=r.cluster_id, queue_key=r.cluster_id, updated_at=at))
                moved += 1
            # record holds share their record's work queue
            for r in conn.execute(select(holds.c.id, holds.c.queue_key, transform_records.c.cluster_id).join(
                    transform_records, and_(transform_records.c.source == holds.c.source,
                                            transform_records.c.identifier == holds.c.identifier)).where(
                    holds.c.level != "work", holds.c.status.in_(st.OPEN),
                    transform_records.c.cluster_id.is_not(None),
                    transform_records.c.cluster_id != holds.c.queue_key)).all():
                conn.execute(update(holds).where(holds.c.id == r.id).values(queue_key=r.cluster_id))
        return moved

    # --- the desk's morning list -----------------------------------------------------------------

    def morning_list(self, library: str, at: datetime | None = None) -> dict:
        """For one library's desk: copies to take from the shelf and send (or put on the hold shelf here),
        and copies to clear from the hold shelf (their holds expired or were cancelled)."""
        library = self.circ.library_id(library)
        with self.engine.connect() as conn:
            send = conn.execute(select(holds.c.id, holds.c.pickup_library, copies.c.item_id, copies.c.call_number,
                                       copies.c.location).join(copies, copies.c.id == holds.c.assigned_copy_id)
                                .where(holds.c.status == st.PLACED, holds.c.lender_library == library,
                                       copies.c.status == "available").order_by(holds.c.placed_at)).all()
            clear = conn.execute(select(holds.c.id, holds.c.pickup_number, holds.c.status, copies.c.item_id)
                                 .join(copies, copies.c.id == holds.c.assigned_copy_id)
                                 .where(holds.c.status.in_((st.EXPIRED, st.CANCELLED)),
                                        holds.c.pickup_library == library,
                                        copies.c.status == st.COPY_ON_SHELF).order_by(holds.c.id)).all()
            shelf = conn.execute(select(func.count()).select_from(holds).where(
                holds.c.status == st.WAITING, holds.c.pickup_library == library)).scalar()
            points = route_store.all_points(conn)
            box = conn.execute(select(holds.c.id, holds.c.pickup_point, holds.c.pickup_number, holds.c.expected_on,
                                      copies.c.item_id).join(copies, copies.c.id == holds.c.assigned_copy_id)
                               .where(holds.c.status == st.WAITING, holds.c.pickup_library == library,
                                      holds.c.pickup_point.is_not(None),
                                      copies.c.status == st.COPY_ON_SHELF)
                               .order_by(holds.c.expected_on, holds.c.pickup_point, holds.c.id)).all()
        today = local_day(moment(at))
        return {"library": library,
                "send": [{"hold": r.id, "barcode": r.item_id, "call_number": r.call_number,
                          "location": r.location, "pickup": r.pickup_library,
                          "to": "hold_shelf" if r.pickup_library == library else "transit"} for r in send],
                # the "for the book bus" box: what goes on the bus or boat, by the day it runs
                "bus": [{"hold": r.id, "barcode": r.item_id, "pickup_number": r.pickup_number,
                         "point": r.pickup_point,
                         "point_name": points[r.pickup_point].name if r.pickup_point in points else r.pickup_point,
                         "route": points[r.pickup_point].route.name if r.pickup_point in points else "",
                         "runs_on": r.expected_on.isoformat() if r.expected_on else None,
                         "today": r.expected_on is not None and r.expected_on <= today} for r in box],
                "clear": [{"hold": r.id, "barcode": r.item_id, "pickup_number": r.pickup_number,
                           "status": r.status} for r in clear],
                "on_shelf": shelf}


def _in_languages(c, codes: list[str]):
    """The condition: the copy's record is in one of these languages (ISO 639 codes, as the search's
    language facet), by the languages conversion recorded (`transform.statistics` facts); a record with
    no known language is not excluded, since nothing says it is in the wrong one."""
    f = facts_table.c
    mine = and_(f.source == c.source, f.identifier == c.identifier)
    known = select(f.language).where(mine, f.language != "").exists()
    wanted = select(f.language).where(mine, or_(*(f.language.like(f"%/{code}") for code in codes))).exists()
    return or_(wanted, ~known)


def ready_events(conn, after_id: int = 0, limit: int = 1000) -> list[dict]:
    """Holds that became ready (on the hold shelf) since event `after_id`, oldest first: what the notices
    run sends "your hold is ready" for (it keeps the last id it handled)."""
    rows = conn.execute(select(hold_events.c.id, hold_events.c.hold_id, hold_events.c.at, holds.c.patron_id,
                               holds.c.pickup_library, holds.c.pickup_number, holds.c.shelf_expires_on,
                               holds.c.source, holds.c.identifier)
                        .join(holds, holds.c.id == hold_events.c.hold_id)
                        .where(hold_events.c.kind == st.READY, hold_events.c.id > after_id)
                        .order_by(hold_events.c.id).limit(limit)).all()
    return [dict(r._mapping) for r in rows]

