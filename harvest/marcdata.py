"""One MARC record as plain data, and the canonical MARCXML slim text the importer stores for it.

ISO 2709 and MARCXML files both end up here, so a record imported from either form (or from a
re-export with other whitespace, namespace or attribute order) yields byte-identical text and the
same checksum: re-importing the same catalogue changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import NamedTuple

from pymarc import Record

from harvest.encodings import REPLACEMENT, mojibake
from harvest.marcxml import ILLEGAL_XML, OAI_LEFTOVERS, SLIM, inspect, local, parse_record

#: A MARCXML tag: three letters or digits (MARC 21 tags are digits; Aleph and others add FMT, LKR, ...).
TAG = re.compile(r"[0-9A-Za-z]{3}\Z")
HOLDINGS_TYPES = set("uvxy")
#: Assumed for a MARCXML record that has none (language material, monograph), with a warning.
DEFAULT_LEADER = "     nam a22     uu 4500"
RECORD_TYPES = {"Bibliographic", "Authority", "Holdings", "Classification", "Community"}


class Subfield(NamedTuple):
    """One subfield: a (code, value) pair that also answers `.code` and `.value`."""
    code: str
    value: str


@dataclass
class ControlField:
    tag: str
    data: str

    indicators = None              # the read interface the mapping tables, readings and keys use
    subfields = ()

    @staticmethod
    def is_control_field() -> bool:
        return True

    def get(self, code: str, default: str | None = None) -> str | None:
        return default

    def get_subfields(self, *codes: str) -> list[str]:
        return []

    def __str__(self) -> str:
        """MARCMaker text (`=008  ...`, blanks as backslashes), as warnings quote a field."""
        return f"={self.tag}  {self.data.replace(' ', chr(92)) if self.data else ''}"


@dataclass
class DataField:
    tag: str
    ind1: str
    ind2: str
    subfields: list[Subfield]

    data = None

    def __post_init__(self):
        subfields = self.subfields
        if subfields and type(subfields[0]) is not Subfield:    # (code, value) pairs: give them names
            self.subfields = [Subfield(*s) for s in subfields]

    @staticmethod
    def is_control_field() -> bool:
        return False

    @property
    def indicators(self) -> tuple[str, str]:
        return (self.ind1, self.ind2)

    def get(self, code: str, default: str | None = None) -> str | None:
        """The first subfield `code`'s value."""
        for c, v in self.subfields:
            if c == code:
                return v
        return default

    def get_subfields(self, *codes: str) -> list[str]:
        return [v for c, v in self.subfields if c in codes]

    def __getitem__(self, code: str) -> str:
        found = self.get(code)
        if found is None:
            raise KeyError(code)
        return found

    def __str__(self) -> str:
        ind = "".join(chr(92) if i in (" ", chr(92)) else i for i in (self.ind1, self.ind2))
        return f"={self.tag}  {ind}" + "".join(f"${c}{v}" for c, v in self.subfields)


@dataclass
class MarcData:
    """One record: the model the readers produce and the mapping tables, readings and keys read."""
    leader: str
    fields: list[ControlField | DataField] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)   # what was repaired while reading

    def get(self, tag: str, default=None):
        """The first field `tag`."""
        for f in self.fields:
            if f.tag == tag:
                return f
        return default

    def get_fields(self, *tags: str) -> list:
        if not tags:
            return self.fields
        return [f for f in self.fields if f.tag in tags]

    def __getitem__(self, tag: str):
        found = self.get(tag)
        if found is None:
            raise KeyError(tag)
        return found

    def __contains__(self, tag: str) -> bool:
        return self.get(tag) is not None

    def remove_fields(self, *tags: str) -> None:
        self.fields = [f for f in self.fields if f.tag not in tags]

    def add_ordered_field(self, f) -> None:
        """Insert before the first field with a higher numeric tag (or a non-numeric one); a field with a
        non-numeric tag goes last."""
        if f.tag.isdigit():
            tag = int(f.tag)
            for i, other in enumerate(self.fields):
                if not other.tag.isdigit() or int(other.tag) > tag:
                    self.fields.insert(i, f)
                    return
        self.fields.append(f)

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

    def first(self, tag: str, code: str) -> str | None:
        """The first subfield `code` of the first data field `tag`."""
        for f in self.fields:
            if isinstance(f, DataField) and f.tag == tag:
                return next((v for c, v in f.subfields if c == code), None)
        return None

    def has(self, tag: str) -> bool:
        return any(f.tag == tag for f in self.fields)

    @property
    def unimarc(self) -> bool:
        """UNIMARC, not MARC 21: a 200 title field, no 245, and 100 $a coded data starting with a date
        (`19961119d1996 ...`), which MARC 21 would read as a personal name. Both `import` and `convert`
        refuse such a record: read as MARC 21 it would become a person named by a date."""
        if self.has("245") or not self.has("200"):
            return False
        data = self.first("100", "a")
        return bool(data and len(data) >= 9 and data[:8].isdigit() and data[8].isalpha())

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


def cleaned(record: MarcData) -> MarcData:
    """A copy whose text is NFC that XML can carry (a record built from what a person typed)."""
    problems: list[str] = []
    fields = [ControlField(f.tag, clean(f.data or "", "", problems)) if isinstance(f, ControlField) else
              DataField(f.tag, f.ind1, f.ind2, [Subfield(c, clean(v or "", "", problems)) for c, v in f.subfields])
              for f in record.fields]
    return MarcData(record.leader, fields, problems)


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


