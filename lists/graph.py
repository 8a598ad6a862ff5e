"""Published lists as linked data: one named graph (`{base}/graph/lists`), rewritten whole each time.

Each list up now is a `schema:ItemList` at `{base}/list/{id}`, its titles `schema:ListItem`s in order
pointing at the instances the catalogue describes (`{base}/instance/{record id}`), its owners the
libraries' own IRIs (`{base}/library/…`, as the libraries graph names them), a copy `schema:isBasedOn`
its origin. Rewriting the whole graph makes the command idempotent and drops lists taken down. The graph
store has one writer at a time (Oxigraph), so this runs in the CLI (`grenselos lists graph`), and
`list_graph_runs` tells read-only readers (the portal) to reopen the store.
"""

from __future__ import annotations

from datetime import datetime

from pyoxigraph import Literal, NamedNode, Triple
from sqlalchemy import delete, insert

from core.clock import now as now_utc
from lists.model import CuratedList
from lists.store import ListStore
from lists.tables import list_graph_runs
from transform.holdings import library_iri
from vocab import libraries as libraries_vocab, licences

SCHEMA = "https://schema.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
GRAPH = "graph/lists"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def _s(term: str) -> NamedNode:
    return NamedNode(SCHEMA + term)


def list_uri(base_uri: str, list_id: int) -> str:
    return f"{base_uri.rstrip('/')}/list/{list_id}"


def list_triples(settings, curated: CuratedList) -> list[Triple]:
    base = settings.base_uri.rstrip("/")
    node = NamedNode(list_uri(base, curated.id))
    # Titles whose records are licensed for the libraries' own use stay on the list page, not in the graph.
    items = [item for item in curated.items if licences.record_publishable(settings, item.record_id)]
    out = [Triple(node, RDF_TYPE, _s("ItemList")),
           Triple(node, _s("url"), NamedNode(f"{base}/lists/{curated.id}")),
           Triple(node, _s("numberOfItems"), Literal(str(len(items)), datatype=NamedNode(XSD + "integer"))),
           Triple(node, _s("itemListOrder"), _s("ItemListOrderAscending"))]
    for lang, text in curated.titles.items():
        out.append(Triple(node, _s("name"), Literal(text, language=lang)))
    for lang, text in curated.blurbs.items():
        out.append(Triple(node, _s("description"), Literal(text, language=lang)))
    for lang in curated.languages:
        out.append(Triple(node, _s("inLanguage"), Literal(lang)))
    for tag in curated.audiences:
        out.append(Triple(node, _s("audience"), Literal(tag)))
    for tag in curated.themes:
        out.append(Triple(node, _s("keywords"), Literal(tag)))
    if curated.publish_at:
        out.append(Triple(node, _s("datePublished"), Literal(curated.publish_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                                             datatype=NamedNode(XSD + "dateTime"))))
    if curated.campaign:
        out.append(Triple(node, _s("about"), Literal(curated.campaign)))
    if curated.origin:
        out.append(Triple(node, _s("isBasedOn"), NamedNode(list_uri(base, curated.origin))))
    directory = libraries_vocab.directory(settings)
    for owner in curated.owners:
        library = directory.get(owner)
        if library is not None:
            out.append(Triple(node, _s("maintainer"), NamedNode(library_iri(base, library))))
    for item in items:
        element = NamedNode(f"{node.value}#item-{item.position}")
        out += [Triple(node, _s("itemListElement"), element), Triple(element, RDF_TYPE, _s("ListItem")),
                Triple(element, _s("position"), Literal(str(item.position), datatype=NamedNode(XSD + "integer"))),
                Triple(element, _s("item"), NamedNode(f"{base}/instance/{item.record_id}"))]
        for lang, text in item.blurbs.items():
            out.append(Triple(element, _s("description"), Literal(text, language=lang)))
    return out


def write(settings, graph, store: ListStore, at: datetime | None = None) -> dict:
    """Replace the lists graph with the lists up at `at`; returns {"lists", "triples"}."""
    at = at or now_utc()
    shown = [c for c in store.all() if c.is_up(at)]
    triples = [t for c in shown for t in list_triples(settings, c)]
    graph.replace({NamedNode(f"{graph.base_uri}/{GRAPH}"): triples})
    graph.flush()
    with store.engine.begin() as conn:
        conn.execute(delete(list_graph_runs))
        conn.execute(insert(list_graph_runs).values(id=1, written_at=at, lists=len(shown), triples=len(triples)))
    return {"lists": len(shown), "triples": len(triples)}


def void_triples(graph) -> list[Triple]:
    """The lists as a VoID subset of the dataset: where they are, how many, and how to find them."""
    base = graph.base_uri.rstrip("/")
    name = NamedNode(f"{base}/{GRAPH}")
    count = sum(1 for _ in graph.store.quads_for_pattern(None, None, None, name))
    subset = NamedNode(f"{base}/dataset/lists")
    void = "http://rdfs.org/ns/void#"
    out = [Triple(subset, RDF_TYPE, NamedNode(void + "Dataset")),
           Triple(subset, NamedNode("http://purl.org/dc/terms/title"),
                  Literal("Curated lists of the libraries", language="en")),
           Triple(subset, NamedNode("http://purl.org/dc/terms/title"), Literal("Bibliotekenes lister", language="nb")),
           Triple(subset, NamedNode(void + "triples"), Literal(str(count), datatype=NamedNode(XSD + "integer"))),
           Triple(subset, NamedNode(void + "class"), _s("ItemList")),
           Triple(subset, NamedNode(void + "vocabulary"), NamedNode(SCHEMA)),
           Triple(subset, NamedNode(void + "uriSpace"), Literal(f"{base}/list/"))]
    return out
