"""`grenselos patrons import FILE.csv`: patrons from a CSV file (a Mikromarc borrower export reshaped, a
school's pupil list), idempotent by card number.

Why a report and not an exception: a file of 20 000 patrons with three bad rows must bring in the
20 000 - 3 and say exactly which three were refused and why; nothing is dropped silently. A dry run
checks everything and writes nothing.

Columns (header row; names case-insensitive): required `card,pin,name,email,library,category`
(`library` is a source id with `circulation = true`; `pin` may be empty for a card that exists already);
optional `phone`, `language` (nb/nn/se/en), `birth_year`, `guardian` (the guardian's card, in this
file or already known), `status` (active/blocked/expired), `block_reason`, `expires_on` (YYYY-MM-DD),
`keep_history` (yes/no). `category` is one of ours or an exported borrower group mapped in
`vocab/data/patron_category_codes.tsv` (Mikromarc's VOKSEN, BARN, ELEV, ANSATT, …); an unmapped one is refused.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from sqlalchemy import select

from accounts import passwords
from circulation import patrons as patron_store
from circulation.tables import patrons
from vocab import patron_categories

REQUIRED = ("card", "pin", "name", "email", "library", "category")
OPTIONAL = ("phone", "language", "birth_year", "guardian", "status", "block_reason", "expires_on", "keep_history")
YES = {"yes", "y", "true", "1", "ja", "j"}
NO = {"no", "n", "false", "0", "nei", "", "ii"}


@dataclass
class Report:
    added: int = 0
    updated: int = 0
    refused: list = field(default_factory=list)     # (line, card, [reasons])
    dry_run: bool = False

    def as_dict(self) -> dict:
        return {"added": self.added, "updated": self.updated, "dry_run": self.dry_run,
                "refused": [{"line": line, "card": card, "reasons": why} for line, card, why in self.refused]}

    def lines(self) -> list[str]:
        verb = "would add" if self.dry_run else "added"
        out = [f"{verb} {self.added}, {'would update' if self.dry_run else 'updated'} {self.updated}, "
               f"refused {len(self.refused)}"]
        out += [f"line {line}: card {card or '-'}: {'; '.join(why)}" for line, card, why in self.refused]
        return out


class HeaderError(ValueError):
    """The file cannot be read as a patron list at all (no header, a required column missing)."""


def _row_input(row: dict, library_of, problems: list) -> patron_store.PatronInput:
    def get(name):
        return (row.get(name) or "").strip()
    birth_year = None
    if get("birth_year"):
        try:
            birth_year = int(get("birth_year"))
        except ValueError:
            problems.append(f"birth_year {get('birth_year')!r} is not a year")
    expires = None
    if get("expires_on"):
        try:
            expires = date.fromisoformat(get("expires_on"))
        except ValueError:
            problems.append(f"expires_on {get('expires_on')!r} is not YYYY-MM-DD")
    history = get("keep_history").lower()
    if history not in YES | NO:
        problems.append(f"keep_history {get('keep_history')!r} is not yes or no")
    return patron_store.PatronInput(
        card=get("card"), pin=row.get("pin") or "", name=get("name"), email=get("email"), phone=get("phone"),
        library=library_of(get("library")),
        category=patron_categories.from_code(get("category")) or get("category").lower(),
        language=(get("language") or "nb").lower(), birth_year=birth_year, guardian=get("guardian"),
        status=(get("status") or "active").lower(), block_reason=get("block_reason"),
        keep_history=history in YES, expires_on=expires)



def sniffed_reader(f) -> csv.DictReader:
    """Rows of a delimited export as dicts, its delimiter (comma, semicolon or tab) told from the first 4 KB:
    library systems export with whichever their locale likes."""
    sample = f.read(4096)
    f.seek(0)
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return csv.DictReader(f, dialect=dialect)

def import_file(engine, path: Path, circulation, *, dry_run: bool = False,
                hasher=None, keep_known_pins: bool = False) -> Report:
    """Import a CSV of patrons through `circulation` (a `circulation.service.Circulation`: which libraries
    lend, source id → library id, and the PIN hasher, whose light parameters `hasher` may replace).
    `keep_known_pins`: a card already known keeps its PIN (a migration rerun must not undo a PIN the patron
    changed since, nor spend time verifying each one). New cards' PINs are hashed together on every core
    before they are written."""
    hasher = hasher or circulation.pin_hasher
    report = Report(dry_run=dry_run)
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = sniffed_reader(f)
        if not reader.fieldnames:
            raise HeaderError(f"{path}: no header row")
        reader.fieldnames = [name.strip().lower() for name in reader.fieldnames]
        missing = [name for name in REQUIRED if name not in reader.fieldnames]
        if missing:
            raise HeaderError(f"{path}: the header lacks {', '.join(missing)} (needs {','.join(REQUIRED)})")
        rows = list(enumerate(reader, start=2))
    seen: set[str] = set()
    accepted: list[tuple[patron_store.PatronInput, bool]] = []
    in_file = {(row.get("card") or "").strip() for _, row in rows}
    with engine.begin() as conn:
        known = {r.card for r in conn.execute(select(patrons.c.card))}
        for line, row in rows:
            problems: list[str] = []
            if None in row:
                problems.append("more fields than the header names")
            p = _row_input(row, circulation.library_id, problems)
            new = p.card not in known
            if keep_known_pins and not new:
                p = replace(p, pin="")
            problems += patron_store.check(p, circulation.circulating_libraries, new=new)
            if p.card in seen:
                problems.append("the same card appears earlier in the file")
            if p.guardian and p.guardian not in known and p.guardian not in in_file:
                problems.append(f"guardian card {p.guardian!r} is not a known patron")
            if p.guardian and p.guardian == p.card:
                problems.append("a patron cannot be their own guardian")
            if problems:
                report.refused.append((line, p.card, problems))
                continue
            seen.add(p.card)
            if new:
                report.added += 1
            else:
                report.updated += 1
            if not dry_run:
                accepted.append((p, new))
                known.add(p.card)
        if not dry_run:
            new_pins = [p for p, new in accepted if new and p.pin]
            hashes = dict(zip((p.card for p in new_pins), passwords.hash_many([p.pin for p in new_pins], hasher)))
            for p, _ in accepted:
                patron_store.upsert(conn, p, hash_pin=lambda pin: passwords.hash_password(pin, hasher),
                                    pin_hash=hashes.get(p.card))                                # guardians named before their own row: link them now
            for line, row in rows:
                card, guardian = (row.get("card") or "").strip(), (row.get("guardian") or "").strip()
                if guardian and card in seen:
                    gid = conn.execute(select(patrons.c.id).where(patrons.c.card == guardian)).scalar()
                    conn.execute(patrons.update().where(patrons.c.card == card).values(guardian_id=gid))
    return report
