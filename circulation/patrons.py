"""Patrons as data: checking and writing one patron (the CSV import, the desk's edit screen and tests all
come through `check` and `upsert`), blocking, and the export of one's own data.

Why a check that returns problems instead of raising: an import reports every refused row with all its
reasons and goes on with the next (bad input never crashes a batch, and is never silently dropped).
Card numbers: the national patron register's "N" + 9 digits, or a local number (letters and digits, 4–32).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from sqlalchemy import insert, select, update

from accounts import passwords
from circulation.notice_tables import notices
from circulation.tables import CATEGORIES, holds, loans, patrons

LANGUAGES = ("nb", "nn", "se", "en")
NATIONAL_CARD = re.compile(r"N\d{9}")
LOCAL_CARD = re.compile(r"[A-Za-z0-9-]{4,32}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
#: An 11-digit number in a name or contact field smells of a fødselsnummer: never stored in clear.
IDENTITY_NUMBER = re.compile(r"\b\d{6}\s?\d{5}\b")
PIN_MIN = 4


@dataclass
class PatronInput:
    card: str
    name: str
    library: str
    category: str
    pin: str = ""
    email: str = ""
    phone: str = ""
    language: str = "nb"
    birth_year: int | None = None
    guardian: str = ""                   # the guardian's card
    status: str = "active"
    block_reason: str = ""
    keep_history: bool = False
    expires_on: date | None = None
    problems: list = field(default_factory=list)


def card_ok(card: str) -> bool:
    """N + 9 digits, or a local number; "N" and digits of another length is a mistyped national card."""
    if NATIONAL_CARD.fullmatch(card):
        return True
    if card[:1] in ("N", "n") and card[1:].isdigit():
        return False
    return bool(LOCAL_CARD.fullmatch(card))


def check(p: PatronInput, libraries: frozenset | set, *, new: bool) -> list[str]:
    """Every reason this patron cannot be written (empty: fine)."""
    problems = []
    if not card_ok(p.card):
        problems.append(f"card {p.card!r} is neither N + 9 digits nor a local number (4-32 letters and digits)")
    if new and len(p.pin) < PIN_MIN:
        problems.append(f"a new patron needs a PIN of at least {PIN_MIN} characters")
    if p.pin and len(p.pin) < PIN_MIN:
        problems.append(f"PIN shorter than {PIN_MIN} characters")
    if not p.name.strip():
        problems.append("name is empty")
    if p.email and not EMAIL.fullmatch(p.email):
        problems.append(f"email {p.email!r} is not an e-mail address")
    if p.library not in libraries:
        problems.append(f"library {p.library!r} does not lend through Grenseløs (circulation = true)")
    if p.category not in CATEGORIES:
        problems.append(f"category {p.category!r} is not one of {', '.join(CATEGORIES)}")
    if p.language not in LANGUAGES:
        problems.append(f"language {p.language!r} is not one of {', '.join(LANGUAGES)}")
    if p.birth_year is not None and not 1900 <= p.birth_year <= date.today().year:
        problems.append(f"birth year {p.birth_year} is not a year")
    if p.status not in ("active", "blocked", "expired"):
        problems.append(f"status {p.status!r} is not active, blocked or expired")
    for name, value in (("name", p.name), ("email", p.email), ("phone", p.phone)):
        if IDENTITY_NUMBER.search(value or ""):
            problems.append(f"{name} holds what looks like a national identity number; it is never stored")
    return problems


def upsert(conn, p: PatronInput, *, hash_pin=passwords.hash_password, pin_hash: str | None = None) -> str:
    """Write a checked patron; "added" or "updated" (idempotent by card: the same row twice changes
    nothing but `updated_at`). The PIN is kept unless the input gives one. `pin_hash`: the PIN already
    hashed (an import hashes a batch on every core first); otherwise `hash_pin` hashes it here."""
    now = datetime.now(timezone.utc)
    guardian_id = None
    if p.guardian:
        guardian_id = conn.execute(select(patrons.c.id).where(patrons.c.card == p.guardian)).scalar()
    values = {"name": p.name.strip(), "email": p.email, "phone": p.phone, "language": p.language,
              "library": p.library, "category": p.category, "birth_year": p.birth_year, "guardian_id": guardian_id,
              "status": p.status, "block_reason": p.block_reason if p.status == "blocked" else "",
              "keep_history": p.keep_history, "expires_on": p.expires_on, "updated_at": now}
    existing = conn.execute(select(patrons.c.id, patrons.c.pin_hash).where(patrons.c.card == p.card)).first()
    if existing is None:
        conn.execute(insert(patrons).values(card=p.card, pin_hash=pin_hash or hash_pin(p.pin), created_at=now,
                                            **values))
        return "added"
    if p.pin and not passwords.verify(existing.pin_hash, p.pin):
        values["pin_hash"] = hash_pin(p.pin)
    conn.execute(update(patrons).where(patrons.c.id == existing.id).values(**values))
    return "updated"


def set_block(conn, card: str, reason: str | None) -> bool:
    """Block with a reason, or unblock (reason None); True when the card exists."""
    values = {"status": "blocked", "block_reason": reason} if reason else {"status": "active", "block_reason": ""}
    return bool(conn.execute(update(patrons).where(patrons.c.card == card).values(
        updated_at=datetime.now(timezone.utc), **values)).rowcount)


def update_settings(conn, card: str, *, email: str | None = None, phone: str | None = None,
                    language: str | None = None, keep_history: bool | None = None) -> list[str]:
    """What a patron may change on My page; returns problems (nothing written when any). Turning history
    off anonymises the returned loans kept so far."""
    problems = []
    if email is not None and email and not EMAIL.fullmatch(email):
        problems.append("email")
    if language is not None and language not in LANGUAGES:
        problems.append("language")
    if problems:
        return problems
    values = {k: v for k, v in (("email", email), ("phone", phone), ("language", language),
                                ("keep_history", keep_history)) if v is not None}
    pid = conn.execute(select(patrons.c.id).where(patrons.c.card == card)).scalar()
    if pid is None:
        return ["card"]
    conn.execute(update(patrons).where(patrons.c.id == pid).values(updated_at=datetime.now(timezone.utc), **values))
    if keep_history is False:
        conn.execute(update(loans).where(loans.c.patron_id == pid, loans.c.returned_at.is_not(None))
                     .values(patron_id=None))
    return []


def export(conn, card: str) -> dict | None:
    """Everything stored about a patron, as they may ask for it (GDPR art. 15/20); never the PIN hash."""
    r = conn.execute(select(patrons).where(patrons.c.card == card)).first()
    if r is None:
        return None
    guardian = conn.execute(select(patrons.c.card).where(patrons.c.id == r.guardian_id)).scalar() \
        if r.guardian_id else None
    person = {k: r._mapping[k] for k in ("card", "name", "email", "phone", "language", "library", "category",
                                          "birth_year", "status", "block_reason", "keep_history")}
    person.update(guardian=guardian, expires_on=r.expires_on.isoformat() if r.expires_on else None,
                  created_at=r.created_at.isoformat(), updated_at=r.updated_at.isoformat())
    rows = conn.execute(select(loans).where(loans.c.patron_id == r.id).order_by(loans.c.out_at)).all()
    person["loans"] = [{"barcode": l.barcode, "source": l.source, "identifier": l.identifier,
                        "library": l.library, "out_at": l.out_at.isoformat(), "due_date": l.due_date.isoformat(),
                        "renewals": l.renewals,
                        "returned_at": l.returned_at.isoformat() if l.returned_at else None} for l in rows]
    person["holds"] = [{"source": h.source, "identifier": h.identifier, "pickup_library": h.pickup_library,
                        "status": h.status, "placed_at": h.placed_at.isoformat()}
                       for h in conn.execute(select(holds).where(holds.c.patron_id == r.id))]
    return person


def close_account(conn, card: str) -> str:
    """Delete a patron at their own request: "" when done, "loans" while copies are still lent to them
    (they must come back first), "card" when unknown. Their returned loans stay, without them, for the
    statistics; their holds go."""
    pid = conn.execute(select(patrons.c.id).where(patrons.c.card == card)).scalar()
    if pid is None:
        return "card"
    if conn.execute(select(loans.c.id).where(loans.c.patron_id == pid, loans.c.returned_at.is_(None))).first():
        return "loans"
    conn.execute(update(loans).where(loans.c.patron_id == pid).values(patron_id=None))
    conn.execute(holds.delete().where(holds.c.patron_id == pid))
    conn.execute(update(patrons).where(patrons.c.guardian_id == pid).values(guardian_id=None))
    conn.execute(patrons.delete().where(patrons.c.id == pid))
    return ""


ANONYMISED = "(anonymised)"


def retention(conn, today: date, anonymise_after_days: int, delete_after_days: int, *,
              dry_run: bool = False) -> dict:
    """The retention timers for expired patrons: locked (status `expired`) → anonymised → deleted. A patron
    with a copy still on loan is left alone (the loan must come back first). Returns the cards acted on."""
    done = {"expired": [], "anonymised": [], "deleted": [], "kept_for_loans": []}
    rows = conn.execute(select(patrons.c.id, patrons.c.card, patrons.c.status, patrons.c.expires_on,
                               patrons.c.name).where(patrons.c.expires_on.is_not(None),
                                                     patrons.c.expires_on < today)).all()
    for r in rows:
        open_loan = conn.execute(select(loans.c.id).where(loans.c.patron_id == r.id,
                                                          loans.c.returned_at.is_(None))).first()
        age = (today - r.expires_on).days
        if r.status != "expired":
            done["expired"].append(r.card)
            if not dry_run:
                conn.execute(update(patrons).where(patrons.c.id == r.id).values(status="expired"))
        if age < anonymise_after_days:
            continue
        if open_loan is not None:
            done["kept_for_loans"].append(r.card)
            continue
        if age >= delete_after_days:
            done["deleted"].append(r.card)
            if not dry_run:
                close_account(conn, r.card)
        elif r.name != ANONYMISED:
            done["anonymised"].append(r.card)
            if not dry_run:
                conn.execute(update(patrons).where(patrons.c.id == r.id).values(
                    name=ANONYMISED, email="", phone="", birth_year=None, guardian_id=None, keep_history=False))
                conn.execute(update(loans).where(loans.c.patron_id == r.id).values(patron_id=None))
                # The notices sent to the patron carry the e-mail address or phone number they went to.
                conn.execute(update(notices).where(notices.c.patron_id == r.id).values(address=""))
    return done
