"""Named readings of a MARC record (`mapping/readings.table`): the facts Python needs without a graph.

Why a table and not `record.get_fields("245")` in code: MARC is read in one place, by tables a
cataloguer can read (the BIBFRAME mapping in `mapping/*.map`, these readings beside it), so a change of
practice (another tag for the local upgrade mark, 084 next to 082) is a change of one line, and every
tag the Python relies on can be listed. A mistake in the table fails at load time with file and line,
as the mapping engine's do.

A reading is a list of field specs and a pipe of steps: `values` gives the values (after the steps),
`fields` the whole fields that gave a value (what enrichment copies into an overlay), `slices` the
control-field positions that did (008/35-37).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from core.errors import FatalError
from transform import steps
from vocab import languages as languages_vocab

TABLE = Path(__file__).parent / "mapping" / "readings.table"
_SPEC = re.compile(r"^(LDR|\d{3})(?:\[(\d+)(?:-(\d+))?\]|([a-z0-9]*))$")


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


@dataclass(frozen=True)
class Spec:
    tag: str
    codes: str = ""                   # subfield codes ("" = the whole field)
    start: int | None = None          # a slice of a control field or the leader
    end: int | None = None

    @property
    def is_slice(self) -> bool:
        return self.start is not None

    def text(self) -> str:
        if self.is_slice:
            return f"{self.tag}[{self.start}{'' if self.end == self.start else f'-{self.end}'}]"
        return self.tag + self.codes


@dataclass(frozen=True)
class Reading:
    name: str
    specs: tuple[Spec, ...]
    steps: tuple[str, ...]
    line: int

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.tag for s in self.specs))


@dataclass(frozen=True)
class Hit:
    """One thing a reading found: its value(s) and where (a whole field, or a slice of one)."""
    spec: Spec
    field: object                     # the record's field (None for the leader)
    values: tuple[str, ...]


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
        specs = []
        for token in parts[1:]:
            m = _SPEC.match(token)
            if not m:
                raise ReadingError(path, number, f"{token!r} is not a field spec (245, 245ab, 008[35-37])")
            tag, start, end, codes = m.groups()
            if start is not None:
                specs.append(Spec(tag, "", int(start), int(end if end is not None else start)))
            else:
                if tag == "LDR":
                    raise ReadingError(path, number, "the leader is read by position: LDR[17]")
                specs.append(Spec(tag, codes or ""))
        names = tuple(pipe.split())
        for step in names:
            if step not in STEPS:
                raise ReadingError(path, number, f"unknown step {step!r} (known: {', '.join(sorted(STEPS))})")
        out[name] = Reading(name, tuple(specs), names, number)
    return out


@lru_cache(maxsize=1)
def table() -> dict[str, Reading]:
    return parse(TABLE.read_text(encoding="utf-8"))


def reading(name: str) -> Reading:
    try:
        return table()[name]
    except KeyError:
        raise ReadingError(TABLE, 0, f"no reading named {name!r}") from None


def _pipe(values: list, names: tuple[str, ...]) -> list[str]:
    for step in names:
        values = STEPS[step](values, None)
    return [v for v in values if isinstance(v, str) and v]


def _field_text(field) -> str:
    if field.is_control_field():
        return field.data or ""
    return " ".join(s.value for s in field.subfields)


def hits(record, name: str) -> list[Hit]:
    """Everything the reading finds, in the order of its specs and the record's fields; steps that look
    at the whole list (`first`) apply across all of it."""
    r = reading(name)
    raw: list[tuple[Spec, object, list[str]]] = []
    for spec in r.specs:
        if spec.tag == "LDR":
            raw.append((spec, None, [str(record.leader)[spec.start:spec.end + 1]]))
            continue
        for field in record.get_fields(spec.tag):
            if spec.is_slice:
                data = field.data if field.is_control_field() else ""
                raw.append((spec, field, [(data or "")[spec.start:spec.end + 1]]))
            elif spec.codes and not field.is_control_field():
                raw.append((spec, field, [s.value for s in field.subfields if s.code in spec.codes]))
            else:
                raw.append((spec, field, [_field_text(field)]))
    if "first" in r.steps:          # `first` is across the reading, not per field
        found = [(spec, field, _pipe(values, r.steps)) for spec, field, values in raw]
        kept, done = [], False
        for spec, field, values in found:
            if values and not done:
                kept.append(Hit(spec, field, tuple(values[:1])))
                done = True
        return kept
    out = []
    for spec, field, values in raw:
        got = _pipe(values, r.steps)
        if got:
            out.append(Hit(spec, field, tuple(got)))
    return out


def values(record, name: str) -> list[str]:
    return [v for h in hits(record, name) for v in h.values]


def first(record, name: str) -> str:
    found = values(record, name)
    return found[0] if found else ""


def has(record, name: str) -> bool:
    return bool(hits(record, name))


def fields(record, name: str) -> list:
    """The record's fields of the reading's tags, whether or not they carry a value (holdings, 001)."""
    tags = reading(name).tags
    return [f for f in record.fields if f.tag in tags]


def count(record, name: str) -> int:
    return len(hits(record, name))


def tags_present(record, name: str) -> int:
    """How many of the reading's tags the record has at least once (completeness)."""
    present = {f.tag for f in record.fields}
    return sum(1 for tag in reading(name).tags if tag in present)
