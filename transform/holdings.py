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

from transform import bibframe, steps
from vocab import item_types, libraries as libraries_vocab, statuses

PROFILES = ("koha-952", "marc-852", "marcxchange-holdings")

#: Tags a profile reads from the bibliographic record itself (so they are not "unmapped").
CONSUMED = {"koha-952": {"952"}, "marc-852": {"852", "876", "877", "878"},
            "marcxchange-holdings": {"852", "876", "877", "878"}}

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

# Koha 952 subfields: home branch, holding branch, location, call number, barcode, item type,
# copy number, public note, collection code, lost/withdrawn/damaged/not-for-loan, item number.
_KOHA_STATUS = {"1": "lost", "0": "withdrawn", "4": "damaged", "7": "not for loan"}


def consumed(profile: str) -> set[str]:
    return CONSUMED.get(profile, set())


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


def _sub(field, code) -> list[str]:
    return [sf.value for sf in field.subfields if sf.code == code and sf.value.strip()]


def _one(field, code) -> str:
    values = _sub(field, code)
    return values[0].strip() if values else ""


def koha_952(env, record, writer: ItemWriter):
    for f in record.get_fields("952"):
        home = _one(f, "a") or _one(f, "b")
        item = writer.item(library(env, home) if home or env.ctx.isil else None)
        place = " / ".join(x for x in (home if not ISIL.match(home or "-") else "", _one(f, "c")) if x)
        writer.inner(item, SUBLOCATION, SUBLOCATION_CLS, "sublocation", place)
        writer.inner(item, SHELFMARK, SHELFMARK_CLS, "shelfmark", _one(f, "o"))
        writer.inner(item, IDENTIFIED_BY, BARCODE, "barcode", _one(f, "p"), VALUE)
        writer.inner(item, NOTE, NOTE_CLS, "note", _one(f, "z"))
        writer.inner(item, ENUM, NOTE_CLS, "enumeration", _one(f, "h"))
        states = [name for code, name in _KOHA_STATUS.items() if _one(f, code) not in ("", "0")]
        writer.inner(item, STATUS, STATUS_CLS, "status", ", ".join(states))


def marc_852(env, fields: list, writer: ItemWriter):
    """One holdings unit: 852 locations and their 876-878 items (linked by $8 when there are several)."""
    locations = [f for f in fields if f.tag == "852"]
    items = [f for f in fields if f.tag in ("876", "877", "878")]
    if not locations and items:
        env.warn("items (876-878) without an 852 location")
    for i, loc in enumerate(locations):
        link = _one(loc, "8").split(".")[0]
        mine = [f for f in items if (len(locations) == 1 or
                                     (link and _one(f, "8").split(".")[0] == link))]
        lib = library(env, _one(loc, "a"))
        sub = " / ".join(dict.fromkeys(x for x in (_one(loc, "b"), _one(loc, "c")) if x))
        shelf = " ".join(x.strip() for x in _sub(loc, "h") + _sub(loc, "i") + _sub(loc, "j")) or _one(loc, "k")
        for unit in mine or [None]:
            item = writer.item(lib)
            writer.inner(item, SUBLOCATION, SUBLOCATION_CLS, "sublocation", sub)
            writer.inner(item, SHELFMARK, SHELFMARK_CLS, "shelfmark", shelf)
            writer.inner(item, NOTE, NOTE_CLS, "note", " ".join(_sub(loc, "z")))
            if unit is None:       # the 852's own piece designation ($p) is its one copy's barcode
                writer.inner(item, IDENTIFIED_BY, BARCODE, "barcode", _one(loc, "p"), VALUE)
                continue
            writer.inner(item, IDENTIFIED_BY, BARCODE, "barcode", _one(unit, "p"), VALUE)
            if _one(unit, "a") and _one(unit, "a") != _one(unit, "p"):
                writer.inner(item, IDENTIFIED_BY, LOCAL, "local", _one(unit, "a"), VALUE)
            writer.inner(item, ENUM, NOTE_CLS, "enumeration", _one(unit, "3"))
            kind = {"877": "supplement", "878": "index"}.get(unit.tag, "")
            writer.inner(item, NOTE, NOTE_CLS, "kind", kind)
            writer.inner(item, STATUS, STATUS_CLS, "status", _one(unit, "j"))
    linked = {id(f) for f in items if len(locations) == 1 or any(
        _one(f, "8").split(".")[0] == _one(loc, "8").split(".")[0] and _one(loc, "8") for loc in locations)}
    for f in items:
        if id(f) not in linked:
            env.warn(f"item field {f.tag} ${'8'} {_one(f, '8')!r} links to no 852")


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
    marc_852(env, record.fields, writer)
    if profile != "marcxchange-holdings" and not ctx.holdings:
        return
    bib_id = (record.get("001").data.strip() if record.get("001") else "")
    for holding in ctx.holdings:
        parent = holding.get("004")
        if bib_id and parent is not None and parent.data.strip() != bib_id:
            env.warn(f"holdings record {holding.get('001').data if holding.get('001') else '?'} "
                     f"links to {parent.data.strip()!r}, not to {bib_id!r}; skipped")
            continue
        marc_852(env, holding.fields, writer)


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


