"""The search document as a projection of a record's BIBFRAME description, declared in `projection.map`.

The mapping tables (`transform/mapping/*.map`) are the one reading of a MARC record. Search documents
used to come from a second, hand-written reading of the same MARC, and the two disagreed (a cataloguer
who fixed a mapping table changed the SPARQL answer but not what patrons saw). Now a document is read
from the triples one record's conversion produces — the same triples the graph store keeps in the
record's named graph — field by field as `projection.map` says, so the index, the record pages and the
linked data cannot disagree.

    projection = Projection.load()          # parses and checks projection.map once
    doc = projection.document(triples, id="tromso-123", work_id="w…", source="tromso", holdings=…)

The table is checked when it is loaded, like the mapping tables: an unknown document field, BIBFRAME
term, class or step raises `ProjectionError` with the file and line. A projection depends only on the
set of triples, never on their order (the graph store does not keep it): a property's values are read in
record order where the mapping minted their resources (`transform.descriptions.record_order`).

The index stage reads each record's description as the transform stage packed it in SQL
(`Description.from_packed`), or from the record's named graph (`Description.from_triples` of
`GraphStore.record_triples`); both give the same document.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

from core.errors import FatalError
from index import projection_steps as steps
from index.document import Document, Holding
from transform import bibframe, descriptions
from transform.bibframe import UnknownTerm

PROJECTION_MAP = Path(__file__).with_name("projection.map")
RDF_TYPE = bibframe.term("rdf:type").value
INSTANCE_OF = bibframe.term("bf:instanceOf").value
BF_INSTANCE = bibframe.term("bf:Instance").value
STARTS = ("instance", "work")
#: Document fields the index stage gives (they are not facts of the description).
GIVEN = frozenset({"id", "work_id", "source", "identifier", "holdings", "work_libraries"})
#: List fields that stay aligned with another one, value for value (no repeats removed, blanks kept).
ALIGNED = frozenset({"contributor_roles", "contributor_ids"})


class ProjectionError(FatalError):
    """The projection table is wrong; names the file and line."""

    def __init__(self, path, line: int, message: str):
        self.path, self.line = path, line
        super().__init__(f"{path}:{line}: {message}")


# ---------------------------------------------------------------------------------------------
# One record's description, indexed for reading

class Text(str):
    """A literal's text among the values a path reached (an IRI is a plain `str`)."""
    __slots__ = ()


class Description:
    """One record's description: subject IRI → property IRI → (IRIs, texts), each list in record order
    (`transform.descriptions.record_order`). Made from pyoxigraph triples (`from_triples`) or from the
    packed form the transform stage keeps (`from_packed`); the two give the same reading."""

    __slots__ = ("out",)

    def __init__(self, grouped: dict):
        self.out = grouped

    @classmethod
    def from_triples(cls, triples: Iterable) -> "Description":
        return cls(descriptions.group(triples))

    @classmethod
    def from_packed(cls, packed: bytes) -> "Description":
        return cls(descriptions.unpack(packed))

    def iris(self, node: str, prop: str) -> list[str]:
        props = self.out.get(node)
        values = props.get(prop) if props else None
        return values[0] if values else []

    def texts(self, node: str, prop: str) -> list[str]:
        props = self.out.get(node)
        values = props.get(prop) if props else None
        return values[1] if values else []

    def text(self, node: str, prop: str) -> str:
        """The first text of the property, or ''."""
        found = self.texts(node, prop)
        return found[0] if found else ""

    def types(self, node: str) -> list[str]:
        return self.iris(node, RDF_TYPE)

    def instance(self) -> str | None:
        """The record's instance: the bf:Instance that is an instance of a work (related instances,
        such as another physical format, are not)."""
        for node, props in self.out.items():
            if INSTANCE_OF in props and BF_INSTANCE in props.get(RDF_TYPE, ((), ()))[0]:
                return node
        return None


@dataclass
class Context:
    """What a step may read besides its values: the description and the index stage's detections, and
    a memo for what several steps derive from the same values (one record's)."""
    description: Description
    languages: object = None          # transform.languages_store.EffectiveLanguages, when detected
    memo: dict = dataclasses.field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# The table

