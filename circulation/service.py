"""The circulation transactions: the one door the desk screens, My page, the patron API and the SIP2 server
go through, so a rule, a limit or a privacy promise holds the same way everywhere.

Why it is built like this:
- Every transaction is one database transaction that starts by writing the patron's row (`tx_seq + 1`):
  on PostgreSQL that is the row lock that serialises one patron's checkouts (limits hold under
  concurrency, FOLIO's per-user lock), on SQLite it takes the write lock. The copy side needs no lock: the
  partial unique index `uq_loans_open_copy` lets only one open loan per copy exist, and a lost race comes
  back as "already on loan" (or as the same loan, for the same patron).
- A double scan is not an error: the same patron checking out a copy they already have gets `ok` with the
  same loan (`repeat=True`), nothing written.
- Every transaction writes the copy's status with `transform.copies.set_status`, whose `updated_at` the
  index applier follows; nothing here touches the graph store or an OAI datestamp.
- Privacy by default: a loan loses its patron at return unless the patron opted in to history.
- Returns follow the owning source's policy: home (in transit back) or `floating` (the copy stays where it
  was returned, Koha's and Evergreen's floating collections), which suits a county of small branches.
  A copy on deposit (`circulation.deposits`) has the deposit's library as its place until called home:
  it is lent and returned there, even when that library does not lend through Grenseløs, and never floats.
- Lost and found: a lost copy's loan is closed (the patron's limit frees up) and a replacement claim keeps
  who had it; scanning the copy again anywhere finds it and closes the claim. Fees stay off unless the rule
  that lent it says otherwise (`fees`, `replacement_fee`).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from accounts import audit, passwords, roles
from circulation import patrons as patron_store
from circulation import hold_capture, hold_states, reasons, rules, statistics
from circulation.results import (Claim, ItemInfo, Loan, LoanResult, LostResult, Patron, PatronEditResult,
                                 PatronResult, PatronStatus, ReturnResult)
from circulation.tables import claims, copy_types, holds, loans, patrons, pin_failures
from core.clock import moment, now as _now
from core.db import engine_for, migrate
from index.from_store import document_id
from libraries import calendar
from transform.copies import copies, set_library, set_status
from transform.tables import transform_records
from vocab import item_types
from vocab import libraries as vocab_libraries

#: The region's clock: a loan's due date is a day in the libraries' own time zone.
LOCAL = ZoneInfo("Europe/Oslo")
CHANNELS = ("desk", "online", "sip2")
#: Audit events (accounts.audit) of staff reading a patron's record.
PATRON_VIEWED = "patron_viewed"
PATRON_VIEW_REFUSED = "patron_view_refused"
PATRON_EDITED = "patron_edited"
COPY_LOST = "copy_marked_lost"
CLAIM_SETTLED = "claim_settled"
#: What staff may change on a patron at the desk (the card, PIN and birth year stay with the import).
EDITABLE = ("name", "email", "phone", "language", "category", "status", "block_reason")


def local_day(at: datetime) -> date:
    return at.astimezone(LOCAL).date()


def _patron(r, guardian_card=None) -> Patron:
    return Patron(r.id, r.card, r.name, r.email, r.phone, r.language, r.library, r.category, r.birth_year,
                  guardian_card, r.status, r.block_reason, bool(r.keep_history), r.expires_on)


class Circulation:
    """Circulation over one database. `settings` (core.settings.Settings) says which sources lend
    (`circulation = true`) and how PIN guessing is throttled; `titles(record_id)` names a record by its
    public id (the portal passes the search index's title; without it titles are empty)."""

    def __init__(self, engine: Engine, settings, titles: Callable[[str], str] | None = None):
        self.engine = engine
        self.settings = settings
        self.titles = titles or (lambda record_id: "")
        self._library_of_source = {s.id: vocab_libraries.source_library(s).id for s in settings.sources}
        self.circulating_sources = tuple(s.id for s in settings.sources if getattr(s, "circulation", False))
        self.circulating_libraries = frozenset(self._library_of_source[s] for s in self.circulating_sources)
        self.floating_sources = frozenset(s.id for s in settings.sources if getattr(s, "floating", False))
        self._key: bytes | None = None
        limits = settings.circulation
        #: PINs have their own light argon2id parameters (why: `accounts.passwords`).
        self.pin_hasher = passwords.pin_hasher(limits.pin_hash_memory_kib, limits.pin_hash_time_cost)

    def _statistics_key(self) -> bytes:
        if self._key is None:
            self._key = statistics.installation_key(self.settings.data_dir)
        return self._key

    @contextmanager
    def _transaction(self):
        """One transaction. (A process-wide lock for SQLite writers was measured slower: bench/circulation.py.)"""
        with self.engine.begin() as conn:
            yield conn

    @classmethod
    def open(cls, database_url: str, settings, titles=None) -> "Circulation":
        """Over a new engine for `database_url`, its tables brought up to date (for the CLI and SIP2)."""
        engine = engine_for(database_url)
        migrate(engine)
        return cls(engine, settings, titles)

    # --- libraries -------------------------------------------------------------------------------

    def library_id(self, library: str) -> str:
        """A source id (what SIP2 accounts and the CSV name) or a library id → the library id."""
        return self._library_of_source.get(library, library)

    def source_of(self, library: str) -> str:
        """A library id → the id of its (first) circulating source: the SIP2 institution id a sorter knows."""
        for source in self.circulating_sources:
            if self._library_of_source[source] == library:
                return source
        return library

    def due_date(self, conn, library: str, day: date) -> date:
        point = calendar.main_point(conn, library)
        return calendar.next_open_day(conn, point, day) if point is not None else day

    # --- patrons ---------------------------------------------------------------------------------

    def patron(self, card: str) -> Patron | None:
        with self.engine.connect() as conn:
            return self._find_patron(conn, card)

    def _find_patron(self, conn, card: str) -> Patron | None:
        r = conn.execute(select(patrons).where(patrons.c.card == (card or "").strip())).first()
        if r is None:
            return None
        guardian = None
        if r.guardian_id is not None:
            guardian = conn.execute(select(patrons.c.card).where(patrons.c.id == r.guardian_id)).scalar()
        return _patron(r, guardian)

    def may_serve(self, who, patron: Patron) -> bool:
        """Whether a staff member (`accounts.Principal`) may see and change this patron: their own library's
        patrons (a county admin: everyone's)."""
        return who is not None and (who.role == roles.COUNTY_ADMIN or self.library_id(who.library) == patron.library)

    def staff_lookup(self, card: str, who, client: str | None = None) -> Patron | None:
        """A patron as a staff member looks them up: None when unknown or another library's; every look-up
        of a patron is audited (`patron_viewed`, the card as target), so a data-protection officer can see
        who read whose record."""
        with self._transaction() as conn:
            patron = self._find_patron(conn, card)
            allowed = patron is not None and self.may_serve(who, patron)
            if patron is not None:
                audit.record(conn, PATRON_VIEWED if allowed else PATRON_VIEW_REFUSED,
                             library=who.library if who else None, principal=who.username if who else None,
                             client=client, target=patron.card)
            return patron if allowed else None

    def authenticate_patron(self, card: str, pin: str, client: str | None = None) -> PatronResult:
        """Check a card's PIN, throttled per card and per client (address or SIP2 terminal): past the limits
        the PIN is not even checked, so guessing gains nothing."""
        limits = self.settings.circulation
        now = _now()
        window = timedelta(minutes=limits.pin_lockout_minutes)
        client = (client or "")[:64]
        with self._transaction() as conn:
            if client and conn.execute(select(func.count()).select_from(pin_failures).where(
                    pin_failures.c.client == client, pin_failures.c.at > now - window)).scalar() \
                    >= limits.client_pin_failures:
                return PatronResult(False, reasons.THROTTLED)
            r = conn.execute(select(patrons).where(patrons.c.card == (card or "").strip())).first()
            if r is None:
                passwords.verify(passwords.dummy_hash(self.pin_hasher), pin or "", self.pin_hasher)
                self._client_failed(conn, client, now)
                return PatronResult(False, reasons.PATRON_NOT_FOUND)
            locked = r.locked_until and moment(r.locked_until) > now
            if locked:
                return PatronResult(False, reasons.THROTTLED)
            if not passwords.verify(r.pin_hash, pin or "", self.pin_hasher):
                failures = r.pin_failures + 1
                values = {"pin_failures": failures}
                if failures >= limits.pin_failures:
                    values = {"pin_failures": 0, "locked_until": now + window}
                conn.execute(update(patrons).where(patrons.c.id == r.id).values(**values))
                self._client_failed(conn, client, now)
                return PatronResult(False, reasons.BAD_PIN)
            values = {"pin_failures": 0, "locked_until": None}
            if passwords.needs_rehash(r.pin_hash, self.pin_hasher):
                values["pin_hash"] = passwords.hash_password(pin, self.pin_hasher)
            if r.pin_failures or r.locked_until or "pin_hash" in values:
                conn.execute(update(patrons).where(patrons.c.id == r.id).values(**values))
            return PatronResult(True, reasons.OK, self._find_patron(conn, r.card))

    def _client_failed(self, conn, client: str, now: datetime) -> None:
        """Count a wrong PIN against the client; rows older than the window are of no further use."""
        if client:
            window = timedelta(minutes=self.settings.circulation.pin_lockout_minutes)
            conn.execute(pin_failures.delete().where(pin_failures.c.at < now - window))
            conn.execute(insert(pin_failures).values(client=client, at=now))

    def patron_status(self, card: str, at: datetime | None = None) -> PatronStatus:
        today = local_day(moment(at))
        with self.engine.connect() as conn:
            patron = self._find_patron(conn, card)
            if patron is None:
                return PatronStatus(False, reasons.PATRON_NOT_FOUND)
            open_loans = conn.execute(select(loans.c.barcode, loans.c.due_date).where(
                loans.c.patron_id == patron.id, loans.c.returned_at.is_(None)).order_by(loans.c.due_date)).all()
            waiting = conn.execute(select(func.count()).select_from(holds).where(
                holds.c.patron_id == patron.id, holds.c.status.in_(hold_states.OPEN))).scalar()
            rule = rules.resolve(conn, patron.library, patron.category, "book")
        overdue = tuple(b for b, due in open_loans if due < today)
        reason = {"blocked": reasons.BLOCKED, "expired": reasons.EXPIRED}.get(patron.status, reasons.OK)
        return PatronStatus(patron.active, reason, patron, len(open_loans), len(overdue), waiting,
                            rule.loan_limit, rule.hold_limit, tuple(b for b, _ in open_loans), overdue)

    # --- items -----------------------------------------------------------------------------------

    def _copy(self, conn, barcode: str):
        barcode = (barcode or "").strip()
        if not barcode or not self.circulating_sources:
            return None
        return conn.execute(select(copies).where(copies.c.item_id == barcode,
                                                 copies.c.source.in_(self.circulating_sources))
                            .order_by(copies.c.id)).first()

    def _deposited_at(self, conn, barcode: str, library: str) -> bool:
        """Whether the copy stands on deposit at `library` (`circulation.deposits`), or was lent there: it
        lends and takes back there even when that library does not lend through Grenseløs (a school, a depot)."""
        copy = self._copy(conn, barcode)
        if copy is None:
            return False
        if copy.deposit_until and copy.library == library:
            return True
        lent = self._open_loan(conn, copy.id)      # lent there before the crate went home: returned there too
        return lent is not None and lent.library == library

    def home_library(self, copy) -> str:
        return copy.library or self._library_of_source.get(copy.source, copy.source)

    def _item_type(self, conn, copy) -> str:
        """Staff's override (`copy_types`), else what the holdings say (`copies.item_type`), else `book`."""
        return conn.execute(select(copy_types.c.item_type).where(copy_types.c.copy_id == copy.id)).scalar() \
            or copy.item_type or item_types.DEFAULT

    def _record_id(self, conn, source: str, identifier: str) -> str:
        """The record's public id (`/record/<id>`, the search document's id); "" before it is converted."""
        minted = conn.execute(select(transform_records.c.record_id).where(
            transform_records.c.source == source, transform_records.c.identifier == identifier)).scalar()
        return document_id(source, minted) if minted else ""

    def _title(self, record_id: str) -> str:
        return self.titles(record_id) if record_id else ""

    def _item(self, conn, copy, *, item_type: str | None = None, status: str | None = None,
              due: date | None = None) -> ItemInfo:
        """The copy as a caller sees it; `status`/`due` when this transaction just wrote them."""
        queue = hold_capture.waiting_count(conn, copy, local_day(_now()))
        if status is None:
            status = copy.status
            due = date.fromisoformat(copy.due_date) if copy.status == "on_loan" and copy.due_date else None
        record_id = self._record_id(conn, copy.source, copy.identifier)
        return ItemInfo(copy.item_id, copy.id, copy.source, copy.identifier, record_id, self._title(record_id),
                        status, due if status == "on_loan" else None, self.home_library(copy),
                        item_type or self._item_type(conn, copy), copy.location, copy.call_number, queue)

    def item(self, barcode: str) -> ItemInfo | None:
        with self.engine.connect() as conn:
            copy = self._copy(conn, barcode)
            return self._item(conn, copy) if copy is not None else None

    # --- loans -----------------------------------------------------------------------------------

    def _loan(self, conn, r) -> Loan:
        category = r.patron_category
        rule = rules.resolve(conn, r.library, category, r.item_type)
        record_id = self._record_id(conn, r.source, r.identifier)
        return Loan(r.id, r.barcode, r.copy_id, r.source, r.identifier, record_id, self._title(record_id),
                    r.library, moment(r.out_at), r.due_date, r.renewals,
                    max(rule.renewals - r.renewals, 0), moment(r.returned_at) if r.returned_at else None)

    def loans(self, card: str) -> list[Loan]:
        """The patron's open loans, soonest due first."""
        with self.engine.connect() as conn:
            patron = self._find_patron(conn, card)
            if patron is None:
                return []
            rows = conn.execute(select(loans).where(loans.c.patron_id == patron.id, loans.c.returned_at.is_(None))
                                .order_by(loans.c.due_date, loans.c.id)).all()
            return [self._loan(conn, r) for r in rows]

    def history(self, card: str) -> list[Loan]:
        """Returned loans still linked to the patron: only those of a patron who opted in to history."""
        with self.engine.connect() as conn:
            patron = self._find_patron(conn, card)
            if patron is None:
                return []
            rows = conn.execute(select(loans).where(loans.c.patron_id == patron.id,
                                                    loans.c.returned_at.is_not(None))
                                .order_by(loans.c.returned_at.desc())).all()
            return [self._loan(conn, r) for r in rows]

    def _lock_patron(self, conn, card: str):
        """Write the patron's row first (the lock, see the module docstring), then read it."""
        card = (card or "").strip()
        conn.execute(update(patrons).where(patrons.c.card == card).values(tx_seq=patrons.c.tx_seq + 1))
        return conn.execute(select(patrons).where(patrons.c.card == card)).first()

    def _open_loan(self, conn, copy_id: int):
        return conn.execute(select(loans).where(loans.c.copy_id == copy_id, loans.c.returned_at.is_(None))).first()

    def checkout(self, card: str, barcode: str, library: str, at: datetime | None = None, desk: str | None = None,
                 no_block: bool = False, channel: str = "desk") -> LoanResult:
        """Lend a copy. `no_block`: a transaction the kiosk or an offline desk already did (SIP2 no-block,
        offline sync): accepted even past limits and blocks, and a copy still lent to someone else is
        returned first, at `at`."""
        at = moment(at)
        library = self.library_id(library)
        for attempt in range(2):
            try:
                with self._transaction() as conn:
                    return self._checkout(conn, card, barcode, library, at, desk or "", no_block, channel)
            except IntegrityError:
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _checkout(self, conn, card, barcode, library, at, desk, no_block, channel) -> LoanResult:
        if library not in self.circulating_libraries and not self._deposited_at(conn, barcode, library):
            return LoanResult(False, reasons.NOT_CIRCULATING)
        p = self._lock_patron(conn, card)
        if p is None:
            return LoanResult(False, reasons.PATRON_NOT_FOUND)
        copy = self._copy(conn, barcode)
        if copy is None:
            return LoanResult(False, reasons.NOT_FOUND)
        current = self._open_loan(conn, copy.id)
        if current is not None and current.patron_id == p.id:
            return LoanResult(True, reasons.OK, self._loan(conn, current), self._item(conn, copy), repeat=True)
        if not no_block:
            if p.status == "blocked":
                return LoanResult(False, reasons.BLOCKED, item=self._item(conn, copy))
            if p.status == "expired" or (p.expires_on and p.expires_on < local_day(at)):
                return LoanResult(False, reasons.EXPIRED, item=self._item(conn, copy))
            if current is not None:
                return LoanResult(False, reasons.ALREADY_ON_LOAN, item=self._item(conn, copy))
            if hold_capture.kept_for_another(conn, copy.id, p.id):
                return LoanResult(False, reasons.HELD_FOR_ANOTHER, item=self._item(conn, copy))
        item_type = self._item_type(conn, copy)
        rule = rules.resolve(conn, library, p.category, item_type)
        if not no_block:
            if rule.loan_days <= 0 or copy.status == "reference" or not item_types.get(item_type).loanable:
                return LoanResult(False, reasons.NOT_LOANABLE, item=self._item(conn, copy))
            count = conn.execute(select(func.count()).select_from(loans).where(
                loans.c.patron_id == p.id, loans.c.returned_at.is_(None))).scalar()
            if count >= rule.loan_limit:
                return LoanResult(False, reasons.LIMIT, item=self._item(conn, copy))
        if current is not None:                      # no-block over someone else's loan: return that first
            self._close(conn, current, library, at)
        if copy.status == "lost":
            self._found(conn, copy.id, at)
        due = self.due_date(conn, library, local_day(at) + timedelta(days=max(rule.loan_days, 1)))
        loan_id = conn.execute(insert(loans).values(
            copy_id=copy.id, barcode=copy.item_id, source=copy.source, identifier=copy.identifier, patron_id=p.id,
            patron_category=p.category, patron_library=p.library, item_type=item_type, library=library, desk=desk,
            channel=channel if channel in CHANNELS else "desk", out_at=at, due_date=due, renewals=0)
        ).inserted_primary_key[0]
        set_status(conn, copy.id, "on_loan", due.isoformat())
        hold_capture.fill(conn, copy.id, p.id, copy.source, copy.identifier, at)
        statistics.mark_borrower(conn, self._statistics_key(), library, p.id, p.category, at)
        item = self._item(conn, copy, item_type=item_type, status="on_loan", due=due)
        loan = Loan(loan_id, copy.item_id, copy.id, copy.source, copy.identifier, item.record_id, item.title, library,
                    at, due, 0, max(rule.renewals, 0))
        return LoanResult(True, reasons.OK, loan, item)

    def _close(self, conn, loan_row, library: str, at: datetime) -> None:
        keep = conn.execute(select(patrons.c.keep_history).where(patrons.c.id == loan_row.patron_id)).scalar() \
            if loan_row.patron_id is not None else False
        values = {"returned_at": at, "return_library": library}
        if not keep:
            values["patron_id"] = None
        conn.execute(update(loans).where(loans.c.id == loan_row.id).values(**values))

    def checkin(self, barcode: str, library: str, at: datetime | None = None, no_block: bool = False) -> ReturnResult:
        """Take a copy back at any circulating library and say where it goes: its home library's shelf, or in
        transit home; a copy of a floating source stays here and this becomes its holding library. A copy not
        on loan is still routed (returns are idempotent): `ok` with reason `not_on_loan`; a lost copy is
        found (`found`, its open claims closed)."""
        at = moment(at)
        library = self.library_id(library)
        with self._transaction() as conn:
            if library not in self.circulating_libraries and not self._deposited_at(conn, barcode, library):
                return ReturnResult(False, reasons.NOT_CIRCULATING)
            copy = self._copy(conn, barcode)
            if copy is None:
                return ReturnResult(False, reasons.NOT_FOUND)
            current = self._open_loan(conn, copy.id)
            loan = None
            if current is not None:
                loan = self._loan(conn, current)
                self._close(conn, current, library, at)
            found = copy.status == "lost" and self._found(conn, copy.id, at)
            home = self.home_library(copy)
            floated = home != library and copy.source in self.floating_sources and not copy.deposit_until
            if floated:
                set_library(conn, copy.id, library, stamp=at)
                copy = conn.execute(select(copies).where(copies.c.id == copy.id)).first()
                home = library
            reason = reasons.FOUND if found else reasons.OK if current is not None else reasons.NOT_ON_LOAN
            held = hold_capture.capture(conn, copy, library, local_day(at), at, self.settings.holds.shelf_days)
            if held is not None:
                status = hold_states.COPY_ON_SHELF if held.where == "shelf" else hold_states.COPY_IN_TRANSIT
                return ReturnResult(True, reason, self._item(conn, copy, status=status), loan, held.where,
                                    "" if held.where == "shelf" else held.pickup, floated, held.hold_id,
                                    held.pickup_number, held.point)
            destination, to_library, status = ("shelf", "", "available") if home == library \
                else ("transit", home, "in_transit")
            if copy.status != status or current is not None:
                set_status(conn, copy.id, status)
            return ReturnResult(True, reason, self._item(conn, copy, status=status), loan, destination, to_library,
                                floated)

    def renew(self, card: str, barcode: str, at: datetime | None = None, channel: str = "desk") -> LoanResult:
        at = moment(at)
        with self._transaction() as conn:
            p = self._lock_patron(conn, card)
            if p is None:
                return LoanResult(False, reasons.PATRON_NOT_FOUND)
            copy = self._copy(conn, barcode)
            if copy is None:
                return LoanResult(False, reasons.NOT_FOUND)
            current = self._open_loan(conn, copy.id)
            if current is None or current.patron_id != p.id:
                return LoanResult(False, reasons.NOT_ON_LOAN, item=self._item(conn, copy))
            loan = self._loan(conn, current)
            if p.status == "blocked":
                return LoanResult(False, reasons.BLOCKED, loan, self._item(conn, copy))
            if p.status == "expired" or (p.expires_on and p.expires_on < local_day(at)):
                return LoanResult(False, reasons.EXPIRED, loan, self._item(conn, copy))
            if hold_capture.waiting_count(conn, copy, local_day(at), exclude_patron=p.id):
                return LoanResult(False, reasons.HOLD_WAITING, loan, self._item(conn, copy))
            rule = rules.resolve(conn, current.library, current.patron_category, current.item_type)
            if current.renewals >= rule.renewals:
                return LoanResult(False, reasons.RENEWAL_LIMIT, loan, self._item(conn, copy))
            due = self.due_date(conn, current.library, local_day(at) + timedelta(days=max(rule.loan_days, 1)))
            due = max(due, current.due_date)
            conn.execute(update(loans).where(loans.c.id == current.id).values(
                due_date=due, renewals=current.renewals + 1))
            set_status(conn, copy.id, "on_loan", due.isoformat())
            loan = replace(loan, due_date=due, renewals=current.renewals + 1,
                           renewals_left=max(rule.renewals - current.renewals - 1, 0))
            return LoanResult(True, reasons.OK, loan, self._item(conn, copy, item_type=current.item_type,
                                                                 status="on_loan", due=due))

    # --- explanations ----------------------------------------------------------------------------

    def explain(self, card: str, barcode: str, library: str | None = None, at: datetime | None = None) -> dict:
        """Which rule applies when this patron borrows this copy (at `library`, else the copy's home), and
        the due date it would give; {"error": reason} when either is unknown."""
        with self.engine.connect() as conn:
            patron = self._find_patron(conn, card)
            if patron is None:
                return {"error": reasons.PATRON_NOT_FOUND}
            copy = self._copy(conn, barcode)
            if copy is None:
                return {"error": reasons.NOT_FOUND}
            lending = self.library_id(library) if library else self.home_library(copy)
            out = rules.explain(conn, library=lending, category=patron.category,
                                item_type=self._item_type(conn, copy))
            days = out["rule"]["loan_days"]
            day = local_day(moment(at))
            out.update(card=patron.card, barcode=copy.item_id,
                       due_date=self.due_date(conn, lending, day + timedelta(days=days)).isoformat() if days > 0
                       else None)
            return out

    # --- lost and found, claims ------------------------------------------------------------------

    def _claim(self, conn, r) -> Claim:
        card = conn.execute(select(patrons.c.card).where(patrons.c.id == r.patron_id)).scalar() \
            if r.patron_id is not None else None
        return Claim(r.id, r.barcode, r.library, r.amount, r.status, moment(r.created_at), card,
                     moment(r.closed_at) if r.closed_at else None)

    def _found(self, conn, copy_id: int, at: datetime) -> bool:
        """Close the copy's open claims as found; True (the copy was lost and is here again)."""
        conn.execute(update(claims).where(claims.c.copy_id == copy_id, claims.c.status == "open")
                     .values(status="found", closed_at=at))
        return True

    def may_handle_copy(self, who, copy, open_loan=None) -> bool:
        """Staff act on their own library's copies, or on a copy their library lent (a county admin: all)."""
        if who is None:
            return False
        if who.role == roles.COUNTY_ADMIN:
            return True
        mine = self.library_id(who.library)
        return mine in (self.home_library(copy), open_loan.library if open_loan is not None else None)

    def mark_lost(self, barcode: str, who, at: datetime | None = None, client: str | None = None) -> LostResult:
        """A staff member marks a copy lost: its open loan is closed (the patron's limit frees up), and a
        replacement claim names who had it, with the amount of the lending rule when that rule has fees on.
        Marking a lost copy again returns its open claim (`already_lost`, ok)."""
        at = moment(at)
        with self._transaction() as conn:
            copy = self._copy(conn, barcode)
            if copy is None:
                return LostResult(False, reasons.NOT_FOUND)
            current = self._open_loan(conn, copy.id)
            if not self.may_handle_copy(who, copy, current):
                return LostResult(False, reasons.NOT_ALLOWED)
            result = self._mark_lost(conn, copy, current, self.library_id(who.library), at)
            audit.record(conn, COPY_LOST, library=who.library, principal=who.username, client=client,
                         target=copy.item_id, detail=f"claim {result.claim.id}" if result.claim else None)
            return result

    def _mark_lost(self, conn, copy, current, library: str, at: datetime) -> LostResult:
        if copy.status == "lost":
            r = conn.execute(select(claims).where(claims.c.copy_id == copy.id, claims.c.status == "open")
                             .order_by(claims.c.id.desc())).first()
            return LostResult(True, reasons.ALREADY_LOST, self._item(conn, copy),
                              self._claim(conn, r) if r is not None else None)
        amount, patron_id, loan_id = 0, None, None
        if current is not None:
            rule = rules.resolve(conn, current.library, current.patron_category, current.item_type)
            amount = rule.replacement_fee if rule.fees else 0
            patron_id, loan_id, library = current.patron_id, current.id, current.library
            self._close(conn, current, library, at)
        claim_id = conn.execute(insert(claims).values(
            copy_id=copy.id, barcode=copy.item_id, loan_id=loan_id, patron_id=patron_id, library=library,
            amount=amount, status="open", created_at=at)).inserted_primary_key[0]
        set_status(conn, copy.id, "lost")
        claim = self._claim(conn, conn.execute(select(claims).where(claims.c.id == claim_id)).first())
        return LostResult(True, reasons.OK, self._item(conn, copy, status="lost"), claim)

    def mark_overdue_lost(self, at: datetime | None = None, days: int | None = None) -> list[LostResult]:
        """Mark lost every copy whose loan is overdue by more than `days` (default `[circulation]
        lost_after_days`; 0: none), each in its own transaction so one bad row stops nothing else."""
        at = moment(at)
        days = self.settings.circulation.lost_after_days if days is None else days
        if days <= 0:
            return []
        cutoff = local_day(at) - timedelta(days=days)
        with self.engine.connect() as conn:
            ids = conn.execute(select(loans.c.copy_id).where(loans.c.returned_at.is_(None),
                                                             loans.c.due_date < cutoff)).scalars().all()
        out = []
        for copy_id in ids:
            with self._transaction() as conn:
                copy = conn.execute(select(copies).where(copies.c.id == copy_id)).first()
                current = self._open_loan(conn, copy_id)
                if copy is None or current is None or current.due_date >= cutoff:
                    continue
                out.append(self._mark_lost(conn, copy, current, current.library, at))
        return out

    def claims(self, *, library: str | None = None, card: str | None = None, status: str | None = "open") \
            -> list[Claim]:
        """Claims of a library (the lending one) or of a patron, newest first; `status` None: all."""
        query = select(claims).order_by(claims.c.id.desc())
        if library is not None:
            query = query.where(claims.c.library == self.library_id(library))
        if status is not None:
            query = query.where(claims.c.status == status)
        with self.engine.connect() as conn:
            if card is not None:
                query = query.where(claims.c.patron_id == select(patrons.c.id).where(
                    patrons.c.card == card.strip()).scalar_subquery())
            return [self._claim(conn, r) for r in conn.execute(query)]

    def settle_claim(self, claim_id: int, who, at: datetime | None = None, client: str | None = None) -> bool:
        """Staff close an open claim of their library (paid, replaced or written off); audited."""
        at = moment(at)
        with self._transaction() as conn:
            r = conn.execute(select(claims).where(claims.c.id == claim_id, claims.c.status == "open")).first()
            if r is None or who is None or (who.role != roles.COUNTY_ADMIN
                                            and self.library_id(who.library) != r.library):
                return False
            conn.execute(update(claims).where(claims.c.id == r.id).values(status="settled", closed_at=at))
            audit.record(conn, CLAIM_SETTLED, library=who.library, principal=who.username, client=client,
                         target=r.barcode, detail=f"claim {r.id}")
            return True

    # --- staff edits of a patron -----------------------------------------------------------------

    def edit_patron(self, card: str, who, changes: dict, client: str | None = None) -> PatronEditResult:
        """Staff change a patron's name, contact, language, category or block (`status` "blocked" with a
        `block_reason`, or "active"): only their own library's patrons; every change is audited with the
        names of the fields changed (not their values: the audit trail holds no personal data)."""
        unknown = sorted(set(changes) - set(EDITABLE))
        if unknown:
            return PatronEditResult(False, reasons.INVALID, problems=tuple(f"{k} cannot be changed here"
                                                                         for k in unknown))
        with self._transaction() as conn:
            patron = self._find_patron(conn, card)
            if patron is None:
                return PatronEditResult(False, reasons.PATRON_NOT_FOUND)
            if not self.may_serve(who, patron):
                audit.record(conn, PATRON_VIEW_REFUSED, library=who.library if who else None,
                             principal=who.username if who else None, client=client, target=patron.card)
                return PatronEditResult(False, reasons.NOT_ALLOWED)
            values = {k: (v.strip() if isinstance(v, str) else v) for k, v in changes.items()}
            if values.get("status") == "blocked" and not values.get("block_reason", patron.block_reason):
                return PatronEditResult(False, reasons.INVALID, patron, ("a block needs a reason",))
            if values.get("status") == "active":
                values["block_reason"] = ""
            merged = patron_store.PatronInput(
                card=patron.card, name=values.get("name", patron.name), library=patron.library,
                category=values.get("category", patron.category), email=values.get("email", patron.email),
                phone=values.get("phone", patron.phone), language=values.get("language", patron.language),
                birth_year=patron.birth_year, guardian=patron.guardian_card or "",
                status=values.get("status", patron.status),
                block_reason=values.get("block_reason", patron.block_reason), keep_history=patron.keep_history,
                expires_on=patron.expires_on)
            problems = patron_store.check(merged, self.circulating_libraries, new=False)
            if problems:
                return PatronEditResult(False, reasons.INVALID, patron, tuple(problems))
            changed = tuple(k for k in EDITABLE if getattr(merged, k) != getattr(patron, k))
            if changed:
                patron_store.upsert(conn, merged)
                audit.record(conn, PATRON_EDITED, library=who.library, principal=who.username, client=client,
                             target=patron.card, detail=",".join(changed))
            return PatronEditResult(True, reasons.OK, self._find_patron(conn, card), changed=changed)
