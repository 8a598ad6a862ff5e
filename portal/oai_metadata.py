"""The metadata an OAI-PMH record carries, in each offered format, built from the stores.

MARC is served as harvested (the raw record in the record store, or, for a record a library enriched,
the harvested record with its overlays merged by the transform: `transform.overlays`), re-namespaced: libraries send
MARCXML slim or marcxchange and a harvester asking for one must get that one. `marcxchange` adds the
record's separate holdings records (linked by 004) in the same collection, the shape Norwegian
union catalogues exchange. `oai_dc` is a plain crosswalk of the main fields; `bibframe` is the
record's own named graph from the graph store as RDF/XML.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field as dc_field

from lxml import etree

from portal.oai_namespaces import DC, MARCX, OAI_DC, RDF, SLIM, XSI

log = logging.getLogger(__name__)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True, huge_tree=True)
MARC_NAMESPACES = (SLIM, MARCX, "")


def metadata_for(provider, item, prefix: str):
    """The record's metadata element in `prefix`, or None when the item has none in that format (the
    cause is logged with the source and identifier; GetRecord then answers cannotDisseminateFormat)."""
    if prefix == "bibframe":
        return _bibframe(provider, item)
    record = _marc_element(item.marcxml)
    if record is None:
        return None
    try:
        if prefix == "marc21":
            return _renamed(record, SLIM, "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd", item=item)
        if prefix == "marcxchange":
            return _marcxchange(provider, item, record)
    except Undisseminable as exc:
        log.warning("OAI-PMH: %s %s cannot be served as %s: %s", item.source, item.identifier, prefix, exc)
        return None
    if prefix == "oai_dc":
        return _oai_dc(record)
    return None


def _marc_element(text: str | None):
    if not text:
        return None
    try:
        root = etree.fromstring(text.encode("utf-8"), _PARSER)
    except etree.XMLSyntaxError:
        return None
    if etree.QName(root).localname == "collection":
        found = [c for c in root if isinstance(c.tag, str) and etree.QName(c).localname == "record"]
        root = found[0] if found else None
    return root


def _renamed(record, namespace: str, schema: str | None, record_type: str | None = None, nsmap=None, item=None):
    """A copy of a MARC record element in `namespace` (slim and marcxchange share their element names),
    in the order and value space that namespace's schema demands: leader, control fields, data fields.

    The stored record stays as harvested; only this served copy is conformed (see
    `conform_leader` and `conform_field`), and every part left out is logged with the record it came from.
    """
    out = etree.Element(f"{{{namespace}}}record", nsmap=nsmap or {"marc": namespace, "xsi": XSI})
    if schema:
        out.set(f"{{{XSI}}}schemaLocation", f"{namespace} {schema}")
    if namespace == MARCX:
        out.set("format", "MARC21")
        out.set("type", record_type or record.get("type") or "Bibliographic")
    elif record.get("type") in ("Bibliographic", "Authority", "Holdings", "Classification", "Community"):
        out.set("type", record.get("type"))
    leader, controls, datas, dropped = None, [], [], []
    for child in record:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if name == "leader" and leader is None:
            leader = child.text or ""
        elif name == "controlfield":
            controls.append(child)
        elif name == "datafield":
            datas.append(child)
    if leader is None:
        raise Undisseminable("the record has no leader")
    etree.SubElement(out, f"{{{namespace}}}leader").text = conform_leader(leader, namespace)
    for child in controls + datas:
        kind = etree.QName(child).localname
        subfields = [(s.get("code"), s.text or "") for s in child
                     if isinstance(s.tag, str) and etree.QName(s).localname == "subfield"]
        field = conform_field(namespace, kind, child.get("tag"), child.get("ind1"), child.get("ind2"),
                              child.text or "", subfields)
        dropped += field.dropped
        if field.tag is None:
            continue
        copy = etree.SubElement(out, f"{{{namespace}}}{kind}", tag=field.tag)
        if kind == "controlfield":
            copy.text = field.text
            continue
        copy.set("ind1", field.ind1)
        copy.set("ind2", field.ind2)
        for code, text in field.subfields:
            etree.SubElement(copy, f"{{{namespace}}}subfield", code=code).text = text
    if dropped:
        where = f"{item.source} {item.identifier}" if item is not None else "a record"
        log.info("OAI-PMH: %s served without parts its schema cannot hold: %s", where, "; ".join(dropped))
    return out


# -- what each MARC schema can hold ------------------------------------------------------------
#
# MARC21slim.xsd and marcxchange-1-1.xsd constrain the leader position by position, tags, indicators
# and subfield codes. A harvested record may break them (a '#' or '|' for a blank indicator, '^' for
# a blank in the leader, a local control field FMT, a subfield code 'é'); the served copy must still
# validate, or a strict harvester rejects the whole page. Only what breaks the pattern changes: leader
# positions that are computed or fixed in XML (record length, base address, indicator and subfield-code
# counts, entry map) get their standard values, coded positions and indicators become blank, and a tag
# or subfield code the schema cannot carry is left out of the served copy and logged. Leader/06 (type
# of record) has no blank: when it is broken the record is not offered in that format at all.

class Undisseminable(ValueError):
    """The record cannot be expressed in the requested MARC schema."""


_BLANKABLE = re.compile(r"[0-9A-Za-z ]")
_LATIN = re.compile(r"[\x20-\x7e]")
_DIGIT = re.compile(r"[0-9]")
_SLIM_LEADER = [(range(0, 5), re.compile(r"[0-9 ]"), "0"), (range(5, 6), _BLANKABLE, " "),
                (range(6, 7), re.compile(r"[0-9A-Za-z]"), None), (range(7, 10), _BLANKABLE, " "),
                (range(10, 12), re.compile(r"[2 ]"), "2"), (range(12, 17), re.compile(r"[0-9 ]"), "0"),
                (range(17, 20), _BLANKABLE, " ")]
_MARCX_LEADER = [(range(0, 5), _DIGIT, "0"), (range(5, 10), _LATIN, " "), (range(10, 12), _DIGIT, "2"),
                 (range(12, 17), _DIGIT, "0"), (range(17, 20), _LATIN, " "), (range(20, 21), _DIGIT, "4"),
                 (range(21, 22), _DIGIT, "5"), (range(22, 23), _DIGIT, "0"), (range(23, 24), _LATIN, "0")]
_TAGS = {
    (SLIM, "controlfield"): re.compile(r"00[1-9A-Za-z]"),
    (SLIM, "datafield"): re.compile(r"0[1-9A-Z][0-9A-Z]|0[1-9a-z][0-9a-z]|[1-9A-Z][0-9A-Z]{2}|[1-9a-z][0-9a-z]{2}"),
    (MARCX, "controlfield"): re.compile(r"00[1-9A-Za-z]"),
    (MARCX, "datafield"): re.compile(r"00[1-9A-Za-z]|0[1-9A-Za-z][0-9A-Za-z]|[1-9A-Za-z][0-9A-Za-z]{2}"),
}
_INDICATOR = {SLIM: re.compile(r"[0-9a-z ]"), MARCX: _LATIN}
_CODE = {SLIM: re.compile(r"[0-9A-Za-z!\"#$%&'()*+,\-./:;<=>?{}_^`~\[\]\\]"),
         MARCX: re.compile(r"[\x21-\x7e\xa1-\xff]{1,8}")}       # MarcXchange allows local codes of 8


def conform_leader(leader: str, namespace: str) -> str:
    """The leader as `namespace`'s schema accepts it (24 characters, each position in its class)."""
    chars = list(leader[:24].ljust(24))
    if namespace == SLIM:
        tail = "".join(chars[20:24])
        chars[20:24] = tail if tail in ("4500", "    ") else "4500"
    rules = _SLIM_LEADER if namespace == SLIM else _MARCX_LEADER
    for positions, allowed, default in rules:
        for i in positions:
            if not allowed.fullmatch(chars[i]):
                if default is None:
                    raise Undisseminable(f"leader/{i:02d} {chars[i]!r} is not a type of record")
                chars[i] = default
    return "".join(chars)


