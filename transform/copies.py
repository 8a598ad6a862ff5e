"""Copies (items) as data: one row per copy, the truth the index, the portal, the linked data and the
circulation core read and write.

Why a table: a copy's status changes many times a day once a library lends through Grenseløs, and the
harvested MARC (852/876, 952) is not a place anyone can write to. The transform stage keeps this table in
step with what each source reports (`sync`, in the same transaction as the record's own state); the
circulation core writes statuses with `set_status`; the index rebuilds just the documents whose copies
changed (`changed_since`), so a status write reaches search in seconds instead of waiting for a full
re-read.

Identity: a copy is the same copy across harvests when its item id (barcode, or the library system's item
number) is the same; copies without one are matched by their place in the record. Only rows whose facts
really changed get a new `updated_at`, so an unchanged re-harvest re-indexes nothing.

Statuses come from `vocab.statuses`; the owning library from `vocab.libraries` (`library` is NULL when
the code is unknown: `library_code` keeps what the source sent). A status written by circulation
(`status_source = 'circulation'`) is not overwritten by what a later harvest says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable

from sqlalchemy import (Column, DateTime, Index, Integer, String, Table, Text, UniqueConstraint, delete, insert,
                        select, update)

from transform.tables import metadata
from vocab import statuses

CHUNK = 500

copies = Table(
    "copies", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),             # the source that reported the copy
    Column("identifier", String(512), nullable=False),        # its bibliographic record in that source
    Column("n", Integer, nullable=False),                      # place among the record's copies, from 1
    Column("item_id", String(128), nullable=False, default=""),   # barcode or item number, "" when none
    Column("library", String(128)),                            # vocab.libraries id; NULL: unknown code
    Column("library_code", String(128), nullable=False, default=""),   # the owning code as sent
    Column("location", String(512), nullable=False, default=""),
    Column("call_number", String(256), nullable=False, default=""),
    Column("status", String(32), nullable=False, default=statuses.UNKNOWN),
    Column("due_date", String(10), nullable=False, default=""),
    Column("note", Text, nullable=False, default=""),
    Column("item_type", String(32), nullable=False, default="", server_default=""),      # vocab.item_types
    Column("item_type_code", String(64), nullable=False, default="", server_default=""), # as sent (952 $y)
    Column("status_source", String(16), nullable=False, default="harvest"),   # harvest | circulation
    #: On deposit (a crate lent to another library, `circulation.deposits`): until when, and the service
    #: point it stands at ("" when at the library itself); `library` is then the deposit's library.
    Column("deposit_until", String(10), nullable=False, default="", server_default=""),
    Column("deposit_place", String(256), nullable=False, default="", server_default=""),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("source", "identifier", "n", name="uq_copies_record_place"),
    Index("ix_copies_item", "source", "item_id"),
    Index("ix_copies_updated", "updated_at"),
    Index("ix_copies_library", "library"),
)

#: The facts a harvest decides (everything but the identity and the circulation-owned status).
_FACTS = ("item_id", "library", "library_code", "location", "call_number", "note", "item_type", "item_type_code")


@dataclass(frozen=True)
class CopyRow:
    id: int
    source: str
    identifier: str
    n: int
    item_id: str
    library: str | None
    library_code: str
    location: str
    call_number: str
    status: str
    due_date: str
    note: str
    status_source: str
    item_type: str = ""
    item_type_code: str = ""
    deposit_until: str = ""
    deposit_place: str = ""


def _row(r) -> CopyRow:
    return CopyRow(r.id, r.source, r.identifier, r.n, r.item_id, r.library, r.library_code, r.location,
                   r.call_number, r.status, r.due_date, r.note, r.status_source, r.item_type, r.item_type_code,
                   r.deposit_until, r.deposit_place)


def sync(conn, source: str, identifiers: Iterable[str], reported: dict[str, list], directory,
         stamp: datetime | None = None) -> int:
    """Make the copies of `identifiers` what the source reports now; returns rows inserted, changed or gone.

    `reported` maps an identifier to its `transform.holdings.ItemFacts` (an identifier of the batch
    missing from it — a deleted or unconvertible record — loses its copies).
    """
    stamp = stamp or datetime.now(timezone.utc)
    identifiers = list(identifiers)
    existing: dict[str, list[CopyRow]] = {}
    for start in range(0, len(identifiers), CHUNK):
        for r in conn.execute(select(copies).where(copies.c.source == source,
                                                   copies.c.identifier.in_(identifiers[start:start + CHUNK]))):
            existing.setdefault(r.identifier, []).append(_row(r))
    inserts, updates, gone = [], [], []
    for identifier in identifiers:
        old = sorted(existing.get(identifier, []), key=lambda c: c.n)
        new = reported.get(identifier, [])
        by_item = {c.item_id: c for c in old if c.item_id}
        by_place = {c.n: c for c in old}
        used: set[int] = set()
        wanted = []
        for n, facts in enumerate(new, 1):
            found = directory.resolve(facts.library, source)
            values = {"item_id": facts.item_id, "library": found.library.id if found.library else None,
                      "library_code": facts.library, "location": facts.location,
                      "call_number": facts.call_number, "note": facts.note,
                      "status": statuses.get(facts.status).code, "due_date": facts.due_date,
                      "item_type": facts.item_type, "item_type_code": facts.item_type_code}
            match = by_item.get(facts.item_id) if facts.item_id else None
            if match is None and not facts.item_id:
                candidate = by_place.get(n)
                if candidate is not None and not candidate.item_id:
                    match = candidate
            if match is not None and match.id not in used:
                used.add(match.id)
                wanted.append((match, n, values))
            else:
                wanted.append((None, n, values))
        gone += [c.id for c in old if c.id not in used]
        for match, n, values in wanted:
            if match is None:
                inserts.append({"source": source, "identifier": identifier, "n": n, "status_source": "harvest",
                                "updated_at": stamp, **values})
                continue
            change = {k: values[k] for k in _FACTS if getattr(match, k) != values[k]}
            if match.status_source == "circulation":
                change.pop("library", None)      # a floating copy's holding library is circulation's to say
            else:
                change.update({k: values[k] for k in ("status", "due_date") if getattr(match, k) != values[k]})
            if match.n != n:
                change["n"] = n
            if change:
                updates.append((match.id, {**change, "updated_at": stamp}))
    for start in range(0, len(gone), CHUNK):
        conn.execute(delete(copies).where(copies.c.id.in_(gone[start:start + CHUNK])))
    # Places first move out of the way (a reordered record must not collide on (source, identifier, n)).
    for copy_id, change in updates:
        if "n" in change:
            conn.execute(update(copies).where(copies.c.id == copy_id).values(n=-copy_id))
    for copy_id, change in updates:
        conn.execute(update(copies).where(copies.c.id == copy_id).values(**change))
    for start in range(0, len(inserts), CHUNK):
        conn.execute(insert(copies), inserts[start:start + CHUNK])
    return len(inserts) + len(updates) + len(gone)


def set_status(conn, copy_id: int, status: str, due_date: str = "", *, by: str = "circulation",
               stamp: datetime | None = None) -> bool:
    """Write a copy's status (the circulation core's door); True when the copy exists.

    The status must be a code of `vocab.statuses`; a due date is kept only for copies on loan.
    """
    if status not in statuses.codes():
        raise ValueError(f"unknown copy status {status!r}; one of {', '.join(statuses.codes())}")
    result = conn.execute(update(copies).where(copies.c.id == copy_id).values(
        status=status, due_date=due_date if status == "on_loan" else "", status_source=by,
        updated_at=stamp or datetime.now(timezone.utc)))
    return bool(result.rowcount)


def set_library(conn, copy_id: int, library: str, *, stamp: datetime | None = None) -> bool:
    """Move a copy's holding library (a floating copy stays where it was returned); True when it exists."""
    result = conn.execute(update(copies).where(copies.c.id == copy_id).values(
        library=library, updated_at=stamp or datetime.now(timezone.utc)))
    return bool(result.rowcount)


