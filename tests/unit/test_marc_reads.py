"""MARC is read by the tables (`transform/mapping/*.map`, `readings.table`) and their engines, nowhere else.

A module that needs a fact from a record asks a named reading (`readings.values(record, "cluster.isbn")`);
this test fails when one reads a tag itself again: `get_fields(...)`, `get_subfields(...)`, `record["245"]`,
`record.get("952")`, `record.control("001")`, `record.has("852")`, or `field.tag == "876"`.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from transform import readings

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "vocab", "harvest", "transform", "index", "circulation", "lists", "accounts", "portal",
            "grenselos", "bench")
TAG = re.compile(r"^(?:\d{3}|LDR)$")

#: The engines: the only modules that read a record's fields by tag, each with why.
ENGINES = {
    "transform/readings.py": "the readings engine (mapping/readings.table)",
    "transform/engine.py": "the mapping engine (mapping/*.map)",
    "transform/convert.py": "the mapping engine's walk over a record's fields",
    "transform/steps.py": "the mapping tables' field steps",
    "transform/examples.py": "the mapping tables' examples, parsed into records",
    "harvest/marcdata.py": "the record model (below transform: harvest cannot ask transform's readings)",
    "harvest/marcxml.py": "the MARCXML reader (below transform)",
    "harvest/reader.py": "the MARC file reader (below transform)",
    "harvest/files.py": "the import's record identity, 001/003/004 (below transform)",
}
ALWAYS = {"get_fields", "get_subfields"}          # reads whatever their arguments
WITH_A_TAG = {"get", "control", "has", "first"}   # reads when their first argument is a tag literal


def _reads(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            tags = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
                    and TAG.match(a.value)]
            first = node.args[0] if node.args else None
            named = isinstance(first, ast.Constant) and isinstance(first.value, str) and TAG.match(first.value)
            if name in ALWAYS or (name in WITH_A_TAG and named):
                yield node.lineno, f".{name}({', '.join(tags)})"
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
                and isinstance(node.slice.value, str) and TAG.match(node.slice.value):
            yield node.lineno, f"[{node.slice.value!r}]"
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if not any(isinstance(s, ast.Attribute) and s.attr == "tag" for s in sides):
                continue
            for side in sides:
                elements = side.elts if isinstance(side, ast.Tuple | ast.List | ast.Set) else [side]
                if any(isinstance(e, ast.Constant) and isinstance(e.value, str) and TAG.match(e.value)
                       for e in elements):
                    yield node.lineno, ".tag compared with a tag"
                    break


def test_no_module_outside_the_engines_reads_a_marc_tag():
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            where = path.relative_to(ROOT).as_posix()
            if where in ENGINES:
                continue
            for line, what in _reads(ast.parse(path.read_text(encoding="utf-8"))):
                offenders.append(f"{where}:{line}: {what}")
    assert offenders == [], "read MARC through a named reading (transform/mapping/readings.table):\n" + \
        "\n".join(offenders)


def test_the_guard_catches_each_kind_of_read():
    source = ('r.get_fields("245")\nf.get_subfields("a")\nr["001"]\nr.get("952")\nr.control("001")\n'
              'r.has("852")\nf.tag in ("876", "877")\nf.tag == "096"\n'
              'values.get("x")\nrow.one("owner")\nnames["a"]\ncodes.get(language, "000")\n')
    assert [line for line, _what in _reads(ast.parse(source))] == [1, 2, 3, 4, 5, 6, 7, 8]


def test_every_reading_the_modules_ask_for_is_in_the_table():
    """A misspelt reading name would fail only when a record reaches it: every literal name passed to the
    readings API is looked up here."""
    asks = {"values", "first", "has", "hits", "fields", "present", "rows", "matches", "count", "tags_present",
            "layout", "reading"}
    missing = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in asks
                        and isinstance(node.func.value, ast.Name) and node.func.value.id == "readings"):
                    for arg in node.args:
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and "." in arg.value \
                                and arg.value not in readings.table():
                            missing.append(f"{path.relative_to(ROOT)}:{node.lineno}: {arg.value}")
    assert missing == []
