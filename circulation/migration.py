"""`grenselos migrate mikromarc`: a library leaves Mikromarc with its catalogue, copies, patrons and open
loans, after a dry run that says what will happen.

Why one plan for both runs: the dry run and the real run walk the same files through the same checks
(`plan`), so what the report promises is what `apply` does. Everything is keyed on what the library
already has (record identifier, barcode, card, open loan of a copy), so a rerun finds it all in place and
changes nothing. Bad rows never stop the batch: each is refused with its kind, its card and its barcode.

Records are stored as MARC 21 (NORMARC converted by `transform.mikromarc`) in the record store, copies
written with `transform.copies.sync` (the same facts the next transform reads), patrons through
`circulation.patron_import`, loans inserted with their own due dates (not re-dated by today's rules).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import select

from circulation import patron_import
from circulation.tables import copy_types, loans, patrons
from core.errors import ConfigError
from harvest.files import incoming
from harvest.reader import FileRecord, read_records
from harvest.store import RecordStore
from transform import copies as copies_store, readings
from transform.mikromarc import normalise
from vocab import libraries as vocab_libraries

#: Problem kinds, in report order.
KINDS = ("broken_record", "duplicate_barcode", "normarc_unmapped", "patron_refused", "patron_without_card",
         "loan_unknown_copy", "loan_unknown_patron", "loan_bad_row", "copy_already_lent")
EXAMPLES = 20
LOAN_COLUMNS = ("card", "barcode", "due_date")


class NothingToRun(Exception):
    """The migration cannot start at all (unknown source, no readable file, a file without its header)."""


@dataclass
class Plan:
    source: str
    dry_run: bool
    records: dict = field(default_factory=dict)          # identifier -> (IncomingRecord, [ItemFacts])
    counts: dict = field(default_factory=lambda: defaultdict(int))
    problems: dict = field(default_factory=lambda: defaultdict(list))   # kind -> [dict]
    loans: list = field(default_factory=list)             # (card, barcode, due date, out_at)
    refused_rows: int = 0
    barcodes: dict = field(default_factory=dict)          # barcode -> record identifier (the files')

    def problem(self, kind: str, refused: bool = True, **what) -> None:
        self.problems[kind].append(what)
        self.refused_rows += refused

    def as_dict(self) -> dict:
        return {"source": self.source, "dry_run": self.dry_run, "counts": dict(self.counts),
                "refused_rows": self.refused_rows,
                "problems": {k: {"count": len(self.problems[k]), "examples": self.problems[k][:EXAMPLES]}
                             for k in KINDS if self.problems.get(k)}}


def _catalogue(plan: Plan, paths: list[Path]) -> None:
    barcodes: dict[str, str] = {}
    readable = 0
    for path in paths:
        seen: dict[str, int] = {}
        for item in read_records(path):
            if item.record is None:
                plan.problem("broken_record", file=path.name, location=item.location,
                             record=item.identifier or "", card="", barcode="", why=item.cause)
                continue
            readable += 1
            out = normalise(item.record)
            plan.counts[f"records_{out.dialect}"] += 1
            for tag in out.unmapped:
                plan.problem("normarc_unmapped", refused=False, file=path.name, location=item.location,
                             record=readings.first(item.record, "record.id"), card="", barcode="",
                             why=f"NORMARC {tag} has no MARC 21 home; not kept")
            rec = incoming(FileRecord(item.location, item.number, record=out.record), path.name, seen)
            kept = []
            for c in out.copies:
                if c.item_id and c.item_id in barcodes:
                    plan.problem("duplicate_barcode", file=path.name, location=item.location,
                                 record=rec.identifier, card="", barcode=c.item_id,
                                 why=f"barcode already used by record {barcodes[c.item_id]}; this copy is left out")
                    continue
                if c.item_id:
                    barcodes[c.item_id] = rec.identifier
                kept.append(c)
            earlier = plan.records.get(rec.identifier)      # the same record in two files: copies of both
            plan.records[rec.identifier] = (rec, (earlier[1] if earlier else []) + kept)
    if paths and not readable and not plan.problems.get("broken_record"):
        raise NothingToRun("no catalogue file holds a MARC record")
    plan.counts["records"] = len(plan.records)
    plan.counts["copies"] = sum(len(c) for _, c in plan.records.values())
    plan.barcodes = barcodes


def _read_loans(path: Path) -> list[tuple[int, dict]]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = patron_import.sniffed_reader(f)
        names = [n.strip().lower() for n in reader.fieldnames or []]
        missing = [n for n in LOAN_COLUMNS if n not in names]
        if missing:
            raise NothingToRun(f"{path}: the header lacks {', '.join(missing)} (needs {','.join(LOAN_COLUMNS)})")
        reader.fieldnames = names
        return list(enumerate(reader, start=2))


def _loans(plan: Plan, conn, path: Path, cards_in_file: set[str]) -> None:
    rows = _read_loans(path)
    known_cards = {r.card for r in conn.execute(select(patrons.c.card))}
    known_barcodes = {r.item_id for r in conn.execute(select(copies_store.copies.c.item_id).where(
        copies_store.copies.c.source == plan.source, copies_store.copies.c.item_id != ""))}
    barcodes = set(plan.barcodes) | known_barcodes
    taken: set[str] = set()
    for line, row in rows:
        card, barcode = (row.get("card") or "").strip(), (row.get("barcode") or "").strip()
        where = dict(file=path.name, location=f"line {line}", card=card, barcode=barcode)
        try:
            due = date.fromisoformat((row.get("due_date") or "").strip())
            out_text = (row.get("out_at") or row.get("loan_date") or "").strip()
            out_at = datetime.fromisoformat(out_text) if out_text else None
            if out_at is not None and out_at.tzinfo is None:
                out_at = out_at.replace(tzinfo=timezone.utc)
        except ValueError:
            plan.problem("loan_bad_row", why="due_date/out_at is not an ISO date", **where)
            continue
        if not card:
            plan.problem("loan_unknown_patron", why="no card", **where)
        elif card not in known_cards and card not in cards_in_file:
            plan.problem("loan_unknown_patron", why=f"no patron has card {card!r}", **where)
        elif barcode not in barcodes:
            plan.problem("loan_unknown_copy", why=f"no copy has barcode {barcode!r}", **where)
        elif barcode in taken:
            plan.problem("copy_already_lent", why="the copy is lent earlier in the file", **where)
        else:
            taken.add(barcode)
            plan.loans.append((card, barcode, due, out_at))
    plan.counts["loans"] = len(plan.loans)


def _patron_cards(path: Path) -> set[str]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = patron_import.sniffed_reader(f)
        reader.fieldnames = [n.strip().lower() for n in reader.fieldnames or []]
        return {(r.get("card") or "").strip() for r in reader} - {""}


def run(circulation, source: str, files: list[Path], *, patrons_file: Path | None = None,
        loans_file: Path | None = None, dry_run: bool = False) -> Plan:
    """Check everything, then (unless `dry_run`) write it; the plan is the report."""
    settings = circulation.settings
    try:
        src = settings.source(source)
    except ConfigError as exc:    # the settings say why (unknown id, did you mean)
        raise NothingToRun(str(exc)) from None
    if src.id not in circulation.circulating_sources:
        raise NothingToRun(f"source {src.id!r} does not lend (set circulation = true for it)")
    plan = Plan(src.id, dry_run)
    _catalogue(plan, files)
    engine = circulation.engine
    store = RecordStore(engine, migrate=False)
    if not dry_run and plan.records:
        _write_catalogue(plan, store, engine, settings)
    cards: set[str] = set()
    if patrons_file is not None:
        try:
            report = patron_import.import_file(engine, patrons_file, circulation, dry_run=dry_run,
                                               keep_known_pins=True)
        except (patron_import.HeaderError, UnicodeDecodeError) as exc:
            raise NothingToRun(str(exc)) from None
        plan.counts["patrons_new"] = report.added
        plan.counts["patrons_existing"] = report.updated
        cards = _patron_cards(patrons_file)
        for line, card, why in report.refused:
            kind = "patron_without_card" if not card else "patron_refused"
            plan.problem(kind, file=patrons_file.name, location=f"line {line}", card=card, barcode="",
                         why="; ".join(why))
        refused_cards = {card for _, card, _ in report.refused if card}
        cards -= refused_cards
    if loans_file is not None:
        with engine.connect() as conn:
            _loans(plan, conn, loans_file, cards)
        if not dry_run:
            _write_loans(plan, circulation)
    return plan


def _write_catalogue(plan: Plan, store: RecordStore, engine, settings) -> None:
    items = list(plan.records.items())
    directory = vocab_libraries.directory(settings)
    result_new = 0
    for start in range(0, len(items), 1000):
        chunk = items[start:start + 1000]
        result = store.upsert(plan.source, [rec for _, (rec, _) in chunk])
        result_new += result.new + result.changed
        with engine.begin() as conn:
            copies_store.sync(conn, plan.source, [k for k, _ in chunk], {k: c for k, (_, c) in chunk}, directory)
    plan.counts["records_written"] = result_new


def _write_loans(plan: Plan, circulation) -> None:
    """All loans in one transaction; copies, open loans and item types read in chunks, not per row."""
    engine = circulation.engine
    table = copies_store.copies
    wanted = sorted({barcode for _, barcode, _, _ in plan.loans})
    rows, inserts = [], []
    with engine.begin() as conn:
        by_card = {r.card: r for r in conn.execute(select(patrons))}
        by_barcode, open_by_copy, types = {}, {}, {}
        for start in range(0, len(wanted), copies_store.CHUNK):
            for r in conn.execute(select(table).where(table.c.source == plan.source,
                                                      table.c.item_id.in_(wanted[start:start + copies_store.CHUNK]))):
                by_barcode.setdefault(r.item_id, r)
        ids = sorted(r.id for r in by_barcode.values())
        for start in range(0, len(ids), copies_store.CHUNK):
            chunk = ids[start:start + copies_store.CHUNK]
            open_by_copy.update((r.copy_id, r) for r in conn.execute(select(loans).where(
                loans.c.copy_id.in_(chunk), loans.c.returned_at.is_(None))))
            types.update((r.copy_id, r.item_type) for r in conn.execute(select(copy_types).where(
                copy_types.c.copy_id.in_(chunk))))
        now = datetime.now(timezone.utc)
        for card, barcode, due, out_at in plan.loans:
            copy, p = by_barcode.get(barcode), by_card.get(card)
            if copy is None or p is None:
                continue
            current = open_by_copy.get(copy.id)
            if current is not None:
                if current.patron_id != p.id:
                    plan.problem("copy_already_lent", file="", location="", card=card, barcode=barcode,
                                 why="the copy is already on loan to another patron")
                continue
            inserts.append(dict(
                copy_id=copy.id, barcode=barcode, source=copy.source, identifier=copy.identifier, patron_id=p.id,
                patron_category=p.category, patron_library=p.library, item_type=types.get(copy.id, "book"),
                library=circulation.home_library(copy), desk="migration", channel="desk", out_at=out_at or now,
                due_date=due, renewals=0))
            rows.append((copy.id, due))
        for start in range(0, len(inserts), copies_store.CHUNK):
            conn.execute(loans.insert(), inserts[start:start + copies_store.CHUNK])
        for copy_id, due in rows:
            copies_store.set_status(conn, copy_id, "on_loan", due.isoformat(), stamp=now)
    plan.counts["loans_written"] = len(inserts)
