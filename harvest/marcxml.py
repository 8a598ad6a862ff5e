"""Reading MARCXML as it really arrives: MARC21 slim, marcxchange, or no namespace at all.

lxml does the parsing (pymarc's SAX reader is several times slower); `harvest.marcdata` builds
the records. A record that cannot be read raises `MarcError` with a cause a librarian can act on, and
pages that are not well-formed are split at record boundaries so one bad record never costs its
neighbours.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterator

from lxml import etree

from harvest.errors import MarcError

SLIM = "http://www.loc.gov/MARC21/slim"
MARCXCHANGE = "info:lc/xmlns/marcxchange-v1"
NAMESPACES = (SLIM, MARCXCHANGE, "http://www.bs.dk/standards/MarcXchange", "")

HOLDINGS_TYPES = set("uvxy")
#: OAI header elements that Koha's OAI server (and records cut out of its responses) leave inside <record>.
OAI_LEFTOVERS = {"identifier", "datestamp", "setSpec"}
AUTHORITY_TYPES = {"z"}

#: Characters XML 1.0 forbids; they turn up in real MARC data (raw subfield delimiters, ESC).
ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_RECORD_SPLIT = re.compile(rb"<(?:[A-Za-z][\w.-]*:)?record[\s>/].*?</(?:[A-Za-z][\w.-]*:)?record\s*>",
                           re.S)

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_comments=True)


@dataclass(frozen=True)
class RecordInfo:
    """What the store needs to know about a record without converting it."""
    record_type: str          # bib, holdings, authority
    control_number: str | None
    parent: str | None        # 004: the bibliographic record a holdings record belongs to
    deleted: bool             # leader/05 'd'
    format_label: str         # marc21 or marcxchange


_LOCAL_NAMES: dict[str, str] = {}
_SUBFIELD_TAGS: dict[str, str] = {}
_CACHE_LIMIT = 4096
"""Tag strings seen so far (a page has a handful); bounded so hostile input cannot grow it without end."""


def local(tag: str) -> str:
    """`{ns}datafield` -> `datafield`; '' for a comment or processing instruction (whose tag is a function)."""
    name = _LOCAL_NAMES.get(tag) if isinstance(tag, str) else ""
    if name is None:
        name = tag.rpartition("}")[2]
        if len(_LOCAL_NAMES) < _CACHE_LIMIT:
            _LOCAL_NAMES[tag] = name
    return name


def _subfield_tag(datafield_tag: str) -> str:
    """The subfield tag in the same namespace as a datafield's: what almost every child of it is."""
    tag = _SUBFIELD_TAGS.get(datafield_tag)
    if tag is None:
        tag = datafield_tag[:-len("datafield")] + "subfield"
        if len(_SUBFIELD_TAGS) < _CACHE_LIMIT:
            _SUBFIELD_TAGS[datafield_tag] = tag
    return tag


def namespace(tag: str) -> str:
    return tag[1:].partition("}")[0] if isinstance(tag, str) and tag.startswith("{") else ""


def is_marc_record(element) -> bool:
    return local(element.tag) == "record" and namespace(element.tag) in NAMESPACES


def find_records(root) -> list:
    """MARC record elements under root (itself included), in any accepted namespace."""
    return [el for el in root.iter() if is_marc_record(el) and any(
        local(child.tag) in ("leader", "controlfield", "datafield") for child in el)]


def _text(element) -> str:
    return element.text or ""