def as_unicode(record: MarcData) -> MarcData:
    """The record as the mapping tables read it: its text is Unicode now, so leader/09 is 'a'."""
    record.leader = record.leader[:9] + "a" + record.leader[10:]
    return record


def from_pymarc(record: Record, problems: list[str]) -> MarcData:
    """A record pymarc could read (by its directory's offsets) as MarcData; fields whose tag is not a
    tag are skipped and named in `problems`."""
    data = MarcData(leader=str(record.leader), problems=problems)
    bad = []
    for f in record.fields:
        if not TAG.match(f.tag or ""):
            bad.append(f.tag)
        elif f.is_control_field():
            data.fields.append(ControlField(f.tag, clean(f.data or "", f"field {f.tag}", problems)))
        else:
            data.fields.append(DataField(f.tag, (f.indicator1 or " ")[:1], (f.indicator2 or " ")[:1],
                                         [Subfield(s.code, clean(s.value or "", f"field {f.tag}", problems))
                                          for s in f.subfields]))
    if bad:
        problems.append(f"field(s) with invalid tag {', '.join(map(repr, bad))} skipped")
    check_text(data)
    return data


def from_stored(element_or_xml, tags: frozenset[str] | set[str] | None = None) -> MarcData:
    """A stored record (its MARCXML text, or a parsed element) as MarcData, for the transform and index
    stages. The store keeps what the importer or harvester already checked and cleaned, so this reads it
    as it is (no repairs, no `problems`); a record that is still broken raises `MarcError`. With `tags`,
    only those fields (and the leader): a reader of a few fields (the index's holdings) need not build forty."""
    element = parse_record(element_or_xml) if isinstance(element_or_xml, (str, bytes)) else element_or_xml
    inspect(element)
    record = MarcData(leader="")
    fields = record.fields
    for child in element:
        name = local(child.tag)
        if name == "leader":
            record.leader = child.text or ""
            continue
        tag = child.get("tag")
        if tags is not None and tag not in tags:
            continue
        if name == "controlfield":
            fields.append(ControlField(tag, child.text or ""))
        elif name == "datafield":
            subfield = child.tag[:-9] + "subfield"        # `{ns}datafield` -> `{ns}subfield`
            fields.append(DataField(tag, (child.get("ind1") or " ")[:1], (child.get("ind2") or " ")[:1],
                                    [Subfield(sub.get("code"), sub.text or "") for sub in child
                                     if sub.tag == subfield or local(sub.tag) == "subfield"]))
    return record


def from_element(element) -> MarcData:
    """Read a MARCXML record element (any namespace), the one way `import` and `convert` read one.

    Lenient where the record can still be understood, and every repair is named in `problems` (so the
    importer stores the record flagged and the converter prints a warning): LC's own test files leave
    the leader out (a default one is assumed), a field whose tag is not a tag costs that field only, a
    subfield without a code keeps its text under '?'.
    """
    record = MarcData(leader="")
    problems = record.problems
    kind = element.get("type")
    if kind is not None and kind not in RECORD_TYPES:
        problems.append(f"record type attribute {kind!r} is not one of {', '.join(sorted(RECORD_TYPES))}")
    leader = None
    for child in element:
        if callable(child.tag):                  # a comment or processing instruction
            continue
        name = local(child.tag)
        if name == "leader":
            leader = clean(child.text or "", "leader", problems)
        elif name == "controlfield":
            tag = child.get("tag") or ""
            if not TAG.match(tag):
                problems.append(f"control field with an invalid tag {tag!r} skipped: {(child.text or '')[:40]!r}")
                continue
            record.fields.append(ControlField(tag, clean(child.text or "", f"field {tag}", problems)))
        elif name == "datafield":
            tag = child.get("tag") or ""
            if not TAG.match(tag):
                text = " ".join(f"${sub.get('code')} {sub.text or ''}" for sub in child if not callable(sub.tag))
                problems.append(f"field with an invalid tag {tag!r} skipped: {text[:60]!r}")
                continue
            subfields = []
            for sub in child:
                if callable(sub.tag):
                    continue
                if local(sub.tag) != "subfield":
                    problems.append(f"field {tag}: unexpected element <{local(sub.tag)}> skipped: "
                                    f"{(sub.text or '')[:40]!r}")
                    continue
                code = sub.get("code") or ""
                if len(code) != 1:
                    problems.append(f"field {tag}: subfield code {code!r} is not one character; kept as '?'")
                    code = "?"
                subfields.append(Subfield(code, clean(sub.text or "", f"field {tag}", problems)))
            record.fields.append(DataField(tag, _indicator(child.get("ind1"), tag, problems),
                                           _indicator(child.get("ind2"), tag, problems), subfields))
        elif name and name not in OAI_LEFTOVERS:
            problems.append(f"unexpected element <{name}> inside a MARC record skipped")
    if leader is None:
        problems.append("record has no leader; a default leader (language material, monograph) was assumed")
        leader = DEFAULT_LEADER
    elif len(leader) != 24:
        problems.append(f"leader is {len(leader)} characters long, not 24; padded or cut to 24")
        leader = (leader + DEFAULT_LEADER[len(leader):])[:24]
    record.leader = leader
    check_text(record)
    return record


def _indicator(value: str | None, tag: str, problems: list[str]) -> str:
    if value is None or value == "":
        return " "
    if len(value) != 1:
        problems.append(f"field {tag}: indicator {value!r} is not one character; first kept")
    return value[:1]
