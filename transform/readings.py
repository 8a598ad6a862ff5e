"""Named readings of a MARC record (`mapping/readings.table`): the facts Python needs without a graph.

Why a table and not `record.get_fields("245")` in code: MARC is read in one place, by tables a
cataloguer can read (the BIBFRAME mapping in `mapping/*.map`, these readings beside it), so a change of
practice (another tag for the local upgrade mark, 084 next to 082) is a change of one line, and every
tag the Python relies on can be listed. A mistake in the table fails at load time with file and line,
as the mapping engine's do.

A reading is a list of field specs and a pipe of steps: `values` gives the values (after the steps),
`hits` the fields that gave them (what enrichment copies into an overlay) or the control-field positions
(008/35-37). A reading with named columns (`952 home=a barcode=p`) gives `rows`, one a field in the
record's order, for the Python that needs several subfields of one field together (a copy, an identifier
and its agency). `matches` asks whether a field is one a reading names (its tag and indicators).

The records are `harvest.marcdata.MarcData` (or a `View` of one); the accessors at the end of this
module are the only place one is touched, and the readings are compiled once (the cluster keys run them
for every record of a harvest).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from core.errors import FatalError
from transform import text_steps as steps
from vocab import languages as languages_vocab

TABLE = Path(__file__).parent / "mapping" / "readings.table"
_SPEC = re.compile(r"^(LDR|\d{3})(?:\(([^()]*)\))?(?:\[(\d+)(?:-(\d+))?\]|([a-z0-9]*))$")
_INDICATOR = re.compile(r"\*|_|[0-9a-z]|\[\^?[0-9a-z_]+\]")
_COLUMN = re.compile(r"^([a-z][a-z_]*)=([a-z0-9]+)(?:/(skip-ind[12]))?$")


class ReadingError(FatalError):
    """The readings table is wrong: names the file and line."""

    def __init__(self, path, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")


def _language(values, env):
    out = []
    for v in values:
        code = languages_vocab.normalize(v)
        if code and code not in ("und", "zxx"):
            out.append(code)
    return out


#: The steps a reading may use: the mapping engine's text steps (they need no conversion context) and
#: `language`. Anything else is refused at load time.
STEPS = {"clean": steps.clean, "trim": steps.trim, "first": steps.first, "code": steps.code, "language": _language}


def _indicator(token: str):
    """One indicator position of a spec: None (any), or (allowed characters, negated)."""
    if token == "*":
        return None
    chars = token.strip("[]").lstrip("^").replace("_", " ") if token.startswith("[") else token.replace("_", " ")
    return frozenset(chars), token.startswith("[^")


@dataclass(frozen=True)
class Spec:
    tag: str
    codes: str = ""                   # subfield codes ("" = the whole field)
    start: int | None = None          # a slice of a control field or the leader
    end: int | None = None
    indicators: str = ""              # "(2*)" as written; "" = any
    ind1: tuple | None = None         # compiled from `indicators`: (characters, negated) or None
    ind2: tuple | None = None

    @property
    def is_slice(self) -> bool:
        return self.start is not None

    def text(self) -> str:
        where = f"({self.indicators})" if self.indicators else ""
        if self.is_slice:
            return f"{self.tag}{where}[{self.start}{'' if self.end == self.start else f'-{self.end}'}]"
        return self.tag + where + self.codes

    def accepts(self, field) -> bool:
        """The field's indicators are the ones this spec names (always, without an indicator pattern)."""
        if self.ind1 is None and self.ind2 is None:
            return True
        if _is_control(field):
            return False
        for want, have in ((self.ind1, _indicator_of(field, 1)), (self.ind2, _indicator_of(field, 2))):
            if want is not None and ((have in want[0]) == want[1]):
                return False
        return True


@dataclass(frozen=True)
class Column:
    name: str
    codes: str
    skip: int = 0                     # 1 or 2: the first $a loses as many characters as that indicator says


@dataclass(frozen=True)
class Reading:
    name: str
    specs: tuple[Spec, ...]
    steps: tuple[str, ...]
    line: int
    columns: tuple[Column, ...] = ()

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.tag for s in self.specs))


