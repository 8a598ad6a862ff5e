"""Copy cataloguing in two scans: an ISBN, then a barcode and a shelf, and the copy exists.

Why a local MARC record: the copies table is written by the transform stage from what a source's records
say, and a re-harvest of the national record would take away a copy hung on it. So the library's own
source gets a record of its own for the ISBN (identifier `local-<isbn13>`), a copy of the best record
found with the library's holdings fields added (852 $a ISIL $h shelf $p barcode, or Koha's 952 for a
koha-952 source). Being MARC in the record store, it is converted, clustered (by ISBN, into the same work
as the record it came from), indexed, lent and carried by the OAI provider like any harvested record.

The best record: records of the national bibliography source or another library of the county that share
the ISBN, ranked by completeness (how many of the fields a patron and a cataloguer want are present:
classification, subjects, summary, language codes, physical description ...); national first on a tie.

No record anywhere: a short form (title, author, year) makes a minimal-level MARC 21 record (leader/17
'7') marked "to be upgraded" in a local 599. `upgrade` replaces the description of every such record with
the national record for its ISBN once one arrives (the transform calls it after converting national
records, so the scheduler's harvest → transform chain upgrades without another step), keeping the
record's identifier and holdings fields, so the copies (matched by barcode) keep their ids and loans.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, select

from core.errors import GrenselosError
from harvest import marcxml
from harvest.marcdata import ControlField, DataField, MarcData, Subfield, cleaned, from_stored, to_slim
from harvest.store import IncomingRecord
from harvest.tables import records
from transform import copies as copies_store
from transform import readings
from transform.cluster_keys import isbn13
from transform.tables import cluster_keys, transform_records
from vocab import libraries as libraries_vocab

PREFIX = "local-"
UPGRADE_MARK = "Grenseløs: to be upgraded"


class CatalogueError(GrenselosError):
    """Bad input; `field` names the field of the request at fault."""

    def __init__(self, field_name: str, message: str, code: str = "bad_request"):
        super().__init__(message)
        self.field, self.message, self.code = field_name, message, code


class DuplicateBarcode(CatalogueError):
    def __init__(self, barcode: str):
        super().__init__("barcode", f"barcode {barcode} is already a copy of this library", code="duplicate")


@dataclass
class Candidate:
    source: str
    identifier: str
    kind: str                   # national | public | school
    library: str                # the library (source) name
    completeness: int
    title: str = ""
    author: str = ""
    year: str = ""
    fields: list[tuple[str, str]] = field(default_factory=list)    # (tag, text) for the side-by-side view

    def as_dict(self) -> dict:
        return {"source": self.source, "identifier": self.identifier, "kind": self.kind, "library": self.library,
                "completeness": self.completeness, "title": self.title, "author": self.author, "year": self.year,
                "fields": [{"tag": t, "text": x} for t, x in self.fields]}


@dataclass
class Catalogued:
    record: dict                # {"source", "identifier"} of the record the description came from
    local: dict                 # {"source", "identifier"} of the library's own record holding the copy
    short: bool                 # made from the short form ("to be upgraded")
    copy: dict


def normal_isbn(text: str) -> str:
    found = isbn13((text or "").strip())
    if not found:
        raise CatalogueError("isbn", "not a valid ISBN-10 or ISBN-13")
    return found


def _text(f) -> str:
    return " ".join(s.value for s in f.subfields) if not f.is_control_field() else f.data


def completeness(record: MarcData) -> int:
    """How many of the informative fields (readings.table) the record has, and up to 5 for subjects."""
    return readings.tags_present(record, "informative") + min(readings.count(record, "subject_count"), 5)


def to_be_upgraded(record: MarcData) -> bool:
    return UPGRADE_MARK in readings.values(record, "upgrade_mark")


def candidates(settings, store, isbn: str, library_source: str = "") -> list[Candidate]:
    """Records elsewhere (national source, other county libraries) with this ISBN, best first."""
    directory = libraries_vocab.directory(settings)
    with store.engine.connect() as conn:
        rows = list(conn.execute(
            select(transform_records.c.source, transform_records.c.identifier)
            .select_from(cluster_keys.join(transform_records, and_(
                transform_records.c.source == cluster_keys.c.source,
                transform_records.c.identifier == cluster_keys.c.identifier)))
            .where(cluster_keys.c.key == f"isbn:{isbn}", transform_records.c.status == "ok")))
    out = []
    for row in rows:
        if row.source == library_source or row.identifier.startswith(PREFIX):
            continue
        library = directory.by_source.get(row.source)
        if library is None or not (library.kind == "national" or library.in_region):
            continue
        stored = store.get(row.source, row.identifier)
        if stored is None or stored.deleted or not stored.marcxml:
            continue
        record = from_stored(stored.marcxml)
        if to_be_upgraded(record):
            continue
        out.append(Candidate(row.source, row.identifier, library.kind, library.name, completeness(record),
                             readings.first(record, "title"), readings.first(record, "author"),
                             readings.first(record, "year"),
                             [(f.tag, _text(f)) for f in readings.fields(record, "informative")
                              if not f.is_control_field()]))
    out.sort(key=lambda c: (-c.completeness, c.kind != "national", c.source, c.identifier))
    return out


def short_record(isbn: str, title: str, author: str = "", year: str = "") -> MarcData:
    """A minimal-level MARC 21 record from the short form, marked to be upgraded."""
    if not (title or "").strip():
        raise CatalogueError("title", "no record was found for this ISBN: give at least a title")
    blank = "         a22        4500"
    record = MarcData(blank[:5] + "nam" + blank[8:17] + "7" + blank[18:])
    year = (year or "").strip()[:4]
    record.fields.append(ControlField("008", f"{'':6}s{year or '    ':4}    xx            000 0 und d"))
    record.fields.append(DataField("020", " ", " ", [Subfield("a", isbn)]))
    if (author or "").strip():
        record.fields.append(DataField("100", "1", " ", [Subfield("a", author.strip())]))
    record.fields.append(DataField("245", "1" if author else "0", "0", [Subfield("a", title.strip())]))
    if year:
        record.fields.append(DataField("264", " ", "1", [Subfield("c", year)]))
    record.fields.append(DataField("599", " ", " ", [Subfield("a", UPGRADE_MARK)]))
    return record


def _describe(base: MarcData, identifier: str, origin: str, holdings: list) -> MarcData:
    """The library's own record: `base`'s description, its own 001, a 035 naming where it came from, and
    the library's holdings fields."""
    out = MarcData(base.leader)
    out.fields.append(ControlField("001", identifier))
    drop = {id(f) for name in ("local_control", "holdings") for f in readings.fields(base, name)}
    for f in base.fields:
        if id(f) not in drop:
            out.fields.append(f)
    if origin:
        out.fields.append(DataField("035", " ", " ", [Subfield("a", origin)]))
    for f in holdings:
        out.fields.append(f)
    return out


