"""Each record's description — the triples its named graph in the graph store holds — kept packed in SQL
for the readers that take one whole record at a time, the search index above all.

Why: Oxigraph keeps every IRI and text longer than a few bytes in a string table, so reading a record's
named graph back costs a lookup per term: about 15 µs a triple here, 1.5 ms for a record of 90 triples,
twice what building its search document from MARC used to cost (`bench/index_stage.py`). The pipeline
already holds the triples while it converts the record, so it keeps them as one row per record
(`record_descriptions`), replaced per batch in the same transaction as the record's state, the way its
graph is replaced; a reader unpacks a record in tens of microseconds. Records converted before this
table existed have no row: readers fall back to the graph store (`GraphStore.record_triples`).

The packed form is grouped by subject and property, IRIs apart from texts, each list in record order
(`record_order`); it keeps what the search index reads (IRIs and the text of literals), not the
datatypes or language tags of literals, which the mapping does not write. The graph store stays the one
place for full RDF.

    pack(triples) -> bytes                 unpack(bytes) -> {subject: {property: ([IRIs], [texts])}}
    replace(conn, source, identifiers, {identifier: packed})            # one batch
    packed_many(conn, source, identifiers) -> {identifier: packed}
"""

from __future__ import annotations

import re
import zlib
from typing import Iterable

import orjson
from pyoxigraph import BlankNode, Literal
from sqlalchemy import Column, LargeBinary, String, Table, delete, insert, select

from transform.tables import metadata

CHUNK = 500
_MINTED = re.compile(r"(.*)-(\d+)$")

record_descriptions = Table(
    "record_descriptions", metadata,
    Column("source", String(64), primary_key=True),
    Column("identifier", String(512), primary_key=True),
    Column("description", LargeBinary, nullable=False),     # pack(triples)
)


def record_order(value: str) -> tuple:
    """The order of a property's values: resources the mapping minted in record order (`{instance}#title-2`
    before `#title-10`, the counter the engine keeps per name), then other IRIs and texts by their text.
    RDF keeps no order; this is the one the converter's IRIs carry."""
    cut = value.rfind("#")
    if cut >= 0:
        m = _MINTED.match(value, cut + 1)
        if m:
            return (0, value[:cut], m.group(1), int(m.group(2)))
    return (1, value, "", 0)


def group(triples: Iterable) -> dict[str, dict[str, tuple[list[str], list[str]]]]:
    """subject → property → (IRIs, texts), each list in record order."""
    out: dict = {}
    strings: dict = {}               # term → its text: a record repeats its subjects and properties
    for subject, prop, obj in triples:          # Triples or (s, p, o) tuples
        s = strings.get(subject)
        if s is None:
            s = strings[subject] = f"_:{subject.value}" if type(subject) is BlankNode else subject.value
        p = strings.get(prop)
        if p is None:
            p = strings[prop] = prop.value
        props = out.get(s)
        if props is None:
            props = out[s] = {}
        values = props.get(p)
        if values is None:
            values = props[p] = ([], [])
        if type(obj) is Literal:
            values[1].append(obj.value)
        else:
            values[0].append(f"_:{obj.value}" if type(obj) is BlankNode else obj.value)
    for props in out.values():
        for iris, texts in props.values():
            if len(iris) > 1:
                iris.sort(key=record_order)
            if len(texts) > 1:
                texts.sort()
    return out


def pack(triples: Iterable) -> bytes:
    return zlib.compress(orjson.dumps(group(triples)), 1)


def unpack(packed: bytes) -> dict[str, dict[str, list[list[str]]]]:
    """What `group` made (lists for tuples), from `pack`'s bytes."""
    return orjson.loads(zlib.decompress(packed))


def replace(conn, source: str, identifiers, packed: dict[str, bytes]) -> None:
    """Drop the rows of every record in `identifiers` (the batch), then insert `packed` (its converted ones)."""
    identifiers = list(identifiers)
    for start in range(0, len(identifiers), CHUNK):
        conn.execute(delete(record_descriptions).where(
            record_descriptions.c.source == source,
            record_descriptions.c.identifier.in_(identifiers[start:start + CHUNK])))
    if packed:
        conn.execute(insert(record_descriptions), [{"source": source, "identifier": i, "description": d}
                                                   for i, d in packed.items()])


def packed_many(conn, source: str, identifiers) -> dict[str, bytes]:
    identifiers = list(identifiers)
    out = {}
    for start in range(0, len(identifiers), CHUNK):
        out.update(conn.execute(select(record_descriptions.c.identifier, record_descriptions.c.description).where(
            record_descriptions.c.source == source,
            record_descriptions.c.identifier.in_(identifiers[start:start + CHUNK]))).all())
    return out
