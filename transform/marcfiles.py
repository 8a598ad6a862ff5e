"""Reading MARC files for `grenselos convert`: MARCXML (slim or marcxchange, well-formed or not) and ISO 2709.

Unlike the harvester, which quarantines a record without a leader, the converter is lenient where a
record can still be understood (LC's own test files leave the leader out): the record converts with a
default leader and a warning. A record that cannot be read at all is yielded with its error, so the
caller reports it (file, position, 001, cause) and goes on with the next one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field as dc_field
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

import pymarc
from lxml import etree
from pymarc import Field, Indicators, Record, Subfield

from harvest import marcxml
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
    """Records split at the record terminator, each decoded in the character set its bytes are in
    (`transform.marc_encoding`); a record whose set is only a guess is refused, naming the guess."""
    for position, data in enumerate(_records(raw), 1):
        if len(data) < 25 or not data[:5].isdigit():
            yield ReadRecord(path, position, None, f"not an ISO 2709 record (starts {data[:24]!r})")
            continue
        if data[-1:] != b"\x1d":
            yield ReadRecord(path, position, None, f"{_control(data)}truncated: the file ends before the "
                                                   f"record terminator ({len(data)} of {int(data[:5])} bytes)")
            continue
        leader09 = chr(data[9])
        warnings = []
        if encoding:
            codec = "utf-8" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else (
                "marc8" if encoding.lower().replace("-", "") == "marc8" else encoding)
            warnings.append(f"read as {encoding}, as --encoding says")
        else:
            g = marc_encoding.guess(data, leader09)
            if not g.certain:
                yield ReadRecord(path, position, None,
                                 f"{_control(data)}character set unclear: {g.reason}; not converted "
                                 f"(name it with --encoding, e.g. --encoding {g.encoding})")
                continue
            codec = g.encoding
            if codec != "utf-8" and codec != "marc8" or "although" in g.reason:
                warnings.append(f"read as {marc_encoding.NAMES.get(codec, codec)}: {g.reason}")
        try:
            record = _decode(data, codec)
        except Exception as exc:  # pymarc's own errors: truncated record, bad directory, unknown codec
            yield ReadRecord(path, position, None, f"{_control(data)}{type(exc).__name__}: {exc}")
            continue
        if marc_encoding.is_unimarc(record):
            yield ReadRecord(path, position, None, _unimarc_message(record))
            continue
        damaged = sorted({f.tag for f in record.fields if "\ufffd" in str(f)})
        if damaged:
            warnings.append(f"replacement characters (U+FFFD) in {', '.join(damaged)}: the text was already "
                            "damaged before this file was written")
        yield ReadRecord(path, position, record, None, warnings)


def _records(raw: bytes) -> Iterator[bytes]:
    """Each record's bytes: as long as its leader says when that ends at a record terminator (a
    terminator byte may stand inside a single-byte text), else up to the next terminator."""
    pos, end = 0, len(raw)
    while pos < end:
        while pos < end and raw[pos] in b"\r\n\x00 \x1a":
            pos += 1
        if pos >= end:
            return
        head = raw[pos:pos + 5]
        length = int(head) if head.isdigit() else 0
        if length >= 25 and raw[pos + length - 1:pos + length] == b"\x1d":
            stop = pos + length
        else:
            nxt = raw.find(b"\x1d", pos)
            stop = end if nxt < 0 else nxt + 1
        yield raw[pos:stop]
        pos = stop


def _decode(data: bytes, codec: str) -> Record:
    if codec in ("utf-8", "utf-8-damaged"):
        return Record(data=data, to_unicode=True, force_utf8=True,
                      utf8_handling="strict" if codec == "utf-8" else "replace")
    if codec == "marc8":
        data = data[:9] + b" " + data[10:]
        return Record(data=data, to_unicode=True, force_utf8=False, hide_utf8_warnings=True)
    data = data[:9] + b" " + data[10:]          # a single-byte set: pymarc decodes with file_encoding
    record = Record(data=data, to_unicode=True, force_utf8=False, file_encoding=codec)
    record.leader = record.leader[:9] + "a" + record.leader[10:]   # the text is Unicode now
    return record


def _control(data: bytes) -> str:
    """`(001 xyz) ` from raw bytes, for a message about a record that could not be decoded."""
    try:
        base = int(data[12:17])
        directory = data[24:base - 1]
        for i in range(0, len(directory) - 11, 12):
            if directory[i:i + 3] == b"001":
                length, start = int(directory[i + 3:i + 7]), int(directory[i + 7:i + 12])
                return f"(001 {data[base + start:base + start + length - 1].decode('ascii', 'replace')}) "
    except ValueError:
        pass
    return ""


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
