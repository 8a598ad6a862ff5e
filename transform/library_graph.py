"""The libraries as linked data: one named graph (`{base}/graph/libraries`) rewritten each run.

Items say `bf:heldBy {base}/library/{ISIL or id}`; this graph says what each library is: its name, ISIL,
municipality, county and kind, and whether it belongs to the cooperating region, so that a SPARQL query can
ask for "books held in Finnmark" without knowing every ISIL. Every fact comes from the library directory
(`vocab.libraries`: the configured sources and the libraries met in the data).
"""

from __future__ import annotations

from pyoxigraph import Literal, NamedNode, Triple

from transform import bibframe
from transform.holdings import library_iri
from vocab import libraries as libraries_vocab

SCHEMA = "https://schema.org/"
GRAPH = "graph/libraries"

_T = bibframe.term
TYPE, LABEL = _T("rdf:type"), _T("rdfs:label")
ORGANIZATION, CODE = _T("bf:Organization"), _T("bf:code")


def library_uri(base_uri: str, source) -> str:
    """The IRI of the library a configured source is."""
    return library_iri(base_uri, libraries_vocab.source_library(source))


def library_triples(settings) -> list[Triple]:
    out = []
    for library in libraries_vocab.directory(settings).libraries():
        lib = NamedNode(library_iri(settings.base_uri, library))
        out += [Triple(lib, TYPE, ORGANIZATION), Triple(lib, LABEL, Literal(library.name)),
                Triple(lib, NamedNode(SCHEMA + "name"), Literal(library.name)),
                Triple(lib, NamedNode(SCHEMA + "additionalType"), Literal(library.kind))]
        if library.isil:
            out.append(Triple(lib, CODE, Literal(library.isil)))
        for code in library.codes:
            out.append(Triple(lib, CODE, Literal(code)))
        if library.municipality:
            out.append(Triple(lib, NamedNode(SCHEMA + "addressLocality"), Literal(library.municipality)))
        if library.county:
            out.append(Triple(lib, NamedNode(SCHEMA + "addressRegion"), Literal(library.county)))
    return out


def write(settings, graph) -> int:
    """Replace the libraries graph from the configuration; returns triples written."""
    name = NamedNode(f"{graph.base_uri}/{GRAPH}")
    return graph.replace({name: library_triples(settings)})
