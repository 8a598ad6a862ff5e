"""Reading MARC files for `grenselos convert`: MARCXML (slim or marcxchange, well-formed or not) and ISO 2709.

Unlike the harvester, which quarantines a record without a leader, the converter is lenient where a
record can still be understood (LC's own test files leave the leader out): the record converts with a
default leader and a warning. A record that cannot be read at all is yielded with its error, so the
caller reports it (file, position, 001, cause) and goes on with the next one.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings as warnings_mod
from dataclasses import dataclass, field as dc_field
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

from lxml import etree
from pymarc import Field, Indicators, Record, Subfield

from harvest import iso2709, marcxml
from harvest.encodings import EncodingError
from harvest.errors import MarcError
from harvest.marcdata import ControlField
from transform import marc_encoding

_TAG = re.compile(r"[0-9A-Za-z]{3}")
DEFAULT_LEADER = "     nam a22     uu 4500"
HOLDINGS_TYPES = set("uvxy")


@dataclass
class ReadRecord:
    path: Path
    position: int                  # 1-based, in file order
    record: Record | None
    error: str | None = None
    warnings: list[str] = dc_field(default_factory=list)

    @property
    def control_number(self) -> str:
        f = self.record.get("001") if self.record is not None else None
        return f.data.strip() if f is not None and f.data else ""

    @property
    def is_holdings(self) -> bool:
        return self.record is not None and self.record.leader[6:7] in HOLDINGS_TYPES

    def where(self) -> str:
        return f"{self.path}: record {self.position}" + (f" (001 {self.control_number})"
                                                         if self.control_number else "")

    def record_id(self) -> str:
        """A URI-safe id: the 001 if there is one, else the file name and position."""
        raw = self.control_number or f"{self.path.stem}-{self.position}"
        return quote(raw.replace(" ", "_"), safe="-._~")


def element_to_record(element) -> tuple[Record, list[str]]:
    """A pymarc Record from a record element, tolerating a missing or short leader (with a warning)."""
    warnings = []
    record = Record(force_utf8=True)
    leader = None
    for child in element:
        name = marcxml.local(child.tag)
        if name == "leader":
            leader = child.text or ""
        elif name == "controlfield":
            tag = child.get("tag") or ""
            if not _TAG.fullmatch(tag):
                warnings.append(f"control field with an invalid tag {tag!r} skipped: {(child.text or '')[:40]!r}")
                continue
            record.add_field(Field(tag=tag, data=child.text or ""))
        elif name == "datafield":
            tag = child.get("tag") or ""
            if not _TAG.fullmatch(tag):
                text = " ".join(f"${sub.get('code')} {sub.text or ''}" for sub in child)
                warnings.append(f"field with an invalid tag {tag!r} skipped: {text[:60]!r}")
                continue
            ind1 = (child.get("ind1") or " ")[:1]
            ind2 = (child.get("ind2") or " ")[:1]
            subs = [Subfield(code=sub.get("code") or "?", value=sub.text or "")
                    for sub in child if marcxml.local(sub.tag) == "subfield"]
            record.add_field(Field(tag=tag, indicators=Indicators(ind1, ind2), subfields=subs))
    if leader is None or len(leader) != 24:
        warnings.append("record has no leader; a default leader (language material, monograph) was assumed"
                        if leader is None else f"leader is {len(leader)} characters long; padded to 24")
        leader = DEFAULT_LEADER if leader is None else (leader + DEFAULT_LEADER[len(leader):])[:24]
    record.leader = leader
    return record, warnings


def _read_xml(path: Path, raw: bytes) -> Iterator[ReadRecord]:
    try:
        root = etree.fromstring(raw, marcxml._PARSER)
        elements = [(el, None) for el in marcxml.find_records(root)]
    except etree.XMLSyntaxError:
        elements = [(el, err) for el, _piece, err in marcxml.salvage_records(raw)]
        if not elements:
            yield ReadRecord(path, 1, None, "not well-formed XML and no MARC record could be salvaged")
            return
    for position, (element, error) in enumerate(elements, 1):
        if error is not None:
            yield ReadRecord(path, position, None, str(error))
            continue
        try:
            record, warnings = element_to_record(element)
        except ValueError as exc:
            yield ReadRecord(path, position, None, str(exc))
            continue
        if marc_encoding.is_unimarc(record):
            yield ReadRecord(path, position, None, _unimarc_message(record))
            continue
        yield ReadRecord(path, position, record, None, warnings)


def _read_iso2709(path: Path, raw: bytes, encoding: str | None = None) -> Iterator[ReadRecord]:
    """Records as the importer cuts and decodes them (`harvest.iso2709`: one broken record costs only
    itself), each in the character set its bytes are in (`transform.marc_encoding`); a record whose set
    is only a guess is refused, naming the guess, unless `encoding` names it."""
    for chunk in iso2709.chunks(raw):
        position, data = chunk.number, chunk.data
        if chunk.cause:
            yield ReadRecord(path, position, None, chunk.cause)
            continue
        warnings = [chunk.note] if chunk.note else []
        if encoding:
            charset = encoding
            warnings.append(f"read as {encoding}, as --encoding says")
        else:
            g = marc_encoding.guess(data, chr(data[9]) if len(data) > 9 else " ")
            if not g.certain:
                yield ReadRecord(path, position, None,
                                 f"{_control(data)}character set unclear: {g.reason}; not converted "
                                 f"(name it with --encoding, e.g. --encoding {g.encoding})")
                continue
            charset = {"utf-8-damaged": "utf-8", "marc8": "marc-8"}.get(g.encoding, g.encoding)
            if charset not in ("utf-8", "marc-8") or "although" in g.reason or "damaged" in g.reason:
                warnings.append(f"read as {marc_encoding.NAMES.get(g.encoding, g.encoding)}: {g.reason}")
        try:
            data_record = iso2709.parse(data, charset)
        except EncodingError as exc:
            yield ReadRecord(path, position, None, f"{_control(data)}{exc}")
            continue
        except MarcError as exc:
            # The importer's strict directory check failed (a tag like '0 2'): pymarc reads by the
            # directory's offsets; a field whose tag is not a tag then costs that field only.
            record = _pymarc_fallback(data, charset)
            if record is None:
                yield ReadRecord(path, position, None, f"{_control(data)}{exc}")
                continue
            bad = [f.tag for f in record.fields if not _TAG.fullmatch(f.tag or "")]
            record.fields = [f for f in record.fields if _TAG.fullmatch(f.tag or "")]
            warnings.append(f"{exc}; read by the directory's offsets instead"
                            + (f", field(s) with invalid tag {', '.join(map(repr, bad))} skipped" if bad else ""))
            if marc_encoding.is_unimarc(record):
                yield ReadRecord(path, position, None, _unimarc_message(record))
                continue
            yield ReadRecord(path, position, record, None, warnings)
            continue
        record = _to_pymarc(data_record)
        if marc_encoding.is_unimarc(record):
            yield ReadRecord(path, position, None, _unimarc_message(record))
            continue
        warnings += data_record.problems
        yield ReadRecord(path, position, record, None, warnings)


def _to_pymarc(data) -> Record:
    """A pymarc Record (what the mapping reads) from the importer's MarcData; its text is Unicode now."""
    record = Record(force_utf8=True)
    record.leader = data.leader[:9] + "a" + data.leader[10:]
    for f in data.fields:
        if isinstance(f, ControlField):
            record.add_field(Field(tag=f.tag, data=f.data))
        else:
            record.add_field(Field(tag=f.tag, indicators=Indicators(f.ind1, f.ind2),
                                   subfields=[Subfield(code=c, value=v) for c, v in f.subfields]))
    return record


