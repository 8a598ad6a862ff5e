"""Enrichment overlays: MARC fields a library added to a thin record from a richer one, kept beside the
harvested record and merged over it at transform time.

Why beside and not into the record: the record store holds what the source sent, and the next harvest
replaces it; an overlay in its own table survives that. Why MARC: the OAI provider's marcxchange (what
the national services harvest) is MARC, so the transform writes the merged record (`overlaid_records`)
and the provider serves that; the BIBFRAME of the merged record says, in an `bf:AdminMetadata` of its
own, which fields came from which record, when, and by which library.

Nothing in the source record is overwritten: an overlay only adds a group (enrichment.table) the source
lacks. When a later harvest brings that group into the source, the source wins: the overlay is not
applied and its rows are marked `superseded` (with the time), which the staff page reports.

`position` rows fill a slice of a control field (008/35-37 language, 008/22 audience) where the
source's value there carries nothing; every other row is a whole data field.
"""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone

from pyoxigraph import Literal, NamedNode, Triple
from sqlalchemy import (Column, DateTime, Index, Integer, String, Table, Text, delete, insert, select, tuple_,
                        update)

from harvest.marcdata import ControlField, DataField
from transform import bibframe, readings
from transform.enrichment_table import groups
from transform.tables import metadata

ACTIVE, SUPERSEDED = "active", "superseded"
PROCESS_LABEL = "Grenseløs enrichment overlay (fields added by a library from another record of the work)"

record_overlays = Table(
    "record_overlays", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),           # the thin record
    Column("identifier", String(512), nullable=False),
    Column("group_name", String(32), nullable=False),       # a group of mapping/enrichment.table
    Column("tag", String(3), nullable=False),
    Column("position", String(8), nullable=False, default=""),   # "35-37": a slice of a control field
    Column("content", Text, nullable=False),                # JSON: {"ind1","ind2","subfields"} or {"value"}
    Column("from_source", String(64), nullable=False),      # the record the fields were copied from
    Column("from_identifier", String(512), nullable=False),
    Column("library", String(64), nullable=False),          # who accepted them
    Column("principal", String(128), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False, default=ACTIVE),     # active | superseded
    Column("superseded_at", DateTime(timezone=True)),
    Index("ix_record_overlays_record", "source", "identifier"),
)

