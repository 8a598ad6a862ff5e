"""`grenselos import`: MARC files (ISO 2709 or MARCXML) into the same record store as the harvester.

This is the way in for a library leaving Mikromarc, whose export is ISO 2709. The format is told by
content, not by the file name. Every record becomes canonical MARCXML slim (UTF-8, NFC), so
importing the same export twice changes nothing.

Identifiers. An imported record is stored as `<003>:<001>`, or `<001>` when the record has no 003;
holdings and authority records get a `holdings/` or `authority/` prefix because their 001 numbers
are a separate series. A record without 001 from a Koha source (holdings profile koha-952) is
`biblionumber:<999 $c>`; any other record without 001 gets `<file name>#<position>`, and a second
record with the same 001 in one file gets `<id>#<n>`; these keep their data but carry a warning in
`error`, since their identity is not stable across re-exports. Leader/05 'd' marks a record deleted.

Reading. Files are read by `harvest.reader`, the same reader `grenselos convert` uses, so both
take the same records from a damaged file and refuse the same ones (UNIMARC, a character set that is
only a guess unless `--encoding` names it).

Bad input. A chunk that cannot be read as a record is quarantined with its raw bytes, the file, its position and
byte offset, its 001 if it can be found, and the cause. A record that could be read only with
repairs (bad bytes replaced, a wrong leader/09, a broken directory read by field terminators) is
stored with the repairs listed in `error`, so `status` counts it as quarantined and a librarian can
fix it at the source; nothing is dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from core.clock import now
from harvest import attempts, marcxml
from harvest.marcdata import DataField, MarcData, to_slim
from harvest.reader import FileRecord, read_records, sniff
from harvest.store import IncomingRecord, RecordStore, UpsertResult

BATCH = 500
STAGE = "import"


@dataclass
class FileSummary:
    path: Path
    format: str = "unknown"
    records: int = 0                     # records read (with or without warnings)
    unreadable: int = 0                  # pieces quarantined with raw bytes
    warned: int = 0                      # records stored with a warning in `error`
    result: UpsertResult = field(default_factory=UpsertResult)

    @property
    def quarantined(self) -> int:
        return self.unreadable + self.warned


@dataclass
class ImportSummary:
    source: str
    files: list[FileSummary] = field(default_factory=list)

    def _total(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.files)

    @property
    def records(self) -> int:
        return self._total("records")

    @property
    def quarantined(self) -> int:
        return self._total("quarantined")

    @property
    def unreadable(self) -> int:
        return self._total("unreadable")

    @property
    def new(self) -> int:
        return sum(f.result.new for f in self.files)

    @property
    def changed(self) -> int:
        return sum(f.result.changed for f in self.files)

    @property
    def unchanged(self) -> int:
        return sum(f.result.unchanged for f in self.files)

    @property
    def deleted(self) -> int:
        return sum(f.result.deleted for f in self.files)

    def line(self) -> str:
        return (f"{self.source}: {self.records} records from {len(self.files)} file(s): {self.new} new, "
                f"{self.changed} changed, {self.unchanged} unchanged, {self.deleted} deleted, "
                f"{self.quarantined} quarantined ({self.unreadable} unreadable)")


# -- importing ----------------------------------------------------------------------------------

def identity(record: MarcData) -> tuple[str | None, str | None]:
    """(identifier, control number) of a record: [type/][003:]001, or (None, None) without 001."""
    control = (record.control("001") or "").strip() or None
    if control is None:
        return None, None
    org = (record.control("003") or "").strip()
    identifier = f"{org}:{control}" if org else control
    if record.record_type != "bib":
        identifier = f"{record.record_type}/{identifier}"
    return identifier, control


def koha_biblionumber(record: MarcData) -> str | None:
    """Koha's own record number (999 $c), stable across exports of the same Koha database."""
    for f in record.fields:
        if isinstance(f, DataField) and f.tag == "999":
            for code, value in f.subfields:
                if code == "c" and value.strip().isdigit():
                    return value.strip()
    return None