def _pymarc_fallback(data: bytes, charset: str) -> Record | None:
    try:   # pymarc prints its complaints to stdout, where the RDF goes: they are caught here
        with warnings_mod.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings_mod.simplefilter("ignore")
            if charset == "utf-8":
                return Record(data=data, to_unicode=True, force_utf8=True, utf8_handling="replace")
            plain = data[:9] + b" " + data[10:]
            if charset == "marc-8":
                return Record(data=plain, to_unicode=True, hide_utf8_warnings=True)
            return Record(data=plain, to_unicode=True, file_encoding=charset)
    except Exception:  # pymarc cannot read it either: the caller reports the importer's cause
        return None


def _control(data: bytes) -> str:
    """`(001 xyz) ` for a message about a record whose text could not be decoded (001 is ASCII)."""
    try:
        value = iso2709.parse(data, "latin-1").control("001")
    except Exception:  # the message must not fail because the record is broken
        value = None
    return f"(001 {value.strip()}) " if value and value.strip() else ""


def _unimarc_message(record: Record) -> str:
    title = record.get("200")
    return ("UNIMARC record (title in 200" + (f" {title.get('a')!r}" if title is not None and title.get("a") else "")
            + ", coded data in 100), not MARC 21; not converted — convert it to MARC 21 first "
            "(e.g. with the BnF/IFLA UNIMARC→MARC 21 stylesheets)")


def read_file(path: str | Path, encoding: str | None = None) -> Iterator[ReadRecord]:
    path = Path(path)
    raw = path.read_bytes()
    if raw.lstrip()[:1] == b"<" or raw[:3] == b"\xef\xbb\xbf":
        yield from _read_xml(path, raw)
    else:
        yield from _read_iso2709(path, raw, encoding)


def group_holdings(items: list[ReadRecord]) -> tuple[list[ReadRecord], dict[str, list[Record]]]:
    """Split bibliographic records from MARC holdings records, the latter grouped by their 004."""
    bibs, holdings = [], {}
    for item in items:
        if item.record is not None and item.is_holdings:
            parent = item.record.get("004")
            holdings.setdefault(parent.data.strip() if parent is not None else "", []).append(item.record)
        else:
            bibs.append(item)
    return bibs, holdings
