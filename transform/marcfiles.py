"""Reading MARC files for `grenselos convert`: MARCXML (slim or marcxchange, well-formed or not) and ISO 2709.

Unlike the harvester, which quarantines a record without a leader, the converter is lenient where a
record can still be understood (LC's own test files leave the leader out): the record converts with a
default leader and a warning. A record that cannot be read at all is yielded with its error, so the
caller reports it (file, position, 001, cause) and goes on with the next one.
"""

from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

import pymarc
from lxml import etree
from pymarc import Field, Indicators, Record, Subfield

from harvest import marcxml

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
            if len(tag) != 3:
                raise ValueError(f"control field without a valid tag ({tag!r})")
            record.add_field(Field(tag=tag, data=child.text or ""))
        elif name == "datafield":
            tag = child.get("tag") or ""
            if len(tag) != 3:
                raise ValueError(f"data field without a valid tag ({tag!r})")
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
        yield ReadRecord(path, position, record, None, warnings)


def _read_iso2709(path: Path, raw: bytes, encoding: str | None = None) -> Iterator[ReadRecord]:
    import io
    reader = pymarc.MARCReader(io.BytesIO(raw), to_unicode=True, force_utf8=False, permissive=True,
                               utf8_handling="strict")
    for position, record in enumerate(reader, 1):
        if record is None:
            exc = reader.current_exception
            yield ReadRecord(path, position, None, f"{type(exc).__name__}: {exc}" if exc else "unreadable")
            continue
        yield ReadRecord(path, position, record)


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