@dataclass
class Field:
    tag: str | None                         # None: the field cannot be carried at all
    ind1: str = " "
    ind2: str = " "
    text: str = ""
    subfields: list[tuple[str, str]] = dc_field(default_factory=list)
    dropped: list[str] = dc_field(default_factory=list)


def conform_field(namespace: str, kind: str, tag, ind1, ind2, text: str, subfields) -> Field:
    """One control or data field as `namespace`'s schema accepts it, and what had to be left out."""
    tag = tag or ""
    if not _TAGS[(namespace, kind)].fullmatch(tag):
        return Field(None, dropped=[f"{kind} with tag {tag!r}"])
    if kind == "controlfield":
        return Field(tag, text=text)
    out = Field(tag)
    indicator = _INDICATOR[namespace]
    out.ind1, out.ind2 = ((v or " ")[:1] if indicator.fullmatch((v or " ")[:1]) else " " for v in (ind1, ind2))
    for code, value in subfields:
        code = code or ""
        if _CODE[namespace].fullmatch(code):
            out.subfields.append((code, value))
        else:
            out.dropped.append(f"{tag} subfield with code {code!r}")
    if not out.subfields:
        out.dropped.append(f"{tag} without subfields")
        out.tag = None
    return out


def _marcxchange(provider, item, record):
    collection = etree.Element(f"{{{MARCX}}}collection", nsmap={"marc": MARCX, "xsi": XSI})
    collection.set(f"{{{XSI}}}schemaLocation", f"{MARCX} http://www.loc.gov/standards/iso25577/marcxchange-1-1.xsd")
    collection.append(_renamed(record, MARCX, None, "Bibliographic", nsmap={"marc": MARCX}, item=item))
    if provider.record_store is not None and item.control_number:
        for holding in provider.record_store.holdings_for(item.source, item.control_number):
            element = _marc_element(holding.marcxml)
            if element is None:
                continue
            try:
                collection.append(_renamed(element, MARCX, None, "Holdings", nsmap={"marc": MARCX}, item=holding))
            except Undisseminable as exc:     # one broken holdings record must not hide the bibliographic one
                log.warning("OAI-PMH: holdings %s %s left out of %s: %s", holding.source, holding.identifier,
                            item.identifier, exc)
    return collection