def inspect(element) -> RecordInfo:
    """Check a record element's structure and read its type, 001 and 004; raise MarcError if broken.

    One pass over the children; local names come from a cache, and a subfield is recognised by comparing
    its tag with the expected `{ns}subfield` string, so the common case costs one comparison and one
    attribute read per subfield. Anything unusual goes through `_check_subfield` for the exact cause.
    """
    leader = None
    control_number = parent = None
    names, subfield_tags = _LOCAL_NAMES, _SUBFIELD_TAGS
    for child in element:
        element_tag = child.tag
        name = names.get(element_tag) or local(element_tag)   # comments: a function, not in the cache
        if name == "datafield":
            tag = child.get("tag")
            if not tag or len(tag) != 3:
                raise MarcError(f"data field without a valid tag ({tag!r})")
            expected = subfield_tags.get(element_tag) or _subfield_tag(element_tag)
            for sub in child:
                if sub.tag != expected or not sub.get("code"):
                    _check_subfield(tag, sub)
        elif name == "controlfield":
            tag = child.get("tag")
            if not tag or len(tag) != 3:
                raise MarcError(f"control field without a valid tag ({tag!r})")
            if tag == "001":
                control_number = _text(child).strip() or None
            elif tag == "004":
                parent = _text(child).strip() or None
        elif name == "leader":
            leader = _text(child)
        elif name in OAI_LEFTOVERS or not name:
            continue
        else:
            raise MarcError(f"unexpected element <{name}> inside a MARC record")
    if leader is None:
        raise MarcError("record has no leader")
    if len(leader) != 24:
        raise MarcError(f"leader is {len(leader)} characters long, not 24: {leader!r}")
    record_type = "holdings" if leader[6] in HOLDINGS_TYPES else (
        "authority" if leader[6] in AUTHORITY_TYPES else "bib")
    fmt = "marcxchange" if namespace(element.tag) != SLIM and namespace(element.tag) else "marc21"
    return RecordInfo(record_type, control_number, parent, leader[5] == "d", fmt)


def _check_subfield(tag: str, sub) -> None:
    """A datafield child that is not a plain `{same ns}subfield` with a code: fine or the exact cause."""
    if callable(sub.tag):            # a comment or processing instruction
        return
    if local(sub.tag) != "subfield":
        raise MarcError(f"field {tag} has an unexpected element <{local(sub.tag)}> instead of <subfield>")
    if not sub.get("code"):
        raise MarcError(f"field {tag} has a subfield without a code")


def serialize(element) -> str:
    """The record element as a standalone XML string, NFC-normalised; the text the store keeps."""
    text = etree.tostring(element, encoding="unicode")
    return unicodedata.normalize("NFC", text)


def checksum(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_record(xml: str | bytes):
    """Parse one stored record string back into an element."""
    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    try:
        root = etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise MarcError(f"not well-formed XML: {exc}") from None
    if is_marc_record(root) and any(local(child.tag) in ("leader", "controlfield", "datafield") for child in root):
        return root          # what the record store keeps: no need to walk every field and subfield
    found = find_records(root)
    if not found:
        raise MarcError("no MARC record element found")
    return found[0]


def salvage_records(raw: bytes) -> Iterator[tuple[object | None, bytes, MarcError | None]]:
    """Split text that is not well-formed into record-sized pieces and parse each alone.

    Yields (element, raw piece, None) for a piece that parses, and (None, raw piece, error) for one
    that does not, so that the caller quarantines exactly the bad records. Illegal control characters
    are never silently removed: a record holding them is reported with their positions.
    """
    for match in _RECORD_SPLIT.finditer(raw):
        piece = match.group(0)
        text = piece.decode("utf-8", errors="replace")
        bad = ILLEGAL_XML.search(text)
        if bad:
            yield None, piece, MarcError(
                f"illegal XML control character U+{ord(bad.group()):04X} at offset {bad.start()}")
            continue
        if "\ufffd" in text and b"\xef\xbf\xbd" not in piece:
            yield None, piece, MarcError("bytes that are not valid UTF-8")
            continue
        wrapped = _with_namespaces(piece, raw)
        try:
            element = etree.fromstring(wrapped, _PARSER)
        except etree.XMLSyntaxError as exc:
            yield None, piece, MarcError(f"not well-formed XML: {exc}")
            continue
        found = find_records(element)
        yield (found[0], piece, None) if found else (None, piece, MarcError("no MARC record element"))


def _with_namespaces(piece: bytes, whole: bytes) -> bytes:
    """Re-declare the prefixes a cut-out piece uses, taking them from the document it came from."""
    declared = dict(re.findall(rb'xmlns:([\w.-]+)="([^"]*)"', whole[:4096]))
    used = set(re.findall(rb"<([\w.-]+):", piece))
    extra = b"".join(b' xmlns:%s="%s"' % (p, declared[p]) for p in used if p in declared
                     and b"xmlns:" + p not in piece[:piece.find(b">")])
    if not extra:
        return piece
    end = re.search(rb"[\s>/]", piece[1:]).start() + 1
    return piece[:end] + extra + piece[end:]