def koha_status(field) -> tuple[str, str]:
    """(status, due date) of a Koha 952 item: lost ($1), withdrawn/damaged ($0/$4), due date ($q), not for
    loan ($7), holding branch other than home branch (in transit), else available."""
    if _one(field, "1") not in ("", "0"):
        return "missing", ""
    if any(_one(field, code) not in ("", "0") for code in ("0", "4")):
        return "unavailable", ""
    due = _one(field, "q")
    if due:
        return "on_loan", _iso_date(due)
    if _one(field, "7") not in ("", "0"):
        return "reference", ""
    home, holding = _one(field, "a"), _one(field, "b")
    if home and holding and home != holding:
        return "in_transit", ""
    return "available", ""


def item_type(code: str, leader: str) -> str:
    """A copy's item type: its own code (952 $y) when the vocabulary knows it, else what the record's leader
    says (852 profiles carry no item type), else `book`."""
    return item_types.from_code(code) or item_types.from_leader(leader)


def _koha_facts(record) -> list[ItemFacts]:
    out = []
    leader = str(record.leader or "")
    for f in record.get_fields("952"):
        status, due = koha_status(f)
        code = _one(f, "y")
        out.append(ItemFacts(_one(f, "a") or _one(f, "b"), _one(f, "c"), _one(f, "o"), status, due, _one(f, "z"),
                             _one(f, "p") or _one(f, "9"), item_type(code, leader), code))
    return out


def _852_facts(fields: list, leader: str = "") -> list[ItemFacts]:
    locations = [f for f in fields if f.tag == "852"]
    units = [f for f in fields if f.tag in ("876", "877", "878")]
    out = []
    for loc in locations:
        link = _one(loc, "8").split(".")[0]
        mine = [u for u in units if len(locations) == 1 or (link and _one(u, "8").split(".")[0] == link)]
        place = " / ".join(dict.fromkeys(x for x in (_one(loc, "b"), _one(loc, "c")) if x))
        shelf = " ".join(x.strip() for x in _sub(loc, "h") + _sub(loc, "i") + _sub(loc, "j")) or _one(loc, "k")
        note = " ".join(_sub(loc, "z"))
        for unit in mine or [None]:
            status, due, item_id = "unknown", "", ""
            if unit is not None:
                status = statuses.from_word(_one(unit, "j"))
                due = _iso_date(_one(unit, "n")) if status == "on_loan" and _one(unit, "n") else ""
                item_id = _one(unit, "p") or _one(unit, "a")
            # No item field: an 852 may carry its one piece's barcode in $p (MARC 21 holdings, "piece
            # designation"), as shelf-ready vendor files and plain MARC exports do.
            item_id = item_id or (_one(loc, "p") if unit is None else "")
            out.append(ItemFacts(_one(loc, "a"), place, shelf, status, due, note, item_id,
                                 item_types.from_leader(leader)))
    return out


def read_items(record, profile: str, holdings=()) -> list[ItemFacts]:
    """Every copy one record reports under its source's holdings profile (the same fields `add_items`
    writes as bf:Item), as plain facts with a normalised status. `holdings` are the separate holdings
    records (pymarc) of a `marcxchange-holdings` source."""
    if profile == "koha-952":
        return _koha_facts(record)
    if profile not in PROFILES:
        return []
    leader = str(record.leader or "")
    found = _852_facts(record.fields, leader)
    for holding in holdings:
        found += _852_facts(holding.fields, leader)
    return found
