"""The metadata an OAI-PMH record carries, in each offered format, built from the stores.

MARC is served as harvested (the raw record in the record store), re-namespaced: libraries send
MARCXML slim or marcxchange and a harvester asking for one must get that one. `marcxchange` adds the
record's separate holdings records (linked by 004) in the same collection, the shape Norwegian
union catalogues exchange. `oai_dc` is a plain crosswalk of the main fields; `bibframe` is the
record's own named graph from the graph store as RDF/XML.
"""

from __future__ import annotations

from lxml import etree

from portal.oai_provider import DC, MARCX, OAI_DC, RDF, SLIM, XSI

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True, huge_tree=True)
MARC_NAMESPACES = (SLIM, MARCX, "")


def metadata_for(provider, item, prefix: str):
    if prefix == "bibframe":
        return _bibframe(provider, item)
    record = _marc_element(item.marcxml)
    if record is None:
        return None
    if prefix == "marc21":
        return _renamed(record, SLIM, "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd")
    if prefix == "marcxchange":
        return _marcxchange(provider, item, record)
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


def _renamed(record, namespace: str, schema: str | None, record_type: str | None = None, nsmap=None):
    """A copy of a MARC record element in `namespace` (slim and marcxchange share their element names)."""
    out = etree.Element(f"{{{namespace}}}record", nsmap=nsmap or {"marc": namespace, "xsi": XSI})
    if schema:
        out.set(f"{{{XSI}}}schemaLocation", f"{namespace} {schema}")
    if namespace == MARCX:
        out.set("format", "MARC21")
        out.set("type", record_type or record.get("type") or "Bibliographic")
    elif record.get("type") in ("Bibliographic", "Authority", "Holdings", "Classification", "Community"):
        out.set("type", record.get("type"))
    for child in record:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if name not in ("leader", "controlfield", "datafield"):
            continue
        copy = etree.SubElement(out, f"{{{namespace}}}{name}")
        for attr in ("tag", "ind1", "ind2"):
            if child.get(attr) is not None:
                copy.set(attr, child.get(attr))
        if name == "datafield":
            for attr in ("ind1", "ind2"):
                copy.set(attr, (child.get(attr) or " ")[:1] or " ")
            for sub in child:
                if isinstance(sub.tag, str) and etree.QName(sub).localname == "subfield":
                    s = etree.SubElement(copy, f"{{{namespace}}}subfield", code=(sub.get("code") or " ")[:1])
                    s.text = sub.text or ""
        else:
            copy.text = child.text or ""
    return out


def _marcxchange(provider, item, record):
    collection = etree.Element(f"{{{MARCX}}}collection", nsmap={"marc": MARCX, "xsi": XSI})
    collection.set(f"{{{XSI}}}schemaLocation", f"{MARCX} http://www.loc.gov/standards/iso25577/marcxchange-1-1.xsd")
    collection.append(_renamed(record, MARCX, None, "Bibliographic", nsmap={"marc": MARCX}))
    if provider.record_store is not None and item.control_number:
        for holding in provider.record_store.holdings_for(item.source, item.control_number):
            element = _marc_element(holding.marcxml)
            if element is not None:
                collection.append(_renamed(element, MARCX, None, "Holdings", nsmap={"marc": MARCX}))
    return collection


def _subfields(record, tags: tuple[str, ...], codes: str) -> list[str]:
    out = []
    for field in record:
        if not isinstance(field.tag, str) or etree.QName(field).localname != "datafield":
            continue
        if field.get("tag") not in tags:
            continue
        text = " ".join((s.text or "").strip() for s in field
                        if isinstance(s.tag, str) and s.get("code") in codes and (s.text or "").strip())
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
