"""Holdings profiles: how items and their owning library are read from what a source sends.

Libraries send holdings in three shapes (see ARCHITECTURE.md, "Norwegian sources"):

* `koha-952`: Koha embeds one 952 per item in the bibliographic record;
* `marc-852`: 852 locations in the bibliographic record, items in 876-878 linked by $8 (or, with one
  852, all of them); an 852 without items is one holding;
* `marcxchange-holdings`: separate MARC holdings records linked to the bibliographic record by 004,
  each read like `marc-852` (the caller passes them in `ConvertContext.holdings`).

Items get `{instance}/item/{n}` in reading order and `bf:heldBy {base}/library/{ISIL or id}` of the library
that holds them, as `vocab.libraries` resolves the owning code (the same decision the search index makes);
a code nobody knows is kept as `{base}/library/code/{code}`, with a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from pyoxigraph import Literal, NamedNode

from transform import bibframe, readings, steps
from vocab import item_types, libraries as libraries_vocab, statuses

PROFILES = ("koha-952", "marc-852", "marcxchange-holdings")

#: The readings (mapping/readings.table, "holdings.") each profile reads from the bibliographic record
#: itself: their tags are not "unmapped". A copy's fields are named there, column by column.
READINGS = {"koha-952": ("holdings.koha",), "marc-852": ("holdings.location", "holdings.unit"),
            "marcxchange-holdings": ("holdings.location", "holdings.unit")}

ISIL = re.compile(r"^[A-Z]{1,4}-[A-Za-z0-9:/-]{1,11}$")

_T = bibframe.term
TYPE, LABEL, VALUE = _T("rdf:type"), _T("rdfs:label"), _T("rdf:value")
ITEM, HAS_ITEM, ITEM_OF, HELD_BY = _T("bf:Item"), _T("bf:hasItem"), _T("bf:itemOf"), _T("bf:heldBy")
ORGANIZATION, CODE = _T("bf:Organization"), _T("bf:code")
SUBLOCATION, SUBLOCATION_CLS = _T("bf:sublocation"), _T("bf:Sublocation")
SHELFMARK, SHELFMARK_CLS = _T("bf:shelfMark"), _T("bf:ShelfMark")
IDENTIFIED_BY, BARCODE, LOCAL = _T("bf:identifiedBy"), _T("bf:Barcode"), _T("bf:Local")
NOTE, NOTE_CLS, ENUM = _T("bf:note"), _T("bf:Note"), _T("bf:enumerationAndChronology")
STATUS, STATUS_CLS = _T("bf:status"), _T("bf:Status")

# A Koha item's states (columns of holdings.koha) and the words the graph gives them.
_KOHA_STATUS = {"lost": "lost", "withdrawn": "withdrawn", "damaged": "damaged", "not_for_loan": "not for loan"}


def consumed(profile: str) -> set[str]:
    return {tag for name in READINGS.get(profile, ()) for tag in readings.reading(name).tags}


def library(env, code: str) -> NamedNode | None:
    """The IRI of the library holding a copy reported under owning code `code` (`vocab.libraries` decides,
    as for the search index). A code nobody knows gets an IRI of its own under `library/code/`, with the
    code, and a warning: never the source's library."""
    code = code.strip()
    directory = env.ctx.directory or libraries_vocab.solo_directory(env.ctx.source_id, env.ctx.isil)
    found = directory.resolve(code, env.ctx.source_id)
    if found.library is None:
        env.warn(f"library code {code!r} is not known ({found.why}); the copy is kept under that code")
        node = NamedNode(f"{env.base}/library/code/{quote(code, safe='-')}")
        env.add(node, TYPE, ORGANIZATION)
        env.add(node, CODE, Literal(code))
        return node
    node = NamedNode(library_iri(env.base, found.library))
    env.add(node, TYPE, ORGANIZATION)
    env.add(node, CODE, Literal(found.library.key))
    return node


def library_iri(base: str, lib) -> str:
    return f"{base.rstrip('/')}/library/{quote(lib.key, safe='-:')}"


class ItemWriter:
    """Mints items in reading order and writes their common shape."""

    def __init__(self, env):
        self.env = env
        self.n = 0

    def item(self, lib: NamedNode | None) -> NamedNode:
        self.n += 1
        env = self.env
        item = NamedNode(f"{env.instance_iri}/item/{self.n}")
        env.add(item, TYPE, ITEM)
        env.add(item, ITEM_OF, env.instance)
        env.add(env.instance, HAS_ITEM, item)
        if lib is not None:
            env.add(item, HELD_BY, lib)
        return item

    def inner(self, item, prop, cls, name, label, value_prop=LABEL):
        if not label or not label.strip():
            return
        node = NamedNode(f"{item.value}#{name}")
        self.env.add(item, prop, node)
        self.env.add(node, TYPE, cls)
        self.env.add(node, value_prop, Literal(steps.nfc(label.strip())))


