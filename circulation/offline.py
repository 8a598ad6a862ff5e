"""Transactions done without the server: a desk on a book bus, a boat or a small branch that lost the
connection, and SIP2 kiosks' no-block checkouts and checkins. They arrive later, each with its original
time and an id the client made, and go through `Circulation.checkout`/`checkin` with `no_block=True`.

The conflict rule (the README states it for staff, and /staff/desk/conflicts shows the outcome):
- Transactions are applied in the order of their original times, whatever order they arrive in, so the
  earliest original time wins.
- A checkout of a copy that another offline checkout already lent to someone else at a *later* original
  time takes the copy back from that later loan (its row becomes the conflict); against a loan made online,
  which was checked against the live state, the offline checkout is the conflict.
- A checkout of a copy lent to someone else at an earlier time (and not returned by then), a checkin of a
  copy not on loan, a checkin older than the copy's current loan, an unknown card or barcode: recorded as a
  conflict with its reason, never applied and never dropped. Staff apply it anyway or dismiss it.
- The same client id sent again is answered from its first outcome: a resend changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from circulation import reasons
from circulation.offline_tables import KINDS, offline_transactions as offline
from circulation.service import Circulation
from circulation.tables import loans, patrons

APPLIED, CONFLICT, RESOLVED, DISMISSED = "applied", "conflict", "resolved", "dismissed"
#: How many transactions one sync may carry (a day on a book bus is a few hundred).
BATCH_LIMIT = 1000
#: A reason of our own: the copy's current loan began after this checkin's original time.
LOAN_AFTER_RETURN = "loan_after_return"


def _utc(at: datetime) -> datetime:
    """UTC, naive values read as UTC: SQLite keeps wall time and drops the zone, so only UTC compares."""
    return (at if at.tzinfo else at.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


@dataclass(frozen=True)
class Transaction:
    client_id: str
    kind: str               # checkout | checkin
    barcode: str
    at: datetime
    card: str = ""


@dataclass(frozen=True)
class Outcome:
    client_id: str
    kind: str
    barcode: str
    outcome: str            # applied | conflict | resolved | dismissed
    reason: str = ""
    loan_id: int | None = None
    #: True when this client id had been received before: the first outcome, nothing done again.
    duplicate: bool = False
    result: object = None   # the service's LoanResult/ReturnResult when applied now

    def as_dict(self) -> dict:
        return {"id": self.client_id, "kind": self.kind, "barcode": self.barcode, "outcome": self.outcome,
                "reason": self.reason, "loan_id": self.loan_id, "duplicate": self.duplicate}


def parse(item: dict) -> Transaction | str:
    """One transaction of a sync body, or the reason it is unusable (the caller reports it, never drops it)."""
    if not isinstance(item, dict):
        return "malformed"
    client_id, kind = str(item.get("id") or "").strip(), str(item.get("kind") or "")
    barcode, card = str(item.get("barcode") or "").strip(), str(item.get("card") or "").strip()
    if not client_id or len(client_id) > 128 or kind not in KINDS or not barcode or len(barcode) > 128 \
            or (kind == "checkout" and not card) or len(card) > 32:
        return "malformed"
    try:
        at = _utc(datetime.fromisoformat(str(item.get("at") or "").replace("Z", "+00:00")))
    except ValueError:
        return "malformed"
    if at > datetime.now(timezone.utc):
        return "future"
    return Transaction(client_id, kind, barcode, at, card)


class Offline:
    """Offline transactions over one `Circulation`."""

    def __init__(self, circulation: Circulation):
        self.circ = circulation
        self.engine: Engine = circulation.engine

    def apply(self, transactions: list[Transaction], library: str, desk: str = "", channel: str = "desk") \
            -> list[Outcome]:
        """Apply a batch in original-time order; the outcomes come back in the order given."""
        library = self.circ.library_id(library)
        done = {t.client_id: self.apply_one(t, library, desk, channel)
                for t in sorted(transactions, key=lambda t: (t.at, t.client_id))}
        return [done[t.client_id] for t in transactions]

    def apply_one(self, t: Transaction, library: str, desk: str = "", channel: str = "desk") -> Outcome:
        library = self.circ.library_id(library)
        earlier = self._stored(t.client_id)
        if earlier is not None:
            return earlier
        if t.kind == "checkout":
            reason, undo = self._checkout_conflict(t)
        else:
            reason, undo = self._checkin_conflict(t), None
        result, loan_id = None, None
        if reason is None:
            if undo is not None:
                self._undo(undo, t)
            result = self._run(t, library, desk, channel)
            if not result.ok:
                reason = result.reason
            loan_id = getattr(getattr(result, "loan", None), "id", None)
            if result.ok and t.kind == "checkin" and result.reason == reasons.NOT_ON_LOAN:
                reason = reasons.NOT_ON_LOAN
        outcome = APPLIED if reason is None else CONFLICT
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(offline).values(
                    client_id=t.client_id, library=library, desk=desk[:64], channel=channel, kind=t.kind,
                    card=t.card if outcome == CONFLICT else "", barcode=t.barcode, at=t.at,
                    received_at=datetime.now(timezone.utc), outcome=outcome, reason=reason or "", loan_id=loan_id))
        except IntegrityError:                       # the same id from a concurrent resend: its outcome
            return self._stored(t.client_id)
        return Outcome(t.client_id, t.kind, t.barcode, outcome, reason or "", loan_id, result=result)

    def _run(self, t: Transaction, library: str, desk: str, channel: str):
        if t.kind == "checkout":
            return self.circ.checkout(t.card, t.barcode, library, at=t.at, desk=desk, no_block=True,
                                      channel=channel)
        return self.circ.checkin(t.barcode, library, at=t.at, no_block=True)

    def _stored(self, client_id: str) -> Outcome | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(offline).where(offline.c.client_id == client_id)).first()
        return None if r is None else Outcome(r.client_id, r.kind, r.barcode, r.outcome, r.reason, r.loan_id,
                                              duplicate=True)

    def _copy_loans(self, conn, barcode: str):
        copy = self.circ._copy(conn, barcode)
        if copy is None:
            return None, None
        current = conn.execute(select(loans).where(loans.c.copy_id == copy.id,
                                                   loans.c.returned_at.is_(None))).first()
        return copy, current

    def _checkout_conflict(self, t: Transaction):
        """(reason, None) when the checkout conflicts; (None, loan row) when a later offline loan must go
        first; (None, None) when it may be applied."""
        with self.engine.connect() as conn:
            copy, current = self._copy_loans(conn, t.barcode)
            if copy is None:
                return reasons.NOT_FOUND, None
            if conn.execute(select(patrons.c.id).where(patrons.c.card == t.card)).scalar() is None:
                return reasons.PATRON_NOT_FOUND, None
            if current is None:
                return None, None
            same = conn.execute(select(patrons.c.card).where(patrons.c.id == current.patron_id)).scalar() == t.card
            if same:
                return None, None
            if _utc(current.out_at) > t.at and current.renewals == 0 and conn.execute(
                    select(offline.c.id).where(offline.c.loan_id == current.id, offline.c.outcome == APPLIED,
                                               offline.c.kind == "checkout")).first() is not None:
                return None, current                 # a later offline loan: the earlier one wins
            return reasons.ALREADY_ON_LOAN, None

    def _checkin_conflict(self, t: Transaction) -> str | None:
        with self.engine.connect() as conn:
            copy, current = self._copy_loans(conn, t.barcode)
            if copy is None:
                return reasons.NOT_FOUND
            if current is None:
                return reasons.NOT_ON_LOAN
            if _utc(current.out_at) > t.at:
                return LOAN_AFTER_RETURN
            return None

    def _undo(self, loan_row, winner: Transaction) -> None:
        """Take back a later offline loan so the earlier one can stand; its transaction becomes a conflict."""
        with self.engine.begin() as conn:
            card = conn.execute(select(patrons.c.card).where(patrons.c.id == loan_row.patron_id)).scalar() or ""
            conn.execute(update(offline).where(offline.c.loan_id == loan_row.id, offline.c.outcome == APPLIED)
                         .values(outcome=CONFLICT, reason=reasons.ALREADY_ON_LOAN, loan_id=None, card=card))
            conn.execute(delete(loans).where(loans.c.id == loan_row.id, loans.c.returned_at.is_(None)))

    # --- staff ---------------------------------------------------------------------------------------

    def conflicts(self, library: str, include_settled: bool = False) -> list[dict]:
        """The library's offline transactions that were not applied, oldest original time first."""
        library = self.circ.library_id(library)
        outcomes = (CONFLICT, RESOLVED, DISMISSED) if include_settled else (CONFLICT,)
        with self.engine.connect() as conn:
            rows = conn.execute(select(offline).where(offline.c.library == library,
                                                      offline.c.outcome.in_(outcomes))
                                .order_by(offline.c.at, offline.c.id)).all()
        return [{"id": r.id, "client_id": r.client_id, "kind": r.kind, "card": r.card, "barcode": r.barcode,
                 "at": _utc(r.at).isoformat(), "received_at": _utc(r.received_at).isoformat(), "desk": r.desk,
                 "channel": r.channel, "outcome": r.outcome, "reason": r.reason, "resolved_by": r.resolved_by}
                for r in rows]

    def resolve(self, row_id: int, library: str, action: str, who: str) -> Outcome | None:
        """`apply` (done as the desk did it, at its original time, over whatever loan is there) or `dismiss`;
        None when the row is not an open conflict of this library."""
        library = self.circ.library_id(library)
        with self.engine.connect() as conn:
            r = conn.execute(select(offline).where(offline.c.id == row_id, offline.c.library == library,
                                                   offline.c.outcome == CONFLICT)).first()
        if r is None or action not in ("apply", "dismiss"):
            return None
        t = Transaction(r.client_id, r.kind, r.barcode, _utc(r.at), r.card)
        outcome, reason, loan_id, result = DISMISSED, r.reason, None, None
        if action == "apply":
            result = self._run(t, library, r.desk, r.channel)
            if not result.ok:
                return Outcome(t.client_id, t.kind, t.barcode, CONFLICT, result.reason, result=result)
            outcome, loan_id = RESOLVED, getattr(getattr(result, "loan", None), "id", None)
        with self.engine.begin() as conn:
            conn.execute(update(offline).where(offline.c.id == row_id).values(
                outcome=outcome, loan_id=loan_id, card="", resolved_by=who[:64],
                resolved_at=datetime.now(timezone.utc)))
        return Outcome(t.client_id, t.kind, t.barcode, outcome, reason, loan_id, result=result)
