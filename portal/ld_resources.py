"""What dereferencing a Grenseløs URI returns: the resource's description, its state, and its bytes.

A description is the resource's own triples from every graph, plus the nodes that exist only to
describe it: blank nodes, fragment IRIs (`{instance}#title-1`) and children (`{instance}/item/1`),
followed a few levels deep. A resource without triples is Gone (410) when the change log or the
transform table says it was deleted, else unknown (404). A path that cannot form an IRI at all (a `"`,
a space, a NUL: RFC 3987 forbids them) names nothing that was ever minted, so it is unknown too, decided
before any store sees it.

JSON-LD is written compact, with the same context the portal publishes at `/context.jsonld`, so a
client sees `bf:mainTitle` rather than full IRIs and can cache the context.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from pyoxigraph import BlankNode, Literal, NamedNode, Triple
from sqlalchemy import select

from transform import changes
from transform.bibframe import PREFIXES
from transform.serialize import serialize
from transform.tables import transform_records
from vocab import licences

KINDS = ("work", "instance", "agent", "library")
MAX_TRIPLES = 20000
DEPTH = 4
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

CONTEXT_PREFIXES = {**PREFIXES, "schema": "https://schema.org/", "dcat": "http://www.w3.org/ns/dcat#",
                    "foaf": "http://xmlns.com/foaf/0.1/", "as": "https://www.w3.org/ns/activitystreams#"}


def context_document() -> dict:
    return {"@context": dict(CONTEXT_PREFIXES)}


@dataclass
class Resource:
    uri: str
    kind: str
    triples: list[Triple]
    modified: datetime | None = None
    gone: bool = False
    record: tuple[str, str] | None = None        # (source, identifier) of the record behind an instance/item
    #: The licence that keeps this record out of the linked data (`vocab.licences.publishable` said no).
    withheld: object | None = None

    @property
    def found(self) -> bool:
        return bool(self.triples)


def is_iri(value: str) -> bool:
    """Whether `value` is an IRI the graph store accepts (Oxigraph checks RFC 3987 strictly)."""
    try:
        NamedNode(value)
    except ValueError:
        return False
    return True


def describe(graph, uri: str) -> list[Triple]:
    """The resource's triples and those of the nodes that only describe it (see the module docstring)."""
    store = graph.store
    seen_nodes = {uri}
    out: dict[Triple, None] = {}
    frontier = [NamedNode(uri)]
    for _ in range(DEPTH):
        following = []
        for node in frontier:
            for quad in store.quads_for_pattern(node, None, None, None):
                triple = Triple(quad.subject, quad.predicate, quad.object)
                if triple in out:
                    continue
                out[triple] = None
                if len(out) >= MAX_TRIPLES:
                    return list(out)
                obj = quad.object
                key = getattr(obj, "value", None)
                if key is None or key in seen_nodes:
                    continue
                if isinstance(obj, BlankNode) or (isinstance(obj, NamedNode) and _belongs(uri, key, graph.base_uri)):
                    seen_nodes.add(key)
                    following.append(obj)
        frontier = following
        if not frontier:
            break
    return list(out)


def _belongs(uri: str, other: str, base: str) -> bool:
    if other.startswith(uri + "#") or other.startswith(uri + "/"):
        return True
    return "#" in other and other.startswith(base + "/instance/")


def split_instance(engine, settings, local: str) -> tuple | None:
    """`{source}-{record_id}` → (source, record_id, identifier, status, updated), trying every source."""
    for source in sorted((s.id for s in settings.sources), key=len, reverse=True):
        if not local.startswith(source + "-"):
            continue
        record_id = local[len(source) + 1:]
        with engine.connect() as conn:
            row = conn.execute(select(transform_records.c.identifier, transform_records.c.status,
                                      transform_records.c.updated_at)
                               .where(transform_records.c.source == source,
                                      transform_records.c.record_id == record_id)).first()
        if row is not None:
            return source, record_id, row.identifier, row.status, _utc(row.updated_at)
    return None


def resolve(stores, kind: str, local: str) -> Resource:
    """Find the resource `{base}/{kind}/{local}`; `gone`/`found` tell the view which status to give."""
    base = stores.base_uri
    uri = f"{base}/{kind}/{local}"
    if not is_iri(uri):
        return Resource(uri, kind, [])
    graph = stores.graph()
    engine = stores.sql()
    resource = Resource(uri, kind, describe(graph, uri))
    if kind == "instance":
        head, _, _rest = local.partition("/item/")
        found = split_instance(engine, stores.settings, head)
        if found is not None:
            source, record_id, identifier, status, updated = found
            resource.record = (source, identifier)
            if status == "ok" and not licences.publishable(stores.settings, source):
                resource.withheld = licences.of_source(stores.settings, source) or licences.table()["vendor-local-use"]
                return resource
            if not _rest and "/item/" not in local:
                # An instance is dereferenced as its whole record: its work's statements and contributions too.
                resource.triples = list(dict.fromkeys([*resource.triples, *graph.graph_for(source, record_id)]))
            resource.modified = updated
            if status == "deleted" and not resource.found:
                resource.gone = True
    if resource.modified is None or not resource.found:
        with engine.connect() as conn:
            latest = changes.latest_for(conn, uri)
        if latest is not None:
            resource.modified = resource.modified or _utc(latest["time"])
            if latest["activity"] == "Delete" and not resource.found:
                resource.gone = True
    if resource.modified is None and resource.found:
        resource.modified = stores.last_run()
    return resource


def _utc(value):
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


# -- bytes -----------------------------------------------------------------------------------------

def body(triples: list[Triple], fmt: str) -> bytes:
    ordered = sorted(triples, key=str)
    if fmt == "jsonld":
        return json.dumps(compact_jsonld(ordered), ensure_ascii=False, indent=1).encode("utf-8")
    return serialize(ordered, fmt)


def etag(triples: list[Triple], fmt: str) -> str:
    digest = hashlib.sha256("\n".join(sorted(str(t) for t in triples)).encode("utf-8")).hexdigest()[:32]
    return f'"{digest}-{fmt}"'


def _compact(iri: str) -> str:
    best = None
    for prefix, ns in CONTEXT_PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            local = iri[len(ns):]
            if all(c.isalnum() or c in "_-." for c in local) and (best is None or len(ns) > len(best[1])):
                best = (prefix, ns, local)
    return f"{best[0]}:{best[2]}" if best else iri


def _value(term) -> dict:
    if isinstance(term, NamedNode):
        return {"@id": term.value}
    if isinstance(term, BlankNode):
        return {"@id": f"_:{term.value}"}
    if isinstance(term, Literal):
        if term.language:
            return {"@value": term.value, "@language": term.language}
        if term.datatype and term.datatype.value != XSD_STRING:
            return {"@value": term.value, "@type": _compact(term.datatype.value)}
        return {"@value": term.value}
    return {"@value": str(term)}


def compact_jsonld(triples: list[Triple]) -> dict:
    """Compact JSON-LD: one node object per subject, CURIE keys, the published context inline."""
    nodes: dict[str, dict] = {}
    for t in triples:
        sid = t.subject.value if isinstance(t.subject, NamedNode) else f"_:{t.subject.value}"
        node = nodes.setdefault(sid, {"@id": sid})
        if t.predicate.value == RDF_TYPE and isinstance(t.object, NamedNode):
            node.setdefault("@type", []).append(_compact(t.object.value))
            continue
        node.setdefault(_compact(t.predicate.value), []).append(_value(t.object))
    return {"@context": dict(CONTEXT_PREFIXES), "@graph": list(nodes.values())}