class Hit(NamedTuple):
    """One thing a reading found: its value(s) and where (a whole field, or a slice of one)."""
    spec: Spec
    field: object                     # the field (None for the leader)
    values: tuple[str, ...]


class Row:
    """One field of a reading with columns: each column's values (non-empty, in the field's order)."""

    __slots__ = ("field", "items", "_by")

    def __init__(self, field, items: list[tuple[str, str]], by: dict[str, list[str]]):
        self.field = field
        self.items = items            # (column, value) in the field's subfield order
        self._by = by                 # column -> its values

    def all(self, column: str) -> list[str]:
        return self._by.get(column, [])

    def one(self, column: str) -> str:
        """The column's first value with text, stripped ("" when none)."""
        for value in self._by.get(column, ()):
            if value.strip():
                return value.strip()
        return ""

    def texts(self, column: str) -> list[str]:
        """The column's values that have text (unstripped)."""
        return [v for v in self._by.get(column, ()) if v.strip()]


def _spec(token: str, path, number: int) -> Spec:
    m = _SPEC.match(token)
    if not m:
        raise ReadingError(path, number, f"{token!r} is not a field spec (245, 245ab, 024(2*)a, 008[35-37])")
    tag, pattern, start, end, codes = m.groups()
    ind1 = ind2 = None
    if pattern is not None:
        parts = _INDICATOR.findall(pattern)
        if len(parts) != 2 or "".join(parts) != pattern or tag == "LDR" or start is not None:
            raise ReadingError(path, number, f"{token!r}: indicators are two positions of a data field, "
                                             "each * (any), _ (blank), a character or [set] / [^set]")
        ind1, ind2 = _indicator(parts[0]), _indicator(parts[1])
    if start is not None:
        return Spec(tag, "", int(start), int(end if end is not None else start))
    if tag == "LDR":
        raise ReadingError(path, number, "the leader is read by position: LDR[17]")
    return Spec(tag, codes or "", indicators=pattern or "", ind1=ind1, ind2=ind2)


def parse(text: str, path: Path | str = TABLE) -> dict[str, Reading]:
    out: dict[str, Reading] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        head, _bar, pipe = line.partition("|")
        parts = head.split()
        if len(parts) < 2:
            raise ReadingError(path, number, "a reading needs a name and at least one field spec")
        name = parts[0]
        if name in out:
            raise ReadingError(path, number, f"reading {name!r} is defined twice")
        specs, columns = [], []
        for token in parts[1:]:
            if "=" in token:
                m = _COLUMN.match(token)
                if not m:
                    raise ReadingError(path, number, f"{token!r} is not a column (name=codes, name=abnp/skip-ind2)")
                skip = m.group(3)
                columns.append(Column(m.group(1), m.group(2), int(skip[-1]) if skip else 0))
            elif columns:
                raise ReadingError(path, number, f"{token!r}: field specs come before the columns")
            else:
                specs.append(_spec(token, path, number))
        if not specs:
            raise ReadingError(path, number, "a reading needs a name and at least one field spec")
        names = tuple(pipe.split())
        for step in names:
            if step not in STEPS:
                raise ReadingError(path, number, f"unknown step {step!r} (known: {', '.join(sorted(STEPS))})")
        if columns and (names or any(s.codes or s.is_slice for s in specs)):
            raise ReadingError(path, number, "a reading with columns names whole fields (952, 024(2*)) "
                                             "and no steps")
        out[name] = Reading(name, tuple(specs), names, number, tuple(columns))
    return out


@lru_cache(maxsize=1)
def table() -> dict[str, Reading]:
    return parse(TABLE.read_text(encoding="utf-8"))


#: The table's readings once loaded (hits() is asked twenty times a record by the cluster keys).
_READINGS: dict[str, Reading] = {}


def reading(name: str) -> Reading:
    if not _READINGS:
        _READINGS.update(table())
    try:
        return _READINGS[name]
    except KeyError:
        raise ReadingError(TABLE, 0, f"no reading named {name!r}") from None


_LEADER, _SLICE, _CODES, _WHOLE = range(4)
#: name -> (reading, plan, step functions, whether `first` applies): compiled once, read many times.
_COMPILED: dict[str, tuple] = {}