def _subfields(record, tags: tuple[str, ...], codes: str) -> list[str]:
    out = []
    for field in record:
        if not isinstance(field.tag, str) or etree.QName(field).localname != "datafield":
            continue
        if field.get("tag") not in tags:
            continue
        text = " ".join((s.text or "").strip() for s in field
                        if isinstance(s.tag, str) and len(s.get("code") or "") == 1 and s.get("code") in codes
                        and (s.text or "").strip())
        text = text.strip(" /:;,.=")
        if text:
            out.append(text)
    return out


def _control(record, tag: str) -> str:
    for field in record:
        if isinstance(field.tag, str) and etree.QName(field).localname == "controlfield" and field.get("tag") == tag:
            return field.text or ""
    return ""


def _oai_dc(record):
    dc = etree.Element(f"{{{OAI_DC}}}dc", nsmap={"oai_dc": OAI_DC, "dc": DC, "xsi": XSI})
    dc.set(f"{{{XSI}}}schemaLocation", f"{OAI_DC} http://www.openarchives.org/OAI/2.0/oai_dc.xsd")
    f008 = _control(record, "008")
    language = f008[35:38].strip(" |") if len(f008) >= 38 else ""
    fields = (
        ("title", _subfields(record, ("245",), "abnp")),
        ("creator", _subfields(record, ("100", "110", "111"), "abcdq")),
        ("contributor", _subfields(record, ("700", "710", "711"), "abcdq")),
        ("subject", _subfields(record, ("600", "610", "611", "630", "650", "651"), "abcdvxyz")),
        ("description", _subfields(record, ("520",), "a")),
        ("publisher", _subfields(record, ("260", "264"), "b")),
        ("date", _subfields(record, ("260", "264"), "c") or ([f008[7:11]] if f008[7:11].isdigit() else [])),
        ("type", ["Text"] if (_leader(record)[6:7] in ("a", "t")) else []),
        ("format", _subfields(record, ("300",), "a")),
        ("identifier", [f"ISBN {v}" for v in _subfields(record, ("020",), "a")]),
        ("language", list(dict.fromkeys(([language] if language else []) + _subfields(record, ("041",), "a")))),
    )
    for name, values in fields:
        for value in values:
            etree.SubElement(dc, f"{{{DC}}}{name}").text = value
    return dc


def _leader(record) -> str:
    for field in record:
        if isinstance(field.tag, str) and etree.QName(field).localname == "leader":
            return field.text or ""
    return ""


def _bibframe(provider, item):
    if provider.graph is None:
        return None
    from transform.serialize import serialize
    graph = provider.graph()
    triples = graph.graph_for(item.source, item.record_id)
    if not triples:
        return None
    root = etree.fromstring(serialize(triples, "xml"), _PARSER)
    if etree.QName(root).localname != "RDF" or etree.QName(root).namespace != RDF:
        return None
    return root