@dataclass(frozen=True)
class Hop:
    prop: str | None                  # a property's IRI; None: `.`, the resource itself
    classes: frozenset = frozenset()  # IRIs: keep only resources of one of these classes (empty: any)


@dataclass(frozen=True)
class Row:
    field: str
    start: str
    paths: tuple[tuple[Hop, ...], ...]
    steps: tuple[Callable, ...]
    line: int


def _kind(annotation: str) -> str:
    text = str(annotation)
    if text.startswith("tuple"):
        return "list"
    if text.startswith("dict"):
        return "dict"
    return "int" if text.startswith("int") else "text"


_FIELD_KINDS = {f.name: "aligned" if f.name in ALIGNED else _kind(f.type) for f in dataclasses.fields(Document)}


def _term(path: Path, number: int, name: str, want_class: bool) -> str:
    try:
        node = bibframe.term(name).value
    except UnknownTerm as exc:
        raise ProjectionError(path, number, str(exc)) from None
    if bibframe.is_class(name) != want_class:
        raise ProjectionError(path, number, f"{name} is a {'property' if want_class else 'class'}, "
                                            f"a {'class' if want_class else 'property'} was expected")
    return node


def _path(path: Path, number: int, text: str) -> tuple[Hop, ...]:
    if text == ".":
        return (Hop(None),)
    hops = []
    for part in text.split("/"):
        m = re.fullmatch(r"([\w-]+:[\w-]+)(?:\[([^\]]+)\])?", part)
        if not m:
            raise ProjectionError(path, number, f"cannot read {part!r}; write bf:prop or bf:prop[bf:Class,...]")
        classes = frozenset(_term(path, number, c.strip(), True) for c in (m.group(2) or "").split(",") if c.strip())
        hops.append(Hop(_term(path, number, m.group(1), False), classes))
    return tuple(hops)


def _steps(path: Path, number: int, parts: list[str]) -> tuple[Callable, ...]:
    out = []
    for part in parts:
        name, colon, arg = part.strip().partition(":")
        if name not in steps.STEPS:
            raise ProjectionError(path, number, f"unknown step {name!r} (known: {', '.join(sorted(steps.STEPS))})")
        fn, takes_arg = steps.STEPS[name]
        if takes_arg != "optional" and takes_arg != bool(colon):
            raise ProjectionError(path, number, f"step {name!r} {'needs an' if takes_arg else 'takes no'} argument")
        try:
            out.append(fn(arg) if takes_arg else fn)
        except ValueError as exc:
            raise ProjectionError(path, number, f"step {name!r}: {exc}") from None
    return tuple(out)


def parse(path: Path) -> list[Row]:
    rows = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        head, *pipe = text.split("|")
        words = head.split(None, 2)
        if len(words) != 3:
            raise ProjectionError(path, number, "expected `FIELD FROM PATH [+ PATH ...] [| step ...]`")
        field, start, paths = words
        if field not in _FIELD_KINDS or field in GIVEN:
            given = f" ({field} is given by the index stage)" if field in GIVEN else ""
            raise ProjectionError(path, number, f"{field!r} is not a document field read from the description{given}")
        if start not in STARTS:
            raise ProjectionError(path, number, f"FROM must be one of {', '.join(STARTS)}, not {start!r}")
        rows.append(Row(field, start, tuple(_path(path, number, p.strip()) for p in paths.split("+")),
                        _steps(path, number, pipe), number))
    return rows


# ---------------------------------------------------------------------------------------------
# Running it

def _follow(description: Description, start: str, hops: tuple[Hop, ...]) -> list:
    """The values a path reaches: IRIs (`str`) and, from its last property, texts (`Text`)."""
    out = description.out
    nodes = [start]
    last = len(hops) - 1
    for n, hop in enumerate(hops):
        prop, classes = hop.prop, hop.classes
        if prop is None:
            continue
        found: list = []
        for node in nodes:
            props = out.get(node)
            values = props.get(prop) if props else None
            if not values:
                continue
            iris, texts = values
            if classes:
                for value in iris:
                    typed = out.get(value)
                    types = typed.get(RDF_TYPE) if typed else None
                    if types and not classes.isdisjoint(types[0]):
                        found.append(value)
            else:
                found += iris
                if n == last and texts:
                    found += map(Text, texts)
        nodes = found
    return nodes