def _compile(name: str) -> tuple:
    r = reading(name)
    if r.columns:
        raise ReadingError(TABLE, r.line, f"reading {name!r} has columns: ask for its rows")
    plan = []
    for spec in r.specs:
        kind = _LEADER if spec.tag == "LDR" else _SLICE if spec.is_slice else _CODES if spec.codes else _WHOLE
        stop = spec.end + 1 if spec.is_slice else None
        plan.append((spec, spec.tag, kind, spec.codes, spec.start, stop,
                     spec.ind1 is not None or spec.ind2 is not None))
    compiled = (r, tuple(plan), tuple(STEPS[step] for step in r.steps), "first" in r.steps)
    _COMPILED[name] = compiled
    return compiled


def _found(record, name: str):
    """The hits of a reading one by one, in the order of its specs and the record's fields."""
    _r, plan, pipe, _first = _COMPILED.get(name) or _compile(name)
    indexed = record.by_tag if type(record) is View else None
    for spec, tag, kind, codes, start, stop, checked in plan:
        if kind == _LEADER:
            found = [_leader(record)[start:stop]]
            for step in pipe:
                found = step(found, None)
            found = [v for v in found if v and isinstance(v, str)]
            if found:
                yield Hit(spec, None, tuple(found))
            continue
        fields_of = indexed.get(tag) if indexed is not None else _fields(record, tag)
        if not fields_of:
            continue
        for field in fields_of:
            if kind == _SLICE:
                found = [_data(field)[start:stop]]
            elif checked and not spec.accepts(field):
                continue
            elif kind == _CODES and not _is_control(field):
                found = [v for c, v in _subfields(field) if v and c in codes]
            else:
                found = [_field_text(field)]
            if pipe:
                for step in pipe:
                    found = step(found, None)
                found = [v for v in found if v and isinstance(v, str)]
            else:
                found = [v for v in found if v]
            if found:
                yield Hit(spec, field, tuple(found))


def hits(record, name: str) -> list[Hit]:
    """Everything the reading finds, in the order of its specs and the record's fields; steps that look
    at the whole list (`first`) apply across all of it."""
    if (_COMPILED.get(name) or _compile(name))[3]:     # `first` is across the reading, not per field
        hit = next(_found(record, name), None)
        return [hit] if hit is not None else []
    return list(_found(record, name))


def values(record, name: str) -> list[str]:
    if (_COMPILED.get(name) or _compile(name))[3]:
        return list(first_hit.values) if (first_hit := next(_found(record, name), None)) else []
    return [v for h in _found(record, name) for v in h.values]


def first(record, name: str) -> str:
    hit = next(_found(record, name), None)
    return hit.values[0] if hit is not None else ""


def has(record, name: str) -> bool:
    return next(_found(record, name), None) is not None


def fields(record, name: str) -> list:
    """The record's fields a reading names (tag and indicators), whether or not they carry a value
    (holdings, 001), in the record's order."""
    specs = reading(name).specs
    tags = {s.tag for s in specs}
    return [f for f in _fields(record, *tags) if any(s.tag == f.tag and s.accepts(f) for s in specs)]


def present(record, name: str) -> bool:
    """The record has a field the reading names, with or without a value (a 765 of a translation)."""
    return bool(fields(record, name))


def matches(field, name: str) -> bool:
    """The field is one the reading names: its tag, and its indicators where the reading gives them."""
    return any(s.tag == field.tag and s.accepts(field) for s in reading(name).specs)


_PLANS: dict[str, tuple] = {}


def _plan(name: str) -> tuple:
    """A column reading compiled: its tags, its specs when indicators decide, subfield code -> columns
    (the columns a first $a skips nonfiling characters in carry that indicator)."""
    r = reading(name)
    if not r.columns:
        raise ReadingError(TABLE, r.line, f"reading {name!r} has no columns: ask for its values")
    by_code: dict[str, list[tuple[str, int]]] = {}
    for column in r.columns:
        for code in column.codes:
            by_code.setdefault(code, []).append((column.name, column.skip if code == "a" else 0))
    checked = r.specs if any(s.ind1 is not None or s.ind2 is not None for s in r.specs) else ()
    plan = _PLANS[name] = (r.tags, checked, {c: tuple(n) for c, n in by_code.items()})
    return plan


