"""Holdings per library and language, kept by the transform stage and published as an RDF Data Cube.

Why precomputed: "how many books in each language does each library hold" walks work → instance →
item → library for every holding. Oxigraph answers that GROUP BY with four index joins per row (about
5 µs each): 14 s for 250,000 records, and in the union default graph it also over-counts, because the
union keeps duplicates (a work's `bf:hasInstance` is in its record graph and in its work graph; every
member record repeats its work's languages). The pipeline already holds each record's items and
languages while it converts it, so it keeps them as rows (`statistics_facts`, replaced per batch in the
same transaction as the record's state) and, at the end of a run, writes the totals as one small named
graph, `{base}/graph/statistics`: one `qb:Observation` per library and language, read in milliseconds.

What is counted, per record (one instance): its items per library (`bf:heldBy`), and its languages —
the id.loc.gov / lexvo.org language IRIs its Work carries as `bf:language` (008/35-37, 041 $a $d), or,
where Grenseløs' detection is what the language facet uses (status `detected`), that language instead.
An observation says, for one library and one language, how many instances have at least one item there
(`stat:instances`) and how many items that is (`stat:items`). A record in two languages counts in both.

    record_facts(triples, base_uri) -> [(library IRI, language IRI, items)]   # one record
    replace_facts(conn, source, identifiers, facts)                            # one batch
    write(engine, graph) -> StatisticsSummary                                  # end of a run
    observations(engine) -> [Observation]

Facts missing for records converted before this table existed are read back from the graph store once
(two predicate scans, `backfill`), so an upgrade needs no `--full` run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterable
from urllib.parse import quote

from pyoxigraph import Literal, NamedNode, Triple
from sqlalchemy import Column, Integer, String, Table, delete, func, insert, select

from transform import bibframe
from transform.tables import metadata, transform_records

QB = "http://purl.org/linked-data/cube#"
STAT = "https://data.grenselos.no/def/statistics#"
"""Fixed (not under each deployment's base URI) so that a query written once works against every Grenseløs."""
GRAPH = "graph/statistics"
DATASET = "statistics/holdings-by-language"
LANG_PREFIXES = (bibframe.PREFIXES["lang"], bibframe.PREFIXES["iso639-3"])
CHUNK = 500
NONE = ""          # library/language of a record's marker row (converted, but no item or no language)

facts_table = Table(
    "statistics_facts", metadata,
    Column("source", String(64), primary_key=True),
    Column("identifier", String(512), primary_key=True),
    Column("library", String(600), primary_key=True),     # library IRI, or "" when the record has no item
    Column("language", String(300), primary_key=True),    # language IRI, or "" when it has none
    Column("items", Integer, nullable=False, default=0),
)

_T = bibframe.term
TYPE, LABEL, VALUE = _T("rdf:type"), _T("rdfs:label"), _T("rdf:value")
HELD_BY, LANGUAGE, CODE = _T("bf:heldBy"), _T("bf:language"), _T("bf:code")
XSD_INT = NamedNode(bibframe.XSD + "integer")
DETECTED_STATUS = "#language-detected-status"   # see transform.language_graph.detected_triples


@dataclass(frozen=True)
class Observation:
    library: str
    language: str
    instances: int
    items: int


@dataclass
class StatisticsSummary:
    observations: int
    backfilled: int
    written: bool
    seconds: float

    def line(self) -> str:
        done = "written" if self.written else "unchanged"
        extra = f", {self.backfilled} records read back from the graph" if self.backfilled else ""
        return f"statistics: {self.observations} observations {done}{extra} in {self.seconds:.2f} s"


# -- one record --------------------------------------------------------------------------------

def record_facts(triples: Iterable, base_uri: str) -> list[tuple[str, str, int]]:
    """(library, language, items) for one record's triples; [("", "", 0)] when it has neither.

    Items without a language give (library, "", items) so library totals stay possible.
    """
    work_prefix = base_uri.rstrip("/") + "/work/"
    items: dict[str, set[str]] = {}
    languages: list[str] = []
    detected_nodes: set[str] = set()
    values: dict[str, str] = {}
    held_by, language, code, value = HELD_BY.value, LANGUAGE.value, CODE.value, VALUE.value
    for subject, predicate, o in triples:       # Triples or (s, p, o) tuples
        p = predicate.value
        if p == held_by:
            items.setdefault(o.value, set()).add(subject.value)
        elif p == language:
            if (isinstance(o, NamedNode) and o.value.startswith(LANG_PREFIXES)
                    and subject.value.startswith(work_prefix) and o.value not in languages):
                languages.append(o.value)
        elif p == code:
            s = subject.value
            if s.endswith(DETECTED_STATUS) and isinstance(o, Literal) and o.value == "detected":
                detected_nodes.add(s[:-len("-status")])
        elif p == value and isinstance(o, NamedNode):
            values[subject.value] = o.value
    detected = [values[n] for n in sorted(detected_nodes) if n in values]
    if detected:
        languages = detected
    out = [(lib, lang, len(members)) for lib, members in sorted(items.items()) for lang in (languages or [NONE])]
    return out or [(NONE, NONE, 0)]


def replace_facts(conn, source: str, identifiers: Iterable[str], facts: dict[str, list[tuple[str, str, int]]]) -> None:
    """Drop the facts of every record in the batch, then insert those of the records converted now."""
    identifiers = list(identifiers)
    for start in range(0, len(identifiers), CHUNK):
        conn.execute(delete(facts_table).where(facts_table.c.source == source,
                                               facts_table.c.identifier.in_(identifiers[start:start + CHUNK])))
    rows = [{"source": source, "identifier": identifier, "library": lib, "language": lang, "items": n}
            for identifier, entries in facts.items() for lib, lang, n in entries]
    for start in range(0, len(rows), CHUNK * 10):
        conn.execute(insert(facts_table), rows[start:start + CHUNK * 10])


# -- records converted before the table existed -------------------------------------------------

def scan_facts(store, base_uri: str, graph_names: set[str] | None = None) -> dict[str, list[tuple[str, str, int]]]:
    """Facts per record graph, read from the store with predicate scans (no SPARQL join)."""
    per_graph: dict[str, list] = {}

    def keep(quad) -> bool:
        g = quad.graph_name
        if not isinstance(g, NamedNode) or (graph_names is not None and g.value not in graph_names):
            return False
        per_graph.setdefault(g.value, []).append((quad.subject, quad.predicate, quad.object))
        return True

    for q in store.quads_for_pattern(None, HELD_BY, None, None):
        keep(q)
    for q in store.quads_for_pattern(None, LANGUAGE, None, None):
        keep(q)
    for q in store.quads_for_pattern(None, CODE, Literal("detected"), None):
        if q.subject.value.endswith(DETECTED_STATUS) and keep(q):
            node = NamedNode(q.subject.value[:-len("-status")])
            for v in store.quads_for_pattern(node, VALUE, None, q.graph_name):
                keep(v)
    wanted = graph_names if graph_names is not None else set(per_graph)
    return {g: record_facts(per_graph.get(g, ()), base_uri) for g in wanted}


def backfill(engine, graph) -> int:
    """Facts for converted records that have none (converted before this table existed); returns how many."""
    marked = select(facts_table.c.source, facts_table.c.identifier).distinct().subquery()
    with engine.connect() as conn:
        missing = conn.execute(
            select(transform_records.c.source, transform_records.c.identifier, transform_records.c.record_id)
            .outerjoin(marked, (marked.c.source == transform_records.c.source)
                       & (marked.c.identifier == transform_records.c.identifier))
            .where(transform_records.c.status == "ok", marked.c.source.is_(None))).all()
    if not missing:
        return 0
    names = {graph.record_graph(r.source, r.record_id).value: (r.source, r.identifier) for r in missing}
    found = scan_facts(graph.store, graph.base_uri, set(names))
    by_source: dict[str, dict] = {}
    for name, entries in found.items():
        source, identifier = names[name]
        by_source.setdefault(source, {})[identifier] = entries
    with engine.begin() as conn:
        for source, facts in by_source.items():
            replace_facts(conn, source, facts, facts)
    return len(missing)


# -- totals and the published graph ---------------------------------------------------------------

def observations(engine) -> list[Observation]:
    """Instances and items per library and language, from the facts of records whose conversion stands."""
    t, r = facts_table, transform_records
    q = (select(t.c.library, t.c.language, func.count(), func.sum(t.c["items"]))
         .join(r, (r.c.source == t.c.source) & (r.c.identifier == t.c.identifier))
         .where(r.c.status == "ok", t.c.library != NONE, t.c.language != NONE)
         .group_by(t.c.library, t.c.language).order_by(t.c.library, t.c.language))
    with engine.connect() as conn:
        return [Observation(lib, lang, int(n), int(items or 0)) for lib, lang, n, items in conn.execute(q)]


def dataset_uri(base_uri: str) -> NamedNode:
    return NamedNode(f"{base_uri.rstrip('/')}/{DATASET}")


def graph_name(base_uri: str) -> NamedNode:
    return NamedNode(f"{base_uri.rstrip('/')}/{GRAPH}")


def _segment(iri: str) -> str:
    tail = iri.rstrip("/").rsplit("/", 1)[-1]
    prefix = "iso639-3-" if iri.startswith(bibframe.PREFIXES["iso639-3"]) else ""
    return quote(prefix + tail, safe="")


def dataset_header(ds: NamedNode, base_uri: str, title_en: str, title_nb: str,
                   description_en: str) -> tuple[NamedNode, list[Triple]]:
    """(structure node, triples) that open every Data Cube of the installation: the dataset as qb:DataSet
    and void:Dataset, its titles, part of the whole dataset, its SPARQL endpoint, its structure."""
    n, lit = NamedNode, Literal
    dsd = n(ds.value + "#structure")
    base = base_uri.rstrip("/")
    return dsd, [
        Triple(ds, TYPE, n(QB + "DataSet")),
        Triple(ds, TYPE, n(bibframe.VOID + "Dataset")),
        Triple(ds, LABEL, lit(title_en, language="en")),
        Triple(ds, n(bibframe.DCTERMS + "title"), lit(title_en, language="en")),
        Triple(ds, n(bibframe.DCTERMS + "title"), lit(title_nb, language="nb")),
        Triple(ds, n(bibframe.DCTERMS + "description"), lit(description_en, language="en")),
        Triple(ds, n(QB + "structure"), dsd),
        Triple(ds, n(bibframe.DCTERMS + "isPartOf"), n(f"{base}/dataset")),
        Triple(ds, n(bibframe.VOID + "sparqlEndpoint"), n(f"{base}/sparql")),
        Triple(dsd, TYPE, n(QB + "DataStructureDefinition")),
    ]


def cube_triples(base_uri: str, rows: Iterable[Observation]) -> list[Triple]:
    """The Data Cube: dataset, its structure, the component properties, one observation per row.

    Deterministic (no timestamp), so an unchanged catalogue gives the same graph and nothing is rewritten.
    """
    n, lit = NamedNode, Literal
    ds = dataset_uri(base_uri)
    dsd, out = dataset_header(ds, base_uri, "Holdings per library and language", "Bestand per bibliotek og språk",
                              "For each library and language: how many instances the library holds at least one "
                              "item of, and how many items. Languages are the catalogued language codes of the "
                              "work, or the language Grenseløs detected where that is what the language facet "
                              "uses. Updated by every transform run.")
    components = (("library", "dimension", "Library", "DimensionProperty", bibframe.BF + "Organization"),
                  ("language", "dimension", "Language", "DimensionProperty", bibframe.BF + "Language"),
                  ("instances", "measure", "Instances held", "MeasureProperty", bibframe.XSD + "integer"),
                  ("items", "measure", "Items held", "MeasureProperty", bibframe.XSD + "integer"))
    for order, (name, role, label, kind, range_) in enumerate(components, 1):
        prop, spec = n(STAT + name), n(f"{dsd.value}-{name}")
        out += [Triple(dsd, n(QB + "component"), spec), Triple(spec, TYPE, n(QB + "ComponentSpecification")),
                Triple(spec, n(QB + role), prop), Triple(spec, n(QB + "order"), lit(str(order), datatype=XSD_INT)),
                Triple(prop, TYPE, n(QB + kind)), Triple(prop, TYPE, n(bibframe.RDF + "Property")),
                Triple(prop, LABEL, lit(label, language="en")),
                Triple(prop, n(bibframe.RDFS + "range"), n(range_))]
    count = 0
    for row in rows:
        obs = n(f"{ds.value}/{_segment(row.library)}/{_segment(row.language)}")
        out += [Triple(obs, TYPE, n(QB + "Observation")), Triple(obs, n(QB + "dataSet"), ds),
                Triple(obs, n(STAT + "library"), n(row.library)), Triple(obs, n(STAT + "language"), n(row.language)),
                Triple(obs, n(STAT + "instances"), lit(str(row.instances), datatype=XSD_INT)),
                Triple(obs, n(STAT + "items"), lit(str(row.items), datatype=XSD_INT))]
        count += 1
    out.append(Triple(ds, n(bibframe.VOID + "entities"), lit(str(count), datatype=XSD_INT)))
    return out


def write(engine, graph) -> StatisticsSummary:
    """Bring `{base}/graph/statistics` up to date with the facts; rewrite it only if it changed."""
    started = time.monotonic()
    filled = backfill(engine, graph)
    rows = observations(engine)
    triples = cube_triples(graph.base_uri, rows)
    name = graph_name(graph.base_uri)
    current = {(q.subject, q.predicate, q.object) for q in graph.store.quads_for_pattern(None, None, None, name)}
    changed = current != {(t.subject, t.predicate, t.object) for t in triples}
    if changed:
        graph.replace({name: triples})
    return StatisticsSummary(len(rows), filled, changed, time.monotonic() - started)


def void_triples(graph) -> list[Triple]:
    """What the statistics graph says about its dataset, for `/.well-known/void` (empty before the first run)."""
    ds = dataset_uri(graph.base_uri)
    name = graph_name(graph.base_uri)
    return [Triple(q.subject, q.predicate, q.object)
            for q in graph.store.quads_for_pattern(ds, None, None, name)]