def _unique(values) -> tuple:
    return tuple(dict.fromkeys(v for v in values if v))


def _settle(kind: str, values: list):
    """A field's values (after its steps) as the document holds them. A row's path ends at texts, or its
    steps turn the resources it reached into texts (`projection.map`)."""
    if len(values) == 1 and kind in ("list", "text"):      # the common case, without the machinery
        value = str(values[0]).strip() if kind == "text" else str(values[0])
        return value if kind == "text" else ((value,) if value else ())
    if kind == "list":
        return _unique(str(v) for v in values)
    if kind == "text":
        return " ".join(_unique(str(v).strip() for v in values))
    if kind == "aligned":
        return tuple(str(v) for v in values)
    if kind == "int":
        return next((v for v in values if isinstance(v, int)), None)
    out: dict[str, list[str]] = {}
    for vocab, heading in values:
        out.setdefault(vocab, []).append(heading)
    return {k: _unique(v) for k, v in out.items()}


class Projection:
    def __init__(self, rows: list[Row]):
        self.rows = rows
        # each distinct (start, path) is followed once per record, however many rows read it
        paths: dict[tuple, int] = {}
        self._plan = [(row, row.start, tuple(paths.setdefault((row.start, hops), len(paths)) for hops in row.paths))
                      for row in rows]
        self._paths = [hops for (_start, hops) in paths]

    @classmethod
    def load(cls, path: Path | str | None = None) -> "Projection":
        return cls(parse(Path(path or PROJECTION_MAP)))

    def fields(self, description, *, languages=None, instance: str | None = None) -> dict:
        """The description's fields of a document (everything but the GIVEN ones), as `Document` takes
        them. `description`: a `Description`, or the record's triples."""
        if not isinstance(description, Description):
            description = Description.from_triples(description)
        instance = instance or description.instance()
        if instance is None:
            raise ValueError("the description has no bf:Instance of a work")
        work = next(iter(description.iris(instance, INSTANCE_OF)), None)
        ctx = Context(description, languages)
        starts = {"instance": instance, "work": work}
        followed: list = [None] * len(self._paths)
        gathered: dict[str, list] = {}
        for row, start_name, path_ids in self._plan:
            start = starts[start_name]
            values: list = []
            if start is not None:
                for path_id in path_ids:
                    found = followed[path_id]
                    if found is None:
                        found = followed[path_id] = _follow(description, start, self._paths[path_id])
                    values = found if len(path_ids) == 1 else values + found
            for step in row.steps:        # steps return new lists; the followed ones are shared
                values = step(values, ctx)
            if values:
                gathered.setdefault(row.field, []).extend(values)
        return {name: _settle(_FIELD_KINDS[name], values) for name, values in gathered.items()}

    def document(self, description, *, id: str, work_id: str, source: str, identifier: str = "",
                 holdings: tuple[Holding, ...] = (), work_libraries: int | None = None, languages=None,
                 instance: str | None = None, access: tuple[str, ...] = ()) -> Document:
        """The search document of one record from its description (a `Description` or its triples); the
        GIVEN fields from the index stage. `work_libraries` defaults to the region's libraries holding
        this edition."""
        values = self.fields(description, languages=languages, instance=instance)
        if work_libraries is None:
            work_libraries = len({h.library for h in holdings if h.region})
        return Document(id=id, work_id=work_id, source=source, identifier=identifier, holdings=tuple(holdings),
                        work_libraries=work_libraries, access=tuple(access), **values)


@lru_cache(maxsize=1)
def default() -> Projection:
    """The projection of `projection.map`, loaded once per process."""
    return Projection.load()


def work_id_of(description, base_uri: str) -> str:
    """The work cluster id the description names (`bf:instanceOf <{base}/work/{id}>`), or ''."""
    if not isinstance(description, Description):
        description = Description.from_triples(description)
    instance = description.instance()
    prefix = base_uri.rstrip("/") + "/work/"
    for work in description.iris(instance, INSTANCE_OF) if instance is not None else ():
        if work.startswith(prefix):
            return work[len(prefix):]
    return ""