overlaid_records = Table(
    "overlaid_records", metadata,
    Column("source", String(64), primary_key=True),
    Column("identifier", String(512), primary_key=True),
    Column("marcxml", Text, nullable=False),                # the harvested record with its overlays merged
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class OverlayField:
    """One field (or slice) to add: what an offer holds and what a row stores."""
    tag: str
    position: str = ""
    ind1: str = " "
    ind2: str = " "
    subfields: tuple[tuple[str, str], ...] = ()
    value: str = ""

    def content(self) -> str:
        if self.position:
            return json.dumps({"value": self.value}, ensure_ascii=False)
        return json.dumps({"ind1": self.ind1, "ind2": self.ind2, "subfields": [list(s) for s in self.subfields]},
                          ensure_ascii=False)

    @classmethod
    def from_row(cls, row) -> "OverlayField":
        data = json.loads(row.content)
        if row.position:
            return cls(row.tag, row.position, value=data.get("value", ""))
        return cls(row.tag, "", data.get("ind1", " "), data.get("ind2", " "),
                   tuple((c, v) for c, v in data.get("subfields", [])))

    def text(self) -> str:
        """As a cataloguer reads it: `650 #0 $a Reindrift`, `008/35-37 sme`."""
        if self.position:
            return f"{self.tag}/{self.position} {self.value}"
        ind = (self.ind1 + self.ind2).replace(" ", "#")
        return f"{self.tag} {ind} " + " ".join(f"${c} {v}" for c, v in self.subfields)

    def as_dict(self) -> dict:
        return {"tag": self.tag, "position": self.position, "text": self.text()}


@dataclass
class Merged:
    record: object
    applied: list = field(default_factory=list)       # overlay rows merged into the record
    superseded: list = field(default_factory=list)    # active rows the source now covers itself


def rows_for(conn, source: str, identifiers) -> dict[str, list]:
    """Every overlay row (active and superseded) of these records, oldest first."""
    out: dict[str, list] = defaultdict(list)
    identifiers = list(identifiers)
    for i in range(0, len(identifiers), 500):
        for row in conn.execute(select(record_overlays).where(
                record_overlays.c.source == source, record_overlays.c.identifier.in_(identifiers[i:i + 500]))
                .order_by(record_overlays.c.id)):
            out[row.identifier].append(row)
    return out


def digests(conn, source: str) -> dict[str, list[str]]:
    """identifier -> a part for the record's holdings digest, so an accepted overlay converts the record
    again. Every row counts whatever its status: a row turning superseded changes nothing to convert."""
    out: dict[str, list[str]] = defaultdict(list)
    for row in conn.execute(select(record_overlays.c.identifier, record_overlays.c.id)
                            .where(record_overlays.c.source == source)):
        out[row.identifier].append(f"overlay:{row.id}")
    return out


def _set_position(record, tag: str, position: str, value: str) -> None:
    start, _dash, end = position.partition("-")
    start, end = int(start), int(end or start)
    target = next(iter(readings.tagged(record, tag)), None)
    if target is None:
        target = ControlField(tag, " " * 40)
        record.add_ordered_field(target)
    data = (target.data or "").ljust(end + 1)
    target.data = data[:start] + value[:end - start + 1].ljust(end - start + 1) + data[end + 1:]


def merge(record, rows) -> Merged:
    """The record with its active overlays added; a group the source now has itself is not applied.
    Without active overlays the record itself comes back (not a copy)."""
    by_group: dict[str, list] = defaultdict(list)
    for row in rows:
        if row.status == ACTIVE:
            by_group[row.group_name].append(row)
    if not by_group:
        return Merged(record)
    out = Merged(copy.deepcopy(record))
    table = groups()
    for name, members in by_group.items():
        group = table.get(name)
        if group is not None and readings.has(record, group.reading):
            out.superseded += members
            continue
        for row in members:
            f = OverlayField.from_row(row)
            if f.position:
                _set_position(out.record, f.tag, f.position, f.value)
            else:
                out.record.add_ordered_field(DataField(f.tag, f.ind1, f.ind2, list(f.subfields)))
            out.applied.append(row)
    return out


def mark_superseded(conn, rows, stamp: datetime) -> None:
    ids = [r.id for r in rows]
    if ids:
        conn.execute(update(record_overlays).where(record_overlays.c.id.in_(ids))
                     .values(status=SUPERSEDED, superseded_at=stamp))


def add(conn, source: str, identifier: str, group: str, fields: list[OverlayField], from_record: tuple[str, str],
        library: str, principal: str, stamp: datetime) -> int:
    """Keep one accepted group; returns how many fields were stored."""
    rows = [{"source": source, "identifier": identifier, "group_name": group, "tag": f.tag, "position": f.position,
             "content": f.content(), "from_source": from_record[0], "from_identifier": from_record[1],
             "library": library, "principal": principal, "created_at": stamp, "status": ACTIVE}
            for f in fields]
    if rows:
        conn.execute(insert(record_overlays), rows)
    return len(rows)


def replace_merged(conn, source: str, identifiers, merged: dict[str, str], stamp: datetime) -> None:
    """The merged MARC of these records (what the OAI provider serves); none for a record without overlays."""
    identifiers = list(identifiers)
    for i in range(0, len(identifiers), 500):
        conn.execute(delete(overlaid_records).where(overlaid_records.c.source == source,
                                                    overlaid_records.c.identifier.in_(identifiers[i:i + 500])))
    if merged:
        conn.execute(insert(overlaid_records), [{"source": source, "identifier": k, "marcxml": v, "updated_at": stamp}
                                                for k, v in merged.items()])


def merged_marc(conn, keys) -> dict[tuple[str, str], str]:
    """(source, identifier) -> the merged MARC XML, for those records that have overlays applied."""
    keys = list(keys)
    out = {}
    for i in range(0, len(keys), 500):
        for row in conn.execute(select(overlaid_records.c.source, overlaid_records.c.identifier,
                                       overlaid_records.c.marcxml)
                                .where(tuple_(overlaid_records.c.source, overlaid_records.c.identifier)
                                       .in_(keys[i:i + 500]))):
            out[(row.source, row.identifier)] = row.marcxml
    return out


_T = bibframe.term
TYPE, LABEL, ADMIN = _T("rdf:type"), _T("rdfs:label"), _T("bf:adminMetadata")
ADMIN_CLASS, PROCESS, PROCESS_CLASS = _T("bf:AdminMetadata"), _T("bf:generationProcess"), _T("bf:GenerationProcess")
DERIVED, DATE, AGENT, NOTE = _T("bf:derivedFrom"), _T("bf:date"), _T("bf:agent"), _T("bf:note")
NOTE_CLASS, NOTE_TYPE, CODE = _T("bf:Note"), _T("bf:noteType"), _T("bf:code")
XSD_DATETIME = NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")


def provenance_triples(instance_iri: str, applied, sources: dict[tuple[str, str], str],
                       agents: dict[str, str]) -> list[Triple]:
    """One `bf:AdminMetadata` per acceptance (same record copied from, library, time):

        <instance> bf:adminMetadata <{instance}#overlay-7> .
        <{instance}#overlay-7> a bf:AdminMetadata ; bf:derivedFrom <the record's instance> ;
            bf:agent <the library> ; bf:date "2026-12-07T16:30:00+00:00"^^xsd:dateTime ;
            bf:generationProcess [ rdfs:label "Grenseløs enrichment overlay ..." ] ;
            bf:note [ bf:noteType "enrichment overlay" ; rdfs:label "added 650 #0 $a …; 520 # …" ] .

    `sources` maps a (source, identifier) copied from to its instance IRI, `agents` a library id to its
    IRI; the staff member's username stays in the overlay table and the audit trail, not in open data.
    """
    acts: dict[tuple, list] = defaultdict(list)
    for row in applied:
        acts[(row.from_source, row.from_identifier, row.library, row.created_at)].append(row)
    out: list[Triple] = []
    instance = NamedNode(instance_iri)
    for (from_source, from_identifier, library, at), rows in acts.items():
        node = NamedNode(f"{instance_iri}#overlay-{min(r.id for r in rows)}")
        process, note = NamedNode(f"{node.value}-process"), NamedNode(f"{node.value}-note")
        stamp = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
        out += [Triple(instance, ADMIN, node), Triple(node, TYPE, ADMIN_CLASS),
                Triple(node, DATE, Literal(stamp.isoformat(timespec="seconds"), datatype=XSD_DATETIME)),
                Triple(node, CODE, Literal(f"overlay:{from_source}:{from_identifier}")),
                Triple(node, PROCESS, process), Triple(process, TYPE, PROCESS_CLASS),
                Triple(process, LABEL, Literal(PROCESS_LABEL)),
                Triple(node, NOTE, note), Triple(note, TYPE, NOTE_CLASS),
                Triple(note, NOTE_TYPE, Literal("enrichment overlay")),
                Triple(note, LABEL, Literal(f"added by library {library} from record {from_source} "
                                            f"{from_identifier}: " +
                                            "; ".join(OverlayField.from_row(r).text() for r in rows)))]
        if (from_source, from_identifier) in sources:
            out.append(Triple(node, DERIVED, NamedNode(sources[(from_source, from_identifier)])))
        if library in agents:
            out.append(Triple(node, AGENT, NamedNode(agents[library])))
    return out
