"""`/.well-known/void`: the dataset described in VoID and DCAT, and `/dumps/…`: the files it points to.

The description is built from live facts (triple count from the store, dump sizes and checksums
from the dump manifest), so what data.norge.no or a crawler reads always matches what is served.
"""

from __future__ import annotations

from flask import Blueprint, abort, make_response, request, send_from_directory

from pyoxigraph import Literal, NamedNode, Triple

from circulation import statistics_cube
from lists import graph as lists_graph
from portal.ld_resources import CONTEXT_PREFIXES, body
from portal.ld_store import stores
from portal.render import negotiated
from transform import bibframe, dumps, statistics
from transform.convert import dataset_description
from vocab import licences

bp = Blueprint("void", __name__)

#: The licence of what Grenseløs itself adds (works, libraries, statistics, lists).
LICENCE = "http://creativecommons.org/publicdomain/zero/1.0/"
VOID, DCAT, DCT = bibframe.VOID, "http://www.w3.org/ns/dcat#", bibframe.DCTERMS
XSD = "http://www.w3.org/2001/XMLSchema#"
TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
MEDIA = {"text/turtle": "ttl", "application/ld+json": "jsonld", "application/rdf+xml": "xml",
         "application/n-triples": "nt"}
CONTENT_TYPES = {"ttl": "text/turtle; charset=utf-8", "jsonld": "application/ld+json",
                 "xml": "application/rdf+xml; charset=utf-8", "nt": "application/n-triples; charset=utf-8"}


def _n(value: str) -> NamedNode:
    return NamedNode(value)


def _int(value: int) -> Literal:
    return Literal(str(int(value)), datatype=_n(XSD + "integer"))


def description(settings, triples_count: int, manifest: dict, cube: list[Triple] = (),
                lists: list[Triple] = (), circulation_cube: list[Triple] = ()) -> list[Triple]:
    """`cube`: what the statistics graph says about its Data Cube (`transform.statistics.void_triples`);
    `lists`: the curated lists' subset (`lists.graph.void_triples`)."""
    base = settings.base_uri
    ds = _n(f"{base}/dataset")
    out = list(dataset_description(base))
    endpoint = _n(f"{base}/sparql")
    service = _n(f"{base}/sparql#service")
    out += [
        Triple(ds, TYPE, _n(DCAT + "Dataset")),
        Triple(ds, _n(DCT + "title"), Literal("Grenseløs – the libraries of Troms and Finnmark", language="en")),
        Triple(ds, _n(DCT + "title"), Literal("Grenseløs – bibliotekene i Troms og Finnmark", language="nb")),
        Triple(ds, _n(DCT + "description"), Literal(
            "The merged catalogue of the public and school libraries of Troms and Finnmark as BIBFRAME 2 "
            "linked data: works, instances, items with holdings, agents and libraries.", language="en")),
        *(Triple(ds, _n(DCT + "license"), _n(uri)) for uri in _dataset_licences(settings)),
        Triple(ds, _n(VOID + "uriSpace"), Literal(base + "/")),
        Triple(ds, _n(VOID + "triples"), _int(triples_count)),
        Triple(ds, _n(VOID + "sparqlEndpoint"), endpoint),
        Triple(ds, _n(VOID + "feature"), _n("http://www.w3.org/ns/formats/Turtle")),
        Triple(ds, _n(VOID + "feature"), _n("http://www.w3.org/ns/formats/JSON-LD")),
        Triple(ds, _n(VOID + "feature"), _n("http://www.w3.org/ns/formats/RDF_XML")),
        Triple(ds, _n(VOID + "feature"), _n("http://www.w3.org/ns/formats/N-Triples")),
        Triple(ds, _n(DCAT + "landingPage"), _n(f"{base}/")),
        Triple(service, TYPE, _n(DCAT + "DataService")),
        Triple(service, _n(DCAT + "endpointURL"), endpoint),
        Triple(service, _n(DCT + "conformsTo"), _n("https://www.w3.org/TR/sparql11-protocol/")),
        Triple(service, _n(DCAT + "servesDataset"), ds),
        Triple(ds, _n(DCAT + "distribution"), _n(f"{base}/oai#distribution")),
        Triple(_n(f"{base}/oai#distribution"), TYPE, _n(DCAT + "Distribution")),
        Triple(_n(f"{base}/oai#distribution"), _n(DCAT + "accessURL"), _n(f"{base}/oai")),
        Triple(_n(f"{base}/oai#distribution"), _n(DCT + "conformsTo"),
               _n("http://www.openarchives.org/OAI/2.0/openarchivesprotocol.htm")),
        Triple(ds, _n(DCT + "accrualPeriodicity"), _n("http://purl.org/cld/freq/daily")),
        Triple(ds, _n(VOID + "rootResource"), _n(f"{base}/changes")),
    ]
    if cube:
        out += [Triple(ds, _n(VOID + "subset"), cube[0].subject), *cube]
    if lists:
        out += [Triple(ds, _n(VOID + "subset"), lists[0].subject), *lists]
    if circulation_cube:        # `circulation.statistics_cube.void_triples`
        out += [Triple(ds, _n(VOID + "subset"), circulation_cube[0].subject), *circulation_cube]
    for subset, entry in sorted(manifest.items()):
        if subset != dumps.ALL and not licences.publishable(settings, subset):
            continue                       # a dump written before the source's licence was declared
        url = _n(f"{base}/dumps/{entry['name']}")
        dist = _n(f"{base}/dumps/{entry['name']}#distribution")
        target = ds if subset == dumps.ALL else _n(f"{base}/dataset/{subset}")
        if target != ds:
            out += [Triple(ds, _n(VOID + "subset"), target), Triple(target, TYPE, _n(VOID + "Dataset")),
                    Triple(target, _n(DCT + "title"), Literal(_source_name(settings, subset))),
                    Triple(target, _n(VOID + "triples"), _int(entry["triples"]))]
        out += [Triple(target, _n(VOID + "dataDump"), url), Triple(target, _n(DCAT + "distribution"), dist),
                Triple(dist, TYPE, _n(DCAT + "Distribution")), Triple(dist, _n(DCAT + "downloadURL"), url),
                Triple(dist, _n(DCAT + "mediaType"), _n("https://www.iana.org/assignments/media-types/application/n-triples")),
                Triple(dist, _n(DCAT + "compressFormat"), _n("http://www.iana.org/assignments/media-types/application/gzip")),
                Triple(dist, _n(DCAT + "byteSize"), _int(entry["bytes"])),
                Triple(dist, _n(DCT + "modified"), Literal(entry["generated"], datatype=_n(XSD + "dateTime"))),
                Triple(dist, _n("http://spdx.org/rdf/terms#checksum"), Literal("sha256:" + entry["sha256"])),
                *(Triple(node, _n(DCT + "license"), _n(uri))
                  for node in ([dist] if target == ds else [target, dist])
                  for uri in ([_subset_licence(settings, subset)] if target != ds else _dataset_licences(settings)))]
    return out