def _holding(profile: str, isil: str, barcode: str, call_number: str) -> DataField:
    if profile == "koha-952":
        return DataField("952", " ", " ", [
            Subfield("a", isil), Subfield("b", isil), Subfield("o", call_number), Subfield("p", barcode)])
    return DataField("852", " ", " ", [
        Subfield("a", isil), Subfield("h", call_number), Subfield("p", barcode)])


def _store(store, source_id: str, identifier: str, record: MarcData) -> None:
    text = to_slim(cleaned(record))
    store.upsert(source_id, [IncomingRecord(identifier=identifier, marcxml=text, checksum=marcxml.checksum(text),
                                            control_number=identifier)])


def library_source(settings, library_id: str):
    library = libraries_vocab.directory(settings).get(library_id or "")
    if library is None or not library.source:
        raise CatalogueError("library", "your library has no catalogue source in this installation")
    return settings.source(library.source)


def catalogue_copy(settings, store, library_id: str, isbn: str, barcode: str, call_number: str, *,
                   choice: tuple[str, str] | None = None, short: dict | None = None) -> Catalogued:
    """Write the library's record for `isbn` with one more copy; the caller runs the transform."""
    isbn = normal_isbn(isbn)
    barcode = (barcode or "").strip()
    call_number = (call_number or "").strip()
    if not barcode or len(barcode) > 128 or not barcode.isprintable():
        raise CatalogueError("barcode", "a barcode is 1-128 printable characters")
    if not call_number or len(call_number) > 256:
        raise CatalogueError("call_number", "a shelf (call number) is 1-256 characters")
    source = library_source(settings, library_id)
    with store.engine.connect() as conn:
        taken = conn.execute(select(copies_store.copies.c.id).where(
            copies_store.copies.c.item_id == barcode,
            (copies_store.copies.c.library == library_id) | (copies_store.copies.c.source == source.id))).first()
    if taken is not None:
        raise DuplicateBarcode(barcode)
    identifier = f"{PREFIX}{isbn}"
    existing = store.get(source.id, identifier)
    holdings = []
    origin, used, is_short = "", None, False
    if existing is not None and existing.marcxml and not existing.deleted:
        base = from_stored(existing.marcxml)
        holdings = readings.fields(base, "holdings")
        if barcode in readings.values(base, "holding_barcodes"):
            raise DuplicateBarcode(barcode)
        is_short = to_be_upgraded(base)
        origin = readings.first(base, "origin")
        used = {"source": source.id, "identifier": identifier}
    else:
        found = candidates(settings, store, isbn, source.id)
        if choice:
            found = [c for c in found if (c.source, c.identifier) == tuple(choice)] or found
        if found:
            best = found[0]
            base = from_stored(store.get(best.source, best.identifier).marcxml)
            origin = f"({best.source}){best.identifier}"
            used = {"source": best.source, "identifier": best.identifier}
        else:
            short = short or {}
            base = short_record(isbn, short.get("title", ""), short.get("author", ""), short.get("year", ""))
            is_short = True
            used = {"source": source.id, "identifier": identifier}
    holdings.append(_holding(source.holdings, source.isil or library_id, barcode, call_number))
    _store(store, source.id, identifier, _describe(base, identifier, origin, holdings))
    return Catalogued(used, {"source": source.id, "identifier": identifier}, is_short,
                      {"barcode": barcode, "call_number": call_number, "library": library_id})


