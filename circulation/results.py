"""What the circulation service answers: small frozen values, the same for the desk screens, My page, the
patron API and the SIP2 server. Every transaction result carries `ok` and a stable `reason`
(`circulation.reasons`), and the data the caller shows or sends on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Patron:
    id: int
    card: str
    name: str
    email: str
    phone: str
    language: str
    library: str
    category: str
    birth_year: int | None
    guardian_card: str | None
    status: str                 # active | blocked | expired
    block_reason: str
    keep_history: bool
    expires_on: date | None

    @property
    def active(self) -> bool:
        return self.status == "active"


@dataclass(frozen=True)
class PatronResult:
    ok: bool
    reason: str
    patron: Patron | None = None


@dataclass(frozen=True)
class ItemInfo:
    barcode: str
    copy_id: int
    source: str
    identifier: str
    record_id: str              # the public id (/record/<id>); "" when the record is not converted yet
    title: str
    status: str                 # a vocab.statuses code
    due_date: date | None
    home_library: str
    item_type: str
    location: str
    call_number: str
    holds_waiting: int = 0


@dataclass(frozen=True)
class Loan:
    id: int
    barcode: str
    copy_id: int
    source: str
    identifier: str
    record_id: str
    title: str
    library: str
    out_at: datetime
    due_date: date
    renewals: int
    renewals_left: int
    returned_at: datetime | None = None

    def overdue(self, today: date) -> bool:
        return self.returned_at is None and self.due_date < today


@dataclass(frozen=True)
class LoanResult:
    ok: bool
    reason: str
    loan: Loan | None = None
    item: ItemInfo | None = None
    #: True when the same patron scanned a copy already lent to them: the same loan, nothing written.
    repeat: bool = False


@dataclass(frozen=True)
class ReturnResult:
    ok: bool
    reason: str
    item: ItemInfo | None = None
    loan: Loan | None = None
    #: Where the copy goes now: "shelf" (at its home library) or "transit" (to `to_library`).
    destination: str = ""
    to_library: str = ""
    #: True when the copy floats (its source's `floating`): it stays here, now its holding library.
    floated: bool = False
    #: The hold the copy now serves (`circulation.hold_capture`): on the hold shelf here under
    #: `pickup_number` (destination "shelf"), or in transit to its pickup library (destination "transit").
    hold_id: int | None = None
    pickup_number: str = ""
    #: The hold is for a book-bus or book-boat stop: the copy goes in that route's box here, not on the shelf.
    pickup_point: str = ""


@dataclass(frozen=True)
class PatronStatus:
    ok: bool
    reason: str
    patron: Patron | None = None
    loans: int = 0
    overdue: int = 0
    holds: int = 0
    loan_limit: int = 0
    hold_limit: int = 0
    charged: tuple[str, ...] = field(default=())          # barcodes on loan
    overdue_items: tuple[str, ...] = field(default=())

    @property
    def can_borrow(self) -> bool:
        return self.ok and self.patron is not None and self.patron.active and self.loans < self.loan_limit


@dataclass(frozen=True)
class Claim:
    """A replacement claim for a lost copy; `amount` in whole kroner (0: fees off or no amount set)."""
    id: int
    barcode: str
    library: str
    amount: int
    status: str                 # open | found | settled
    created_at: datetime
    patron_card: str | None = None
    closed_at: datetime | None = None


@dataclass(frozen=True)
class LostResult:
    ok: bool
    reason: str
    item: ItemInfo | None = None
    claim: Claim | None = None


@dataclass(frozen=True)
class PatronEditResult:
    ok: bool
    reason: str
    patron: Patron | None = None
    problems: tuple = ()
    changed: tuple = ()