def rows(record, name: str) -> list[Row]:
    """One row a field the reading names, in the record's order (fields without a value included).
    A column marked /skip-indN drops from its first $a as many characters as indicator N says (the
    nonfiling article of "The idiot" under 245 14)."""
    tags, checked, by_code = _PLANS.get(name) or _plan(name)
    if type(record) is View and len(tags) == 1:
        found = record.by_tag.get(tags[0], ())
    else:
        found = _fields(record, *tags)
    out = []
    for field in found:
        if checked and not any(s.tag == field.tag and s.accepts(field) for s in checked):
            continue
        items: list[tuple[str, str]] = []
        by: dict[str, list[str]] = {}
        first_a = True
        for code, value in _subfields(field):
            if not value:
                continue
            columns = by_code.get(code)
            if columns:
                for column, skip in columns:
                    if skip and first_a:
                        raw = _indicator_of(field, skip)
                        n = int(raw) if raw.isdigit() else 0
                        value_here = value[n:] if n < len(value) else value
                    else:
                        value_here = value
                    items.append((column, value_here))
                    kept = by.get(column)
                    if kept is None:
                        by[column] = [value_here]
                    else:
                        kept.append(value_here)
            if code == "a":
                first_a = False
        out.append(Row(field, items, by))
    return out


def layout(name: str) -> tuple[str, dict[str, str]]:
    """(tag, column -> its first subfield code) of a column reading: how to write a field that reading
    reads back (the migration stores Mikromarc's copies in the shape the holdings profile reads)."""
    r = reading(name)
    if not r.columns:
        raise ReadingError(TABLE, r.line, f"reading {name!r} has no columns to write")
    return r.specs[0].tag, {c.name: c.codes[0] for c in r.columns}


def tagged(record, tag: str) -> list:
    """The record's fields of one tag named by data rather than by a reading (an overlay's target,
    whose tag comes from mapping/enrichment.table)."""
    return list(_fields(record, tag))


def count(record, name: str) -> int:
    return len(hits(record, name))


def tags_present(record, name: str) -> int:
    """How many of the reading's tags the record has at least once (completeness)."""
    present_tags = {f.tag for f in _all_fields(record)}
    return sum(1 for tag in reading(name).tags if tag in present_tags)


# -- the record, through these accessors only (harvest.marcdata.MarcData, or a View of one) -------

class View:
    """A record about to be asked many questions (the cluster keys ask twenty): its fields indexed by
    tag in one pass, so each reading looks its tags up instead of scanning the record again. Every
    function here takes a view where it takes a record. Make a new view after changing the record."""

    __slots__ = ("record", "leader", "fields", "by_tag")

    def __init__(self, record):
        self.record = record
        self.leader = record.leader
        self.fields = record.fields
        by_tag: dict[str, list] = {}
        for f in self.fields:
            found = by_tag.get(f.tag)
            if found is None:
                by_tag[f.tag] = [f]
            else:
                found.append(f)
        self.by_tag = by_tag


def view(record) -> View:
    return record if isinstance(record, View) else View(record)


def _leader(record) -> str:
    return record.leader or ""


def _fields(record, *tags: str) -> list:
    if isinstance(record, View):
        by_tag = record.by_tag
        if len(tags) == 1:
            return by_tag.get(tags[0], ())
        found = [by_tag[t] for t in tags if t in by_tag]
        if len(found) < 2:
            return found[0] if found else ()
        return [f for f in record.fields if f.tag in tags]
    return record.get_fields(*tags)


def _all_fields(record) -> list:
    return record.fields


def _is_control(field) -> bool:
    """A ControlField carries `data` (perhaps ""); a DataField's `data` is None."""
    return field.data is not None


def _data(field) -> str:
    return field.data or ""


def _subfields(field) -> list | tuple:
    """(code, value) pairs (`Subfield`s); a control field has none."""
    return field.subfields


def _indicator_of(field, which: int) -> str:
    return (field.ind1 if which == 1 else field.ind2) or " "


def _field_text(field) -> str:
    if _is_control(field):
        return _data(field)
    return " ".join(v for _c, v in _subfields(field))