def upgrade(settings, store) -> list[tuple[str, str]]:
    """Give every short record whose ISBN now has a national record that record's description (keeping
    the identifier and holdings fields); returns the (source, identifier) pairs upgraded."""
    national = {s.id for s in settings.sources if s.kind == "national"}
    done = []
    for source in settings.sources:
        if source.id in national:
            continue
        with store.engine.connect() as conn:
            local = [r.identifier for r in conn.execute(select(records.c.identifier).where(
                records.c.source == source.id, records.c.identifier.like(f"{PREFIX}%"), records.c.deleted.is_(False)))]
        for identifier in local:
            stored = store.get(source.id, identifier)
            if stored is None or not stored.marcxml or UPGRADE_MARK not in stored.marcxml:
                continue
            record = from_stored(stored.marcxml)
            if not to_be_upgraded(record):
                continue
            isbn = stored.identifier[len(PREFIX):]
            best = next((c for c in candidates(settings, store, isbn, source.id) if c.source in national), None)
            if best is None:
                continue
            base = from_stored(store.get(best.source, best.identifier).marcxml)
            holdings = readings.fields(record, "holdings")
            _store(store, source.id, stored.identifier,
                   _describe(base, stored.identifier, f"({best.source}){best.identifier}", holdings))
            done.append((source.id, stored.identifier))
    return done