def _shelf(loc: readings.Row) -> str:
    """The call number: classification, item part and shelving parts in that order, else the prefix."""
    parts = loc.texts("classification") + loc.texts("item_part") + loc.texts("shelving")
    return " ".join(x.strip() for x in parts) or loc.one("prefix")


def _place(loc: readings.Row) -> str:
    return " / ".join(dict.fromkeys(x for x in (loc.one("department"), loc.one("shelf")) if x))


def _link(row: readings.Row) -> str:
    return row.one("link").split(".")[0]


def _units_of(loc: readings.Row, locations: list, units: list) -> list:
    """The items of one location: all of them under a single 852, else those its $8 link names."""
    link = _link(loc)
    return [u for u in units if len(locations) == 1 or (link and _link(u) == link)]


def _kind(unit: readings.Row) -> str:
    if readings.matches(unit.field, "holdings.supplement"):
        return "supplement"
    return "index" if readings.matches(unit.field, "holdings.index") else ""


def koha_952(env, record, writer: ItemWriter):
    for f in readings.rows(record, "holdings.koha"):
        home = f.one("home") or f.one("holding")
        item = writer.item(library(env, home) if home or env.ctx.isil else None)
        place = " / ".join(x for x in (home if not ISIL.match(home or "-") else "", f.one("location")) if x)
        writer.inner(item, SUBLOCATION, SUBLOCATION_CLS, "sublocation", place)
        writer.inner(item, SHELFMARK, SHELFMARK_CLS, "shelfmark", f.one("call_number"))
        writer.inner(item, IDENTIFIED_BY, BARCODE, "barcode", f.one("barcode"), VALUE)
        writer.inner(item, NOTE, NOTE_CLS, "note", f.one("note"))
        writer.inner(item, ENUM, NOTE_CLS, "enumeration", f.one("enumeration"))
        states = [name for column, name in _KOHA_STATUS.items() if f.one(column) not in ("", "0")]
        writer.inner(item, STATUS, STATUS_CLS, "status", ", ".join(states))


def marc_852(env, record, writer: ItemWriter):
    """One holdings unit (a bibliographic record or a holdings record): 852 locations and their items
    (876-878, linked by $8 when there are several)."""
    locations = readings.rows(record, "holdings.location")
    items = readings.rows(record, "holdings.unit")
    if not locations and items:
        env.warn("items (876-878) without an 852 location")
    for loc in locations:
        mine = _units_of(loc, locations, items)
        lib = library(env, loc.one("owner"))
        sub, shelf = _place(loc), _shelf(loc)
        for unit in mine or [None]:
            item = writer.item(lib)
            writer.inner(item, SUBLOCATION, SUBLOCATION_CLS, "sublocation", sub)
            writer.inner(item, SHELFMARK, SHELFMARK_CLS, "shelfmark", shelf)
            writer.inner(item, NOTE, NOTE_CLS, "note", " ".join(loc.texts("note")))
            if unit is None:       # the 852's own piece designation ($p) is its one copy's barcode
                writer.inner(item, IDENTIFIED_BY, BARCODE, "barcode", loc.one("piece"), VALUE)
                continue
            writer.inner(item, IDENTIFIED_BY, BARCODE, "barcode", unit.one("barcode"), VALUE)
            if unit.one("number") and unit.one("number") != unit.one("barcode"):
                writer.inner(item, IDENTIFIED_BY, LOCAL, "local", unit.one("number"), VALUE)
            writer.inner(item, ENUM, NOTE_CLS, "enumeration", unit.one("enumeration"))
            writer.inner(item, NOTE, NOTE_CLS, "kind", _kind(unit))
            writer.inner(item, STATUS, STATUS_CLS, "status", unit.one("status"))
    linked = {id(u) for u in items if len(locations) == 1 or any(
        _link(u) == _link(loc) and loc.one("link") for loc in locations)}
    for u in items:
        if id(u) not in linked:
            env.warn(f"item field {u.field.tag} ${'8'} {u.one('link')!r} links to no 852")


