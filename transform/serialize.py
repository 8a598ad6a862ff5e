"""Triples → bytes in the formats `grenselos convert` and the portal offer, all through pyoxigraph.

pyoxigraph (0.5) writes N-Triples, Turtle, RDF/XML and JSON-LD natively and far faster than rdflib;
rdflib is only used by the tests, to prove that every format parses back.
"""

from __future__ import annotations

from typing import Iterable

import pyoxigraph
from pyoxigraph import RdfFormat, Triple

from transform.bibframe import PREFIXES

FORMATS = {
    "nt": RdfFormat.N_TRIPLES,
    "ttl": RdfFormat.TURTLE,
    "jsonld": RdfFormat.JSON_LD,
    "xml": RdfFormat.RDF_XML,
}

MEDIA_TYPES = {name: fmt.media_type for name, fmt in FORMATS.items()}

_PREFIXES = {k: v for k, v in PREFIXES.items() if k in ("bf", "bflc", "rdf", "rdfs", "owl", "xsd",
                                                         "dcterms", "void")}


def serialize(triples: Iterable[Triple], fmt: str = "nt") -> bytes:
    """Serialise in `fmt` (nt, ttl, jsonld, xml). N-Triples keeps the given order, one triple a line."""
    try:
        rdf_format = FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown RDF format {fmt!r}; choose one of {', '.join(FORMATS)}") from None
    if rdf_format is RdfFormat.N_TRIPLES:
        return pyoxigraph.serialize(triples, format=rdf_format)
    return pyoxigraph.serialize(triples, format=rdf_format, prefixes=_PREFIXES)


class StreamWriter:
    """Writes many records to one binary stream: N-Triples record by record, other formats at the end.

    Turtle, RDF/XML and JSON-LD need one document, so their triples are gathered and written by `close`.
    """

    def __init__(self, out, fmt: str = "nt"):
        if fmt not in FORMATS:
            raise ValueError(f"unknown RDF format {fmt!r}; choose one of {', '.join(FORMATS)}")
        self.out, self.fmt = out, fmt
        self.pending: list[Triple] = []

    def write(self, triples: list[Triple]):
        if self.fmt == "nt":
            self.out.write(serialize(triples, "nt"))
        else:
            self.pending.extend(triples)

    def close(self):
        if self.pending:
            self.out.write(serialize(self.pending, self.fmt))
            self.pending = []
        self.out.flush()
