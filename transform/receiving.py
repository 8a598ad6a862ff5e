"""Shelf-ready deliveries: a vendor's delivery file received in one step (`grenselos receive`).

Why one step: most libraries here buy books shelf-ready (Biblioteksentralen) with a MARC record per title
and the copies' barcodes and shelves in the record. Receiving such a file used to mean importing, matching
by hand and registering copies one by one. Here the file goes through the same doors as any import (the
record store, then the transform stage that clusters records into works and writes the copies table from
the source's holdings profile), and the receipt says for every record what happened to it.

Matching is the clustering's own: a delivered record joins the work of an existing record sharing its
ISBN, else one sharing the clustering keys (title and author); the receipt names which, read *before* the
delivery is stored so it describes what the catalogue held. A record without a match adds a new work and
is listed in the report "what did not match", with records that carry no barcode and pieces of the file
that could not be read (quarantined, never dropped). Receiving the same file again changes nothing: the
store keeps canonical MARCXML, the transform and the copies table only write real changes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import and_, not_, select

from core import db
from harvest.files import import_files, incoming
from harvest.marcdata import as_unicode
from harvest.reader import read_records
from transform import copies as copies_store
from transform.cluster_keys import keys_for
from transform.holdings import read_items
from transform.pipeline import run_transform
from transform.tables import cluster_keys, transform_records

MATCHED, ADDED, UNREADABLE = "matched", "added", "unreadable"


@dataclass
class ReceivedRecord:
    number: int                  # place in the file, from 1
    identifier: str              # as stored in the record store ("" when unreadable)
    title: str = ""
    isbns: list[str] = field(default_factory=list)
    outcome: str = ADDED         # matched | added | unreadable
    matched_by: str = ""         # isbn | title-author ("" when added)
    matched_work: str = ""       # the existing work it joined (cluster id)
    barcodes: list[str] = field(default_factory=list)
    copies: int = 0              # rows in the copies table after receiving (0 in a dry run)
    problems: list[str] = field(default_factory=list)


@dataclass
class Receipt:
    source: str
    path: str
    dry_run: bool
    records: list[ReceivedRecord] = field(default_factory=list)
    new: int = 0
    changed: int = 0
    unchanged: int = 0

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.records if r.outcome == outcome)

    @property
    def unmatched(self) -> list[ReceivedRecord]:
        """The report of what did not match: new works, records without barcodes, unreadable pieces."""
        return [r for r in self.records if r.outcome != MATCHED or r.problems]

    @property
    def barcodes(self) -> int:
        return sum(len(r.barcodes) for r in self.records)

    def line(self) -> str:
        verb = "would receive" if self.dry_run else "received"
        return (f"{self.source}: {verb} {len(self.records)} record(s) from {Path(self.path).name}: "
                f"{self.count(MATCHED)} matched, {self.count(ADDED)} added, {self.count(UNREADABLE)} unreadable; "
                f"{self.barcodes} copies; store: {self.new} new, {self.changed} changed, {self.unchanged} unchanged")

    def text(self) -> str:
        lines = [self.line()]
        for r in self.records:
            if r.outcome == MATCHED:
                continue
            lines.append(f"  #{r.number} {r.identifier or '?'} {r.title!r}: "
                         + ("no existing work; added as a new one" if r.outcome == ADDED else "could not be read"))
        for r in self.records:
            for problem in r.problems:
                lines.append(f"  #{r.number} {r.identifier or '?'}: {problem}")
        return "\n".join(lines) + "\n"

    def as_json(self) -> dict:
        return {"source": self.source, "file": Path(self.path).name, "dry_run": self.dry_run,
                "matched": self.count(MATCHED), "added": self.count(ADDED), "unreadable": self.count(UNREADABLE),
                "copies": self.barcodes, "store": {"new": self.new, "changed": self.changed,
                                                   "unchanged": self.unchanged},
                "records": [asdict(r) for r in self.records]}


def _match(conn, source_id: str, identifier: str, keys) -> tuple[str, str]:
    """(how, work) of the existing work a record would join: ISBN keys first, then the other keys."""
    isbn_keys = [k for k in keys.index_keys() if k.startswith("isbn:")]
    other_keys = [k for k in keys.index_keys() if not k.startswith(("isbn:", "id:"))]
    for how, wanted in (("isbn", isbn_keys), ("title-author", other_keys)):
        if not wanted:
            continue
        row = conn.execute(
            select(transform_records.c.cluster_id)
            .select_from(cluster_keys.join(transform_records, and_(
                transform_records.c.source == cluster_keys.c.source,
                transform_records.c.identifier == cluster_keys.c.identifier)))
            .where(cluster_keys.c.key.in_(wanted), transform_records.c.status == "ok",
                   transform_records.c.cluster_id.is_not(None),
                   not_(and_(cluster_keys.c.source == source_id, cluster_keys.c.identifier == identifier)))
            .order_by(transform_records.c.cluster_id).limit(1)).first()
        if row is not None:
            return how, row.cluster_id
    return "", ""


def _read(path: Path, source, conn) -> list[ReceivedRecord]:
    out: list[ReceivedRecord] = []
    seen: dict[str, int] = {}
    koha = source.holdings == "koha-952"
    for item in read_records(path, getattr(source, "encoding", "") or None):
        if item.record is None:
            out.append(ReceivedRecord(item.number, item.identifier or "", outcome=UNREADABLE,
                                      problems=[f"{item.location}: {item.cause}"]))
            continue
        rec = incoming(item, path.name, seen, koha)
        record = as_unicode(item.record)
        keys = keys_for(record)
        received = ReceivedRecord(item.number, rec.identifier, title=keys.title_key,
                                  isbns=list(keys.isbns))
        received.barcodes = [c.item_id for c in read_items(record, source.holdings) if c.item_id]
        if not received.barcodes:
            received.problems.append("no copy with a barcode in the record")
        if rec.error:
            received.problems.append(rec.error)
        how, work = _match(conn, source.id, rec.identifier, keys)
        if how:
            received.outcome, received.matched_by, received.matched_work = MATCHED, how, work
        out.append(received)
    return out


def receive(settings, store, source_id: str, path: str | Path, dry_run: bool = False,
            apply: bool = True) -> Receipt:
    """Receive one delivery file for `source_id` (the receiving library's source); see the module text.
    `apply=False` in a portal request: the graph outbox is left to the applier (`run_transform`)."""
    source = settings.source(source_id)
    path = Path(path)
    db.migrate(store.engine)
    receipt = Receipt(source.id, str(path), dry_run)
    with store.engine.connect() as conn:
        receipt.records = _read(path, source, conn)
    if dry_run:
        return receipt
    summary = import_files(store, source, [path])
    receipt.new, receipt.changed, receipt.unchanged = summary.new, summary.changed, summary.unchanged
    run_transform(settings, store, [source.id], progress=False, apply=apply)
    ids = [r.identifier for r in receipt.records if r.identifier]
    with store.engine.connect() as conn:
        counts: dict[str, int] = {}
        for row in conn.execute(select(copies_store.copies.c.identifier).where(
                copies_store.copies.c.source == source.id, copies_store.copies.c.identifier.in_(ids))):
            counts[row.identifier] = counts.get(row.identifier, 0) + 1
    for r in receipt.records:
        r.copies = counts.get(r.identifier, 0)
    return receipt
