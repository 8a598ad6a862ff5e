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
set of triples, never on their order (the graph store does not keep it): multi-valued properties are
read in the order `Description.objects` defines.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

from pyoxigraph import Literal, NamedNode

from grenselos.errors import FatalError
from index import projection_steps as steps
from index.document import Document, Holding
from transform import bibframe
from transform.bibframe import UnknownTerm

PROJECTION_MAP = Path(__file__).with_name("projection.map")
RDF_TYPE = bibframe.term("rdf:type")
INSTANCE_OF = bibframe.term("bf:instanceOf")
BF_INSTANCE = bibframe.term("bf:Instance")
STARTS = ("instance", "work")
#: Document fields the index stage gives (they are not facts of the description).
GIVEN = frozenset({"id", "work_id", "source", "identifier", "holdings", "work_libraries"})
#: List fields that stay aligned with another one, value for value (no repeats removed, blanks kept).
ALIGNED = frozenset({"contributor_roles"})
_MINTED = re.compile(r"(.*)-(\d+)$")


class ProjectionError(FatalError):
    """The projection table is wrong; names the file and line."""

    def __init__(self, path, line: int, message: str):
        self.path, self.line = path, line
        super().__init__(f"{path}:{line}: {message}")


# ---------------------------------------------------------------------------------------------
# One record's triples, indexed for reading

def order_key(term) -> tuple:
    """The stable order of a property's values: nodes the mapping minted in record order
    (`{instance}#title-2` before `#title-10`), then other IRIs, then literals, each by text."""
    if isinstance(term, NamedNode):
        value = term.value
        cut = value.rfind("#")
        if cut >= 0:
            m = _MINTED.match(value, cut + 1)
            if m:
                return (0, value[:cut], m.group(1), int(m.group(2)))
        return (1, value, "", 0)
    if isinstance(term, Literal):
        return (2, term.value, "", 0)
    return (3, str(term), "", 0)


class Description:
    """The triples of one record, by subject and property, each property's values in `order_key` order."""

    __slots__ = ("out",)

    def __init__(self, triples: Iterable):
        out: dict = {}
        for t in triples:
            props = out.get(t.subject)
            if props is None:
                props = out[t.subject] = {}
            values = props.get(t.predicate)
            if values is None:
                props[t.predicate] = [t.object]
            else:
                values.append(t.object)
        for props in out.values():
            for values in props.values():
                if len(values) > 1:
                    values.sort(key=order_key)
        self.out = out

    def objects(self, node, prop: NamedNode) -> list:
        props = self.out.get(node)
        return props.get(prop, []) if props else []

    def types(self, node) -> list:
        return self.objects(node, RDF_TYPE)

    def literal(self, node, prop: NamedNode) -> str:
        """The first literal value of the property, or ''."""
        for value in self.objects(node, prop):
            if isinstance(value, Literal):
                return value.value
        return ""

    def literals(self, node, prop: NamedNode) -> list[str]:
        return [v.value for v in self.objects(node, prop) if isinstance(v, Literal)]

    def instance(self):
        """The record's instance: the bf:Instance that is an instance of a work (related instances,
        such as another physical format, are not)."""
        for node, props in self.out.items():
            if INSTANCE_OF in props and BF_INSTANCE in props.get(RDF_TYPE, ()):
                return node
        return None


@dataclass
class Context:
    """What a step may read besides its values: the description and the index stage's detections."""
    description: Description
    languages: object = None          # transform.languages_store.EffectiveLanguages, when detected


# ---------------------------------------------------------------------------------------------
# The table

@dataclass(frozen=True)
class Hop:
    prop: NamedNode | None            # None: `.`, the resource itself
    classes: frozenset = frozenset()  # keep only resources of one of these classes (empty: any)


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


def _term(path: Path, number: int, name: str, want_class: bool) -> NamedNode:
    try:
        node = bibframe.term(name)
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

def _follow(description: Description, start, hops: tuple[Hop, ...]) -> list:
    nodes = [start]
    for hop in hops:
        if hop.prop is None:
            continue
        found = []
        for node in nodes:
            if isinstance(node, Literal):
                continue
            for value in description.objects(node, hop.prop):
                if not hop.classes or not hop.classes.isdisjoint(description.types(value)):
                    found.append(value)
        nodes = found
    return nodes


def _plain(value):
    return value.value if isinstance(value, Literal) else value


def _unique(values) -> tuple:
    return tuple(dict.fromkeys(v for v in values if v or v == 0))


def _settle(kind: str, values: list):
    """A field's values (after its steps) as the document holds them."""
    values = [_plain(v) for v in values if isinstance(v, (str, int, Literal, tuple))]
    if kind == "aligned":
        return tuple(v for v in values if isinstance(v, str))
    if kind == "list":
        return _unique(v for v in values if isinstance(v, str))
    if kind == "dict":
        out: dict[str, list[str]] = {}
        for vocab, heading in (v for v in values if isinstance(v, tuple)):
            out.setdefault(vocab, []).append(heading)
        return {k: _unique(v) for k, v in out.items()}
    if kind == "int":
        return next((v for v in values if isinstance(v, int)), None)
    return " ".join(_unique(v.strip() for v in values if isinstance(v, str)))


class Projection:
    def __init__(self, rows: list[Row]):
        self.rows = rows

    @classmethod
    def load(cls, path: Path | str | None = None) -> "Projection":
        return cls(parse(Path(path or PROJECTION_MAP)))

    def fields(self, triples: Iterable, *, languages=None, instance=None) -> dict:
        """The description's fields of a document (everything but the GIVEN ones), as `Document` takes them."""
        description = triples if isinstance(triples, Description) else Description(triples)
        instance = NamedNode(instance) if isinstance(instance, str) else instance or description.instance()
        if instance is None:
            raise ValueError("the triples describe no bf:Instance of a work")
        work = next(iter(description.objects(instance, INSTANCE_OF)), None)
        ctx = Context(description, languages)
        starts = {"instance": instance, "work": work}
        gathered: dict[str, list] = {}
        for row in self.rows:
            start = starts[row.start]
            values = [] if start is None else [v for hops in row.paths for v in _follow(description, start, hops)]
            for step in row.steps:
                values = step(values, ctx)
            gathered.setdefault(row.field, []).extend(values)
        return {name: _settle(_FIELD_KINDS[name], values) for name, values in gathered.items()}

    def document(self, triples: Iterable, *, id: str, work_id: str, source: str, identifier: str = "",
                 holdings: tuple[Holding, ...] = (), work_libraries: int | None = None, languages=None,
                 instance=None) -> Document:
        """The search document of one record from its triples; the GIVEN fields from the index stage.
        `work_libraries` defaults to the region's libraries holding this edition."""
        values = self.fields(triples, languages=languages, instance=instance)
        if work_libraries is None:
            work_libraries = len({h.library for h in holdings if h.region})
        return Document(id=id, work_id=work_id, source=source, identifier=identifier, holdings=tuple(holdings),
                        work_libraries=work_libraries, **values)


@lru_cache(maxsize=1)
def default() -> Projection:
    """The projection of `projection.map`, loaded once per process."""
    return Projection.load()


def work_id_of(triples: Iterable, base_uri: str) -> str:
    """The work cluster id the description names (`bf:instanceOf <{base}/work/{id}>`), or ''."""
    description = triples if isinstance(triples, Description) else Description(triples)
    instance = description.instance()
    prefix = base_uri.rstrip("/") + "/work/"
    for work in description.objects(instance, INSTANCE_OF) if instance is not None else ():
        if isinstance(work, NamedNode) and work.value.startswith(prefix):
            return work.value[len(prefix):]
    return ""