def set_deposit(conn, copy_id: int, library: str, until: str = "", place: str = "", *,
                stamp: datetime | None = None) -> bool:
    """Put a copy on deposit at `library` until `until` (ISO date), or take it off (`until` ""), with
    `library` then its home again; circulation owns the copy's place from here on, so a re-harvest does not
    move it back. True when the copy exists."""
    result = conn.execute(update(copies).where(copies.c.id == copy_id).values(
        library=library, deposit_until=until, deposit_place=place if until else "", status_source="circulation",
        updated_at=stamp or datetime.now(timezone.utc)))
    return bool(result.rowcount)


def for_records(conn, keys: list[tuple[str, str]]) -> dict[tuple[str, str], list[CopyRow]]:
    """The copies of each (source, identifier), in their order."""
    out: dict[tuple[str, str], list[CopyRow]] = {}
    by_source: dict[str, list[str]] = {}
    for source, identifier in keys:
        by_source.setdefault(source, []).append(identifier)
    for source, identifiers in by_source.items():
        for start in range(0, len(identifiers), CHUNK):
            for r in conn.execute(select(copies).where(
                    copies.c.source == source, copies.c.identifier.in_(identifiers[start:start + CHUNK]))
                    .order_by(copies.c.identifier, copies.c.n)):
                out.setdefault((r.source, r.identifier), []).append(_row(r))
    return out


def changed_since(conn, since: datetime) -> list[tuple[str, str]]:
    """Records whose copies changed after `since` (a status write, a re-harvest that moved a copy)."""
    return sorted({(r.source, r.identifier) for r in conn.execute(
        select(copies.c.source, copies.c.identifier).where(copies.c.updated_at > since))})


def by_item_id(conn, source: str, item_id: str) -> CopyRow | None:
    """The copy a source knows by this barcode or item number (the circulation desk's look-up)."""
    r = conn.execute(select(copies).where(copies.c.source == source, copies.c.item_id == item_id)).first()
    return _row(r) if r is not None else None