def add_items(env, record, ctx):
    """Write the items of one record according to the source's holdings profile."""
    writer = ItemWriter(env)
    profile = ctx.holdings_profile
    if profile not in PROFILES:
        env.warn(f"unknown holdings profile {profile!r}; holdings not read")
        return
    if profile == "koha-952":
        koha_952(env, record, writer)
        return
    marc_852(env, record, writer)
    if profile != "marcxchange-holdings" and not ctx.holdings:
        return
    bib_id = readings.first(record, "record.id")
    for holding in ctx.holdings:
        parent = readings.first(holding, "record.parent")
        if bib_id and readings.present(holding, "record.parent") and parent != bib_id:
            env.warn(f"holdings record {readings.first(holding, 'record.id') or '?'} "
                     f"links to {parent!r}, not to {bib_id!r}; skipped")
            continue
        marc_852(env, holding, writer)


# -- Items as plain facts (for the search index and pages; the RDF writers above mint the graph) --------

_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})")


@dataclass(frozen=True)
class ItemFacts:
    """One copy as its library reports it. `library` is the owning code as sent (an ISIL or a local
    branch code, "" when the source names none); the caller maps it to a library."""
    library: str = ""
    location: str = ""
    call_number: str = ""
    status: str = "unknown"
    due_date: str = ""
    note: str = ""
    item_id: str = ""            # barcode (952 $p, 876 $p) or the system's item number (876 $a)
    item_type: str = ""          # vocab.item_types code: the copy's own code mapped, else the leader's
    item_type_code: str = ""     # the copy's own item-type code as sent (952 $y), "" when none


def _iso_date(value: str) -> str:
    match = _DATE.match(value.strip())
    return f"{match.group(1)}-{match.group(2)}-{match.group(3)}" if match else value.strip()


def koha_status(row: readings.Row) -> tuple[str, str]:
    """(status, due date) of a Koha item (a row of holdings.koha): lost, withdrawn or damaged, on loan
    (a due date), not for loan, held by another branch than its home (in transit), else available."""
    if row.one("lost") not in ("", "0"):
        return "missing", ""
    if any(row.one(column) not in ("", "0") for column in ("withdrawn", "damaged")):
        return "unavailable", ""
    due = row.one("due")
    if due:
        return "on_loan", _iso_date(due)
    if row.one("not_for_loan") not in ("", "0"):
        return "reference", ""
    home, holding = row.one("home"), row.one("holding")
    if home and holding and home != holding:
        return "in_transit", ""
    return "available", ""


def item_type(code: str, leader: str) -> str:
    """A copy's item type: its own code (952 $y) when the vocabulary knows it, else what the record's leader
    says (852 profiles carry no item type), else `book`."""
    return item_types.from_code(code) or item_types.from_leader(leader)


def _koha_facts(record) -> list[ItemFacts]:
    out = []
    leader = readings.first(record, "record.leader")
    for f in readings.rows(record, "holdings.koha"):
        status, due = koha_status(f)
        code = f.one("type")
        out.append(ItemFacts(f.one("home") or f.one("holding"), f.one("location"), f.one("call_number"), status,
                             due, f.one("note"), f.one("barcode") or f.one("item_number"), item_type(code, leader),
                             code))
    return out


def _852_facts(record, leader: str = "") -> list[ItemFacts]:
    locations = readings.rows(record, "holdings.location")
    units = readings.rows(record, "holdings.unit")
    out = []
    for loc in locations:
        place, shelf, note = _place(loc), _shelf(loc), " ".join(loc.texts("note"))
        for unit in _units_of(loc, locations, units) or [None]:
            status, due, item_id = "unknown", "", ""
            if unit is not None:
                status = statuses.from_word(unit.one("status"))
                due = _iso_date(unit.one("due")) if status == "on_loan" and unit.one("due") else ""
                item_id = unit.one("barcode") or unit.one("number")
            # No item field: an 852 may carry its one piece's barcode in $p (MARC 21 holdings, "piece
            # designation"), as shelf-ready vendor files and plain MARC exports do.
            item_id = item_id or (loc.one("piece") if unit is None else "")
            out.append(ItemFacts(loc.one("owner"), place, shelf, status, due, note, item_id,
                                 item_types.from_leader(leader)))
    return out


def read_items(record, profile: str, holdings=()) -> list[ItemFacts]:
    """Every copy one record reports under its source's holdings profile (the same fields `add_items`
    writes as bf:Item), as plain facts with a normalised status. `holdings` are the separate holdings
    records (MarcData) of a `marcxchange-holdings` source."""
    if profile == "koha-952":
        return _koha_facts(record)
    if profile not in PROFILES:
        return []
    leader = readings.first(record, "record.leader")
    found = _852_facts(record, leader)
    for holding in holdings:
        found += _852_facts(holding, leader)
    return found