def _subset_licence(settings, subset: str) -> str:
    licence = licences.of_source(settings, subset)
    return licence.uri if licence is not None else LICENCE


def _dataset_licences(settings) -> list[str]:
    """The licences of what the dataset publishes: its own additions' and each published source's."""
    return list(dict.fromkeys([LICENCE, *(_subset_licence(settings, s) for s in licences.published_sources(settings))]))


def _source_name(settings, subset: str) -> str:
    for source in settings.sources:
        if source.id == subset:
            return source.name
    return subset


@bp.route("/.well-known/void")
@bp.route("/.well-known/void.<ext>")
def void(ext: str | None = None):
    negotiated()
    formats = {"ttl": "ttl", "jsonld": "jsonld", "rdf": "xml", "nt": "nt"}
    if ext is not None:
        if ext not in formats:
            abort(404)
        fmt = formats[ext]
    else:
        best = request.accept_mimetypes.best_match(list(MEDIA), default="text/turtle")
        fmt = MEDIA.get(best, "ttl")
    s = stores()
    graph = s.graph()
    triples = description(s.settings, len(graph.store), dumps.read_manifest(s.settings),
                          statistics.void_triples(graph), lists_graph.void_triples(graph),
                          statistics_cube.void_triples(graph))
    response = make_response(body(triples, fmt))
    response.headers["Content-Type"] = CONTENT_TYPES[fmt]
    response.headers["Vary"] = "Accept"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route("/dumps/<name>")
def dump_file(name: str):
    if not name.endswith(".nt.gz") or "/" in name or name.startswith("."):
        abort(404)
    directory = dumps.dumps_dir(stores().settings)
    if not (directory / name).is_file():
        abort(404)
    response = send_from_directory(directory, name, mimetype="application/gzip", conditional=True,
                                   max_age=3600)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


__all__ = ["bp", "CONTEXT_PREFIXES"]
