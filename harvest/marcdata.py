"""One MARC record as plain data, and the canonical MARCXML slim text the importer stores for it.

ISO 2709 and MARCXML files both end up here, so a record imported from either form (or from a
re-export with other whitespace, namespace or attribute order) yields byte-identical text and the
same checksum: re-importing the same catalogue changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from harvest.encodings import REPLACEMENT, mojibake
from harvest.errors import MarcError
from harvest.marcxml import ILLEGAL_XML, SLIM, local

#: A MARCXML tag: three letters or digits (MARC 21 tags are digits; Aleph and others add FMT, LKR, ...).
TAG = re.compile(r"[0-9A-Za-z]{3}\Z")
HOLDINGS_TYPES = set("uvxy")
RECORD_TYPES = {"Bibliographic", "Authority", "Holdings", "Classification", "Community"}


@dataclass
class ControlField:
    tag: str
    data: str


@dataclass
class DataField:
    tag: str
    ind1: str
    ind2: str
    subfields: list[tuple[str, str]]


@dataclass
class MarcData:
    leader: str
    fields: list[ControlField | DataField] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)   # what was repaired while reading

    def control(self, tag: str) -> str | None:
        for f in self.fields:
            if isinstance(f, ControlField) and f.tag == tag:
                return f.data
        return None

    @property
    def record_type(self) -> str:
        kind = self.leader[6:7]
        return "holdings" if kind in HOLDINGS_TYPES else "authority" if kind == "z" else "bib"

    @property
    def deleted(self) -> bool:
        return self.leader[5:6] == "d"

    def datestamp(self) -> str | None:
        """005 (yyyymmddhhmmss.f) as an ISO 8601 timestamp, when it is well-formed."""
        stamp = (self.control("005") or "").strip()
        if not re.fullmatch(r"\d{14}(\.\d)?", stamp):
            return None
        return f"{stamp[0:4]}-{stamp[4:6]}-{stamp[6:8]}T{stamp[8:10]}:{stamp[10:12]}:{stamp[12:14]}Z"


def clean(text: str, where: str, problems: list[str]) -> str:
    """NFC text that XML can carry; characters XML forbids are replaced and reported."""
    if ILLEGAL_XML.search(text):
        bad = ILLEGAL_XML.search(text).group()
        problems.append(f"{where}: " * bool(where) + f"control character U+{ord(bad):04X} replaced by U+FFFD")
        text = ILLEGAL_XML.sub(REPLACEMENT, text)
    return unicodedata.normalize("NFC", text)


def check_text(record: MarcData) -> None:
    """Report text that decoded without error but is still damaged (double-encoded UTF-8)."""
    for f in record.fields:
        values = [f.data] if isinstance(f, ControlField) else [v for _, v in f.subfields]
        for value in values:
            sample = mojibake(value)
            if sample:
                record.problems.append(f"field {f.tag}: text looks double-encoded (mojibake): {sample!r}")
                return


def escape(text: str) -> str:
    """XML text and attribute escaping (saxutils is several times slower on mostly clean text)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if '"' in text:
        text = text.replace('"', "&quot;")
    return text


def to_slim(record: MarcData) -> str:
    """The record as standalone MARCXML slim text, UTF-8 data, leader/09 set to 'a'."""
    leader = record.leader[:9] + "a" + record.leader[10:]
    kind = {"holdings": "Holdings", "authority": "Authority"}.get(record.record_type, "Bibliographic")
    parts = [f'<record xmlns="{SLIM}" type="{kind}"><leader>{escape(leader)}</leader>']
    for f in record.fields:
        if isinstance(f, ControlField):
            parts.append(f'<controlfield tag="{f.tag}">{escape(f.data)}</controlfield>')
            continue
        parts.append(f'<datafield tag="{f.tag}" ind1="{escape(f.ind1)}" ind2="{escape(f.ind2)}">')
        parts.extend(f'<subfield code="{escape(code)}">{escape(value)}</subfield>'
                     for code, value in f.subfields)
        parts.append("</datafield>")
    parts.append("</record>")
    return "".join(parts)


def from_element(element) -> MarcData:
    """Read a MARCXML record element (any namespace) that `marcxml.inspect` has accepted."""
    record = MarcData(leader="")
    kind = element.get("type")
    if kind is not None and kind not in RECORD_TYPES:
        record.problems.append(f"record type attribute {kind!r} is not one of {', '.join(sorted(RECORD_TYPES))}")
    for child in element:
        name = local(child.tag)
        if name == "leader":
            record.leader = clean(child.text or "", "leader", record.problems)
        elif name == "controlfield":
            tag = _tag(child.get("tag"))
            record.fields.append(ControlField(tag, clean(child.text or "", f"field {tag}", record.problems)))
        elif name == "datafield":
            tag = _tag(child.get("tag"))
            subfields = [(sub.get("code"), clean(sub.text or "", f"field {tag}", record.problems))
                         for sub in child if local(sub.tag) == "subfield"]
            record.fields.append(DataField(tag, _indicator(child.get("ind1"), tag, record.problems),
                                           _indicator(child.get("ind2"), tag, record.problems), subfields))
    check_text(record)
    return record


def _tag(tag: str | None) -> str:
    if not tag or not TAG.match(tag):
        raise MarcError(f"field tag {tag!r} is not three letters or digits")
    return tag


def _indicator(value: str | None, tag: str, problems: list[str]) -> str:
    if value is None or value == "":
        return " "
    if len(value) != 1:
        problems.append(f"field {tag}: indicator {value!r} is not one character; first kept")
    return value[:1]
