"""The configured libraries as linked data: one named graph (`{base}/graph/libraries`) rewritten each run.

Items say `bf:heldBy {base}/library/{ISIL}`; this graph says what that library is: its name, ISIL,
municipality, county and kind, so that a SPARQL query can ask for "books held in Finnmark" without
knowing every ISIL. Counties come from the municipality (the county map below: Troms og Finnmark's
municipalities as of 2024, when Troms and Finnmark became separate counties again).
"""

from __future__ import annotations

import re

from pyoxigraph import Literal, NamedNode, Triple

from transform import bibframe

SCHEMA = "https://schema.org/"
GRAPH = "graph/libraries"

FINNMARK = {"Alta", "Berlevåg", "Båtsfjord", "Gamvik", "Hammerfest", "Hasvik", "Karasjok", "Kárášjohka",
            "Kautokeino", "Guovdageaidnu", "Lebesby", "Loppa", "Måsøy", "Nesseby", "Unjárga", "Nordkapp",
            "Porsanger", "Porsáŋgu", "Sør-Varanger", "Tana", "Deatnu", "Vadsø", "Vardø"}
TROMS = {"Balsfjord", "Bardu", "Dyrøy", "Gratangen", "Harstad", "Ibestad", "Karlsøy", "Kvæfjord", "Kvænangen",
         "Kåfjord", "Gáivuotna", "Lavangen", "Lyngen", "Målselv", "Nordreisa", "Salangen", "Senja", "Skjervøy",
         "Storfjord", "Tjeldsund", "Tromsø", "Romsa"}

_T = bibframe.term
TYPE, LABEL = _T("rdf:type"), _T("rdfs:label")
ORGANIZATION, CODE = _T("bf:Organization"), _T("bf:code")


def county_of(municipality: str) -> str:
    """The county of a municipality, also for bilingual names ("Guovdageaidnu – Kautokeino")."""
    names = [municipality.strip(), *re.split(r"\s+[–-]\s+|\s*/\s*", municipality.strip())]
    for name in names:
        if name in FINNMARK:
            return "Finnmark"
        if name in TROMS:
            return "Troms"
    return ""


def library_uri(base_uri: str, source) -> str:
    return f"{base_uri.rstrip('/')}/library/{source.isil or source.id}"


def library_triples(settings) -> list[Triple]:
    out = []
    for source in settings.sources:
        lib = NamedNode(library_uri(settings.base_uri, source))
        out += [Triple(lib, TYPE, ORGANIZATION), Triple(lib, LABEL, Literal(source.name)),
                Triple(lib, NamedNode(SCHEMA + "name"), Literal(source.name)),
                Triple(lib, NamedNode(SCHEMA + "additionalType"), Literal(source.kind))]
        if source.isil:
            out.append(Triple(lib, CODE, Literal(source.isil)))
        if source.municipality:
            out.append(Triple(lib, NamedNode(SCHEMA + "addressLocality"), Literal(source.municipality)))
            county = county_of(source.municipality)
            if county:
                out.append(Triple(lib, NamedNode(SCHEMA + "addressRegion"), Literal(county)))
    return out


def write(settings, graph) -> int:
    """Replace the libraries graph from the configuration; returns triples written."""
    name = NamedNode(f"{graph.base_uri}/{GRAPH}")
    return graph.replace({name: library_triples(settings)})