def incoming(item: FileRecord, file_name: str, seen: dict[str, int], koha: bool = False) -> IncomingRecord:
    """The store's view of one readable record; `seen` counts identifiers already used in this file.

    `koha`: the source is a Koha library (holdings profile koha-952), whose records without 001 are
    identified by their biblionumber (999 $c) rather than by their position in the file.
    """
    record = item.record
    problems = list(record.problems)
    identifier, control = identity(record)
    if identifier is None and koha:
        biblionumber = koha_biblionumber(record)
        identifier = f"biblionumber:{biblionumber}" if biblionumber else None
    if identifier is None:
        identifier = f"{file_name}#{item.number}"
        problems.append(f"no 001: identifier {identifier!r} taken from the record's position in the file; "
                        "it changes if the export's order changes")
    else:
        seen[identifier] = seen.get(identifier, 0) + 1
        if seen[identifier] > 1:
            problems.append(f"001 {control!r} occurs {seen[identifier]} times in {file_name}; this one "
                            f"stored as {identifier}#{seen[identifier]}")
            identifier = f"{identifier}#{seen[identifier]}"
    parent = (record.control("004") or "").strip() or None if record.record_type == "holdings" else None
    common = dict(identifier=identifier, datestamp=record.datestamp(), record_type=record.record_type,
                  control_number=control, parent=parent)
    if record.deleted:
        return IncomingRecord(deleted=True, **common)
    text = to_slim(record)
    return IncomingRecord(marcxml=text, checksum=marcxml.checksum(text),
                          error="; ".join(problems) if problems else None, **common)


def import_file(store: RecordStore, source_id: str, path: Path, encoding: str | None = None,
                batch_size: int = BATCH, koha: bool = False) -> FileSummary:
    summary = FileSummary(path)
    with open(path, "rb") as fh:
        summary.format = sniff(fh.read(4096)) or "unknown"
    seen: dict[str, int] = {}
    batch: list[IncomingRecord] = []
    for item in read_records(path, encoding):
        if item.record is None:
            summary.unreadable += 1
            cause = f"{item.location}, record {item.number}" + (
                f" ({item.identifier})" if item.identifier else "") + f": {item.cause}"
            store.quarantine(source_id, cause, stage=STAGE, identifier=item.identifier,
                             location=item.location, raw=item.raw)
            continue
        summary.records += 1
        rec = incoming(item, path.name, seen, koha)
        summary.warned += rec.error is not None
        batch.append(rec)
        if len(batch) >= batch_size:
            summary.result += store.upsert(source_id, batch)
            batch = []
    if batch:
        summary.result += store.upsert(source_id, batch)
    return summary


def import_files(store: RecordStore, source, paths: list[Path], encoding: str | None = None,
                 batch_size: int = BATCH) -> ImportSummary:
    """Import files for one source. `encoding` (or the source's `encoding`) overrides leader/09."""
    source_id = source if isinstance(source, str) else source.id
    encoding = encoding or (getattr(source, "encoding", "") or None)
    koha = getattr(source, "holdings", "") == "koha-952"
    summary = ImportSummary(source_id)
    attempt = attempts.begin(store.engine, source_id, kind="import")
    try:
        for path in paths:
            summary.files.append(import_file(store, source_id, Path(path), encoding, batch_size, koha))
    except Exception as exc:
        attempts.finish(store.engine, attempt, "failed", records=summary.records, deletes=summary.deleted,
                        quarantined=summary.quarantined, error=f"{type(exc).__name__}: {exc}")
        raise
    # A file of nothing but garbage imported nothing: that import failed, whatever it quarantined.
    failed = summary.records == 0 and summary.unreadable > 0
    attempts.finish(store.engine, attempt, attempts.outcome(failed, summary.quarantined),
                    records=summary.records, deletes=summary.deleted, quarantined=summary.quarantined,
                    error="no readable record in the file(s)" if failed else None)
    if not failed:
        store.save_checkpoint(source_id, last_harvest=now())
    return summary
