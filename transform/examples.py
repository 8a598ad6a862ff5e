"""Running the examples written inside the mapping tables (as LIBRIS marcframe does).

An example is a few MARC lines in the form cataloguers write them (`245 10 $a Title : $b sub`) and
expectations over the converted graph: `expect instance bf:title/bf:mainTitle "Title"` follows the
path from the instance (or work, or first item) and wants that value among the results; `absent`
wants none (`"1998"^^<datatype>` and `"陈琪"@zh-Hani` are typed and tagged
literals); `warns "text"` wants a warning containing the text. `</agent/...>` is an IRI under the
base URI. tests/mapping runs every example; `check_all` lets a cataloguer run them without pytest.
"""

from __future__ import annotations

import re

from pyoxigraph import Literal, NamedNode

from harvest.marcdata import ControlField, DataField, MarcData, Subfield
from transform import bibframe
from transform.engine import Example

EXAMPLE_BASE = "http://example.org"
DEFAULT_LEADER = "00000nam a2200000 a 4500"
DEFAULT_008 = "000000s2000    no            000 0 nob d"


def record_from_lines(lines: list[str]) -> MarcData:
    """Build a record from `TAG IND $aValue $bValue` lines (`#` or `_` is a blank indicator)."""
    record = MarcData(DEFAULT_LEADER)
    for line in lines:
        tag, _, rest = line.partition(" ")
        if tag == "LDR":
            record.leader = rest.ljust(24)[:24]
        elif tag < "010":
            data = rest.ljust(40) if tag == "008" else rest
            record.fields.append(ControlField(tag, data))
        else:
            ind, _, body = rest.partition(" ")
            ind = ind.replace("#", " ").replace("_", " ").ljust(2)
            subfields = [Subfield(m.group(1), m.group(2).strip().replace("{dollar}", "$"))
                         for m in re.finditer(r"\$(\w)\s?([^$]*)", body)]
            record.fields.append(DataField(tag, ind[0], ind[1], subfields))
    return record


def _value(text: str):
    text = text.strip()
    m = re.fullmatch(r'"(.*)"(?:\^\^<([^>]+)>|@([A-Za-z0-9-]+))', text)
    if m:   # "1998"^^<http://id.loc.gov/datatypes/edtf>, "陈琪"@zh-Hani
        return Literal(m.group(1), datatype=NamedNode(m.group(2))) if m.group(2) else Literal(
            m.group(1), language=m.group(3))
    if text.startswith('"') and text.endswith('"'):
        return Literal(text[1:-1])
    if text.startswith("</"):
        return NamedNode(EXAMPLE_BASE + text[1:-1])
    if text == "*":
        return None
    return NamedNode(bibframe.expand(text))


def follow(triples, start, path: str) -> list:
    """Objects reached from `start` along `p1/p2/...` (prefixed names)."""
    index: dict = {}
    for t in triples:
        index.setdefault((t.subject, t.predicate), []).append(t.object)
    nodes = [start]
    for step in path.split("/"):
        pred = NamedNode(bibframe.expand(step))
        nodes = [o for n in nodes for o in index.get((n, pred), [])]
    return nodes


def check(converter, example: Example) -> list[str]:
    """Run one example; returns what failed (empty when it holds)."""
    from transform.convert import ConvertContext
    record = record_from_lines(example.marc)
    ctx = ConvertContext("example", "1", isil="NO-0000000")
    result = converter.convert(record, ctx)
    starts = {"instance": NamedNode(result.instance_uri), "work": NamedNode(result.work_uri),
              "item": NamedNode(result.instance_uri + "/item/1")}
    failures = []
    for number, kind, where, value in example.expect:
        if kind == "warns":
            if not any(value in w for w in result.warnings):
                failures.append(f"{example.path.name}:{number}: no warning containing {value!r} "
                                f"(warnings: {result.warnings})")
            continue
        subject, path = where.split(" ", 1)
        found = follow(result.triples, starts[subject], path)
        wanted = _value(value) if value is not None else None
        hit = bool(found) if wanted is None else wanted in found
        if kind == "expect" and not hit:
            failures.append(f"{example.path.name}:{number}: {subject} {path} gave {[str(f) for f in found]}, "
                            f"expected {value}")
        if kind == "absent" and hit:
            failures.append(f"{example.path.name}:{number}: {subject} {path} should not give {value or 'anything'}")
    return failures


def check_all(converter) -> list[str]:
    failures = []
    for example in converter.tables.examples():
        failures += check(converter, example)
    return failures
