"""Deposit loans: a crate of copies one library lends to another for months (a school, a depot, a book bus;
the national multilingual library's crates of Russian, Finnish or Arabic books).

Why it works like this:
- While on deposit a copy's place is the deposit's library (`transform.copies.set_deposit` writes it, with
  the until date and the service point, through the copies outbox): search hits, the record page and the
  JSON API show it "at Kirkenes until May" within seconds, and the desk there lends and takes it back as
  its own (`Circulation._deposited_at`), even where floating is off or that library does not lend through
  Grenseløs. Where it goes home to is kept here (`deposit_copies.home_library`), not guessed later.
- One open deposit per copy is a partial unique index, as one open loan per copy.
- Calling home is data, not a reminder in someone's head: on its date an open deposit becomes `called` and
  stands on its lending library's list of crates due home (`grenselos deposits due`, the scheduler, the
  staff page) until it is returned.
- Staff see and change only deposits from or to their own library (a county admin: all); a new deposit
  lends their own library's copies.
- Bad barcodes never stop a crate: each refused one comes back with its reason, the rest go in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from accounts import audit, roles
from circulation import reasons
from circulation.tables import deposit_copies, deposits, loans
from core.clock import moment
from transform.copies import copies, set_deposit, set_status
from vocab import libraries as vocab_libraries

DEPOSIT_CREATED = "deposit_created"
DEPOSIT_CHANGED = "deposit_changed"
DEPOSIT_RETURNED = "deposit_returned"
OPEN = ("open", "called")


@dataclass(frozen=True)
class DepositCopy:
    barcode: str
    copy_id: int
    home_library: str
    status: str                  # the copy's vocab.statuses code now


@dataclass(frozen=True)
class Deposit:
    id: int
    from_library: str
    to_library: str
    place: str
    until: date
    note: str
    status: str                  # open | called | returned
    created_by: str
    created_at: datetime
    copies: tuple[DepositCopy, ...] = ()

    def due(self, today: date) -> bool:
        return self.status in OPEN and self.until <= today


@dataclass(frozen=True)
class DepositResult:
    ok: bool
    reason: str
    deposit: Deposit | None = None
    refused: tuple[tuple[str, str], ...] = ()      # (barcode, reason) for each barcode not taken
    done: tuple[str, ...] = ()                     # barcodes added or removed


@dataclass
class DueHome:
    """The crates due home for one lending library."""
    library: str
    deposits: list[Deposit] = field(default_factory=list)


def parse_barcodes(text: str) -> list[str]:
    """Barcodes as a scanner or a paste gives them: one per line, or separated by spaces or commas."""
    seen, out = set(), []
    for token in (text or "").replace(",", " ").split():
        if token not in seen:
            seen.add(token)
            out.append(token)
    return out


class Deposits:
    """Deposit loans over the circulation core `circ` (`circulation.service.Circulation`)."""

    def __init__(self, circ):
        self.circ = circ
        self.engine = circ.engine
        self.directory = vocab_libraries.directory(circ.settings)

    # --- who may --------------------------------------------------------------------------------

    def may_see(self, who, deposit: Deposit) -> bool:
        if who is None:
            return False
        if who.role == roles.COUNTY_ADMIN:
            return True
        return self.circ.library_id(who.library) in (deposit.from_library, deposit.to_library)

    def destinations(self) -> list:
        """The libraries a crate may go to: every library of the region the directory knows (schools and
        depots included, lending through Grenseløs or not), by name."""
        return sorted(self.directory.libraries(region_only=True), key=lambda lib: lib.name.casefold())

    def name(self, library_id: str) -> str:
        found = self.directory.get(library_id)
        return found.name if found else library_id

    # --- reading --------------------------------------------------------------------------------

    def _deposit(self, conn, r, with_copies: bool = True) -> Deposit:
        items = ()
        if with_copies:
            items = tuple(DepositCopy(c.barcode, c.copy_id, c.home_library, c.status or "unknown")
                          for c in conn.execute(
                select(deposit_copies.c.barcode, deposit_copies.c.copy_id, deposit_copies.c.home_library,
                       copies.c.status).select_from(deposit_copies.outerjoin(
                           copies, copies.c.id == deposit_copies.c.copy_id))
                .where(deposit_copies.c.deposit_id == r.id, deposit_copies.c.removed_at.is_(None))
                .order_by(deposit_copies.c.id)))
        return Deposit(r.id, r.from_library, r.to_library, r.place, r.until, r.note, r.status, r.created_by,
                       moment(r.created_at), items)

    def get(self, deposit_id: int) -> Deposit | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(deposits).where(deposits.c.id == deposit_id)).first()
            return self._deposit(conn, r) if r is not None else None

    def list(self, library: str | None = None, include_returned: bool = False) -> list[Deposit]:
        """Deposits from or to `library` (None: all), soonest due first."""
        query = select(deposits).order_by(deposits.c.until, deposits.c.id)
        if library is not None:
            library = self.circ.library_id(library)
            query = query.where(or_(deposits.c.from_library == library, deposits.c.to_library == library))
        if not include_returned:
            query = query.where(deposits.c.status.in_(OPEN))
        with self.engine.connect() as conn:
            return [self._deposit(conn, r) for r in conn.execute(query).all()]

    def due(self, today: date, library: str | None = None) -> list[DueHome]:
        """The open deposits whose date has come, per lending library (the morning's list of crates to call home)."""
        out: dict[str, DueHome] = {}
        for d in self.list(library):
            if d.due(today) and (library is None or d.from_library == self.circ.library_id(library)):
                out.setdefault(d.from_library, DueHome(d.from_library)).deposits.append(d)
        return [out[k] for k in sorted(out)]

    def call_home(self, today: date, at: datetime | None = None) -> list[Deposit]:
        """Mark every open deposit whose date has come as `called` (it then stands on the list until it is
        returned); the ones called now. Safe to run again: a called deposit is not called twice."""
        at = moment(at)
        with self.engine.begin() as conn:
            ids = conn.execute(select(deposits.c.id).where(deposits.c.status == "open",
                                                           deposits.c.until <= today)).scalars().all()
            if ids:
                conn.execute(update(deposits).where(deposits.c.id.in_(ids), deposits.c.status == "open")
                             .values(status="called", called_at=at))
            return [self._deposit(conn, r) for r in conn.execute(
                select(deposits).where(deposits.c.id.in_(ids)).order_by(deposits.c.from_library, deposits.c.id))]

    # --- changing -------------------------------------------------------------------------------

    def create(self, who, *, to_library: str, until: date, barcodes=(), note: str = "", place: str = "",
               from_library: str | None = None, at: datetime | None = None, client: str | None = None,
               today: date | None = None) -> DepositResult:
        """A new deposit of `who`'s library's copies (a county admin may name `from_library`) at another
        library until a date; refused barcodes are listed, the deposit is made with the rest."""
        at = moment(at)
        if who is None:
            return DepositResult(False, reasons.NOT_ALLOWED)
        own = self.circ.library_id(who.library or "")
        source = self.circ.library_id(from_library) if from_library else own
        if who.role != roles.COUNTY_ADMIN and source != own:
            return DepositResult(False, reasons.NOT_ALLOWED)
        target = self.circ.library_id((to_library or "").strip())
        if source not in self.circ.circulating_libraries or self.directory.get(target) is None \
                or target == source or until is None or until <= (today or at.date()):
            return DepositResult(False, reasons.INVALID)
        with self.engine.begin() as conn:
            deposit_id = conn.execute(insert(deposits).values(
                from_library=source, to_library=target, place=(place or "").strip()[:256], until=until,
                note=(note or "").strip(), status="open", created_by=who.username, created_at=at)
            ).inserted_primary_key[0]
            audit.record(conn, DEPOSIT_CREATED, library=who.library, principal=who.username, client=client,
                         target=f"deposit {deposit_id}", detail=f"{source} -> {target} until {until.isoformat()}")
        result = self.add(deposit_id, barcodes, who, at=at, client=client) if barcodes else None
        deposit = self.get(deposit_id)
        return DepositResult(True, reasons.OK, deposit, result.refused if result else (),
                             result.done if result else ())

    def _open_deposit(self, conn, deposit_id: int, who):
        r = conn.execute(select(deposits).where(deposits.c.id == deposit_id)).first()
        if r is None:
            return None, reasons.NOT_FOUND
        if not self.may_see(who, self._deposit(conn, r, with_copies=False)):
            return None, reasons.NOT_ALLOWED
        if r.status not in OPEN:
            return None, reasons.CLOSED
        return r, reasons.OK

    def add(self, deposit_id: int, barcodes, who, at: datetime | None = None,
            client: str | None = None) -> DepositResult:
        """Put copies into an open deposit: each must be the lending library's, not lent, not in another
        deposit; each goes in its own savepoint so one refused barcode keeps the others."""
        at = moment(at)
        done, refused = [], []
        with self.engine.begin() as conn:
            r, reason = self._open_deposit(conn, deposit_id, who)
            if r is None:
                return DepositResult(False, reason)
            for barcode in barcodes:
                why = self._add_one(conn, r, barcode, at)
                (refused.append((barcode, why)) if why else done.append(barcode))
            if done:
                audit.record(conn, DEPOSIT_CHANGED, library=who.library, principal=who.username, client=client,
                             target=f"deposit {deposit_id}", detail=f"added {len(done)}")
            deposit = self._deposit(conn, r)
        return DepositResult(True, reasons.OK, deposit, tuple(refused), tuple(done))

    def _add_one(self, conn, r, barcode: str, at: datetime) -> str:
        copy = self.circ._copy(conn, barcode)
        if copy is None:
            return reasons.NOT_FOUND
        if copy.deposit_until:
            mine = conn.execute(select(deposit_copies.c.id).where(
                deposit_copies.c.copy_id == copy.id, deposit_copies.c.deposit_id == r.id,
                deposit_copies.c.removed_at.is_(None))).first()
            return "" if mine is not None else reasons.ON_DEPOSIT     # a double scan is not an error
        if self.circ.home_library(copy) != r.from_library:
            return reasons.NOT_ALLOWED
        if conn.execute(select(loans.c.id).where(loans.c.copy_id == copy.id, loans.c.returned_at.is_(None))).first():
            return reasons.ALREADY_ON_LOAN
        if copy.status == "lost":
            return reasons.ALREADY_LOST
        try:
            with conn.begin_nested():
                conn.execute(insert(deposit_copies).values(
                    deposit_id=r.id, copy_id=copy.id, barcode=copy.item_id,
                    home_library=self.circ.home_library(copy), added_at=at))
        except IntegrityError:
            return reasons.ON_DEPOSIT
        set_deposit(conn, copy.id, r.to_library, r.until.isoformat(), r.place, stamp=at)
        if copy.status != "available":
            set_status(conn, copy.id, "available", stamp=at)
        return ""

    def remove(self, deposit_id: int, barcodes, who, at: datetime | None = None,
               client: str | None = None) -> DepositResult:
        """Take copies out of an open deposit: they belong to their home library again (a copy on loan goes
        home when it is returned; one on the shelf there is in transit home)."""
        at = moment(at)
        done, refused = [], []
        with self.engine.begin() as conn:
            r, reason = self._open_deposit(conn, deposit_id, who)
            if r is None:
                return DepositResult(False, reason)
            for barcode in barcodes:
                row = conn.execute(select(deposit_copies).where(
                    deposit_copies.c.deposit_id == r.id, deposit_copies.c.barcode == barcode,
                    deposit_copies.c.removed_at.is_(None))).first()
                if row is None:
                    refused.append((barcode, reasons.NOT_FOUND))
                    continue
                self._send_home(conn, row, at, arrived=False)
                done.append(barcode)
            if done:
                audit.record(conn, DEPOSIT_CHANGED, library=who.library, principal=who.username, client=client,
                             target=f"deposit {deposit_id}", detail=f"removed {len(done)}")
            deposit = self._deposit(conn, r)
        return DepositResult(True, reasons.OK, deposit, tuple(refused), tuple(done))

    def _send_home(self, conn, row, at: datetime, arrived: bool) -> None:
        """End a copy's place in a deposit: home again; on the shelf (`arrived`, the crate is back) or in
        transit home; a copy on loan keeps its status and goes home when it is returned."""
        conn.execute(update(deposit_copies).where(deposit_copies.c.id == row.id).values(removed_at=at))
        copy = conn.execute(select(copies).where(copies.c.id == row.copy_id)).first()
        if copy is None:                    # withdrawn by a re-harvest meanwhile
            return
        set_deposit(conn, copy.id, row.home_library, stamp=at)
        if copy.status not in ("on_loan", "lost"):
            set_status(conn, copy.id, "available" if arrived else "in_transit", stamp=at)

    def return_deposit(self, deposit_id: int, who, at: datetime | None = None,
                       client: str | None = None) -> DepositResult:
        """The crate is back at its lending library: every copy in it is home, on the shelf."""
        at = moment(at)
        with self.engine.begin() as conn:
            r, reason = self._open_deposit(conn, deposit_id, who)
            if r is None:
                return DepositResult(False, reason)
            rows = conn.execute(select(deposit_copies).where(deposit_copies.c.deposit_id == r.id,
                                                             deposit_copies.c.removed_at.is_(None))).all()
            for row in rows:
                self._send_home(conn, row, at, arrived=True)
            conn.execute(update(deposits).where(deposits.c.id == r.id).values(status="returned", returned_at=at))
            audit.record(conn, DEPOSIT_RETURNED, library=who.library, principal=who.username, client=client,
                         target=f"deposit {deposit_id}", detail=f"{len(rows)} copies")
            deposit = self._deposit(conn, conn.execute(select(deposits).where(deposits.c.id == r.id)).first())
        return DepositResult(True, reasons.OK, deposit, done=tuple(row.barcode for row in rows))
