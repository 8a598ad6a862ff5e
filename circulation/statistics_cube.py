"""The circulation statistics as an RDF Data Cube, `{base}/graph/circulation-statistics`, beside the
holdings cube (`transform.statistics`) and with its conventions: the same `qb:` structure, the fixed
`stat:` vocabulary, library IRIs as items' `bf:heldBy`, deterministic triples so an unchanged year is not
rewritten, and the dataset described in VoID.

Public, so every figure is the suppressed one (`circulation.statistics.suppressed`, threshold
`[circulation] suppress_below`): a suppressed cell is an observation without `stat:count` and with
`stat:suppressed true`, so a query sees that the cell exists but not its value.

One observation per library, period, indicator and breakdown: `stat:period` is "2026" or "2026-03",
`stat:indicator` one of INDICATORS, `stat:itemType`, `stat:ageGroup`, `stat:languageGroup` are "all" where
the figure is not broken down that way.
"""

from __future__ import annotations

from typing import Callable, Iterable
from urllib.parse import quote

from pyoxigraph import Literal, NamedNode, Triple

from circulation import statistics as stats
from transform import bibframe
from transform.statistics import QB, STAT, dataset_header

GRAPH = "graph/circulation-statistics"
DATASET = "statistics/circulation"
ALL = "all"
INDICATORS = ("loans", "renewals", "ill_loans_out", "ill_loans_in", "active_borrowers", "stock", "additions",
              "withdrawals")
DIMENSIONS = ("library", "period", "indicator", "itemType", "ageGroup", "languageGroup")

_N, _L = NamedNode, Literal
TYPE = _N(bibframe.RDF + "type")
XSD_INT, XSD_BOOL = _N(bibframe.XSD + "integer"), _N(bibframe.XSD + "boolean")


def dataset_uri(base_uri: str) -> NamedNode:
    return _N(f"{base_uri.rstrip('/')}/{DATASET}")


def graph_name(base_uri: str) -> NamedNode:
    return _N(f"{base_uri.rstrip('/')}/{GRAPH}")


def cells(report: dict) -> Iterable[tuple[str, str, str, str, str, int | None]]:
    """(period, indicator, item type, age group, language group, value) for one (suppressed) report."""
    year = str(report["year"])
    for indicator in INDICATORS:
        yield year, indicator, ALL, ALL, ALL, report[indicator]
    for item_type, groups in sorted(report["loans_by_item_type"].items()):
        for group, value in sorted(groups.items()):
            yield year, "loans", item_type, group, ALL, value
    for group, value in sorted(report["active_borrowers_by_group"].items()):
        yield year, "active_borrowers", ALL, group, ALL, value
    for month, groups in sorted(report["language_loans_by_month"].items()):
        for group, value in groups.items():
            yield f"{year}-{month}", "loans", ALL, ALL, group, value


def cube_triples(base_uri: str, reports: Iterable[dict], library_iri: Callable[[str], str]) -> list[Triple]:
    ds = dataset_uri(base_uri)
    dsd, out = dataset_header(
        ds, base_uri, "Circulation per library and year", "Utlån per bibliotek og år",
        "What the National Library's annual public-library statistics ask of each library: loans and renewals, "
        "loans by item type and children/adults, inter-library loans in and out, active borrowers, stock, "
        "additions and withdrawals; and loans of Sami, Kven, Finnish and Russian books per month. Cells that "
        "could identify a reader are suppressed (stat:suppressed true, no count).")
    components = [(name, "dimension", "DimensionProperty") for name in DIMENSIONS]
    components += [("count", "measure", "MeasureProperty"), ("suppressed", "attribute", "AttributeProperty")]
    for order, (name, role, kind) in enumerate(components, 1):
        prop, spec = _N(STAT + name), _N(f"{dsd.value}-{name}")
        out += [Triple(dsd, _N(QB + "component"), spec), Triple(spec, TYPE, _N(QB + "ComponentSpecification")),
                Triple(spec, _N(QB + role), prop), Triple(spec, _N(QB + "order"), _L(str(order), datatype=XSD_INT)),
                Triple(prop, TYPE, _N(QB + kind)), Triple(prop, TYPE, _N(bibframe.RDF + "Property"))]
    count = 0
    for report in reports:
        lib = _N(library_iri(report["library"]))
        for period, indicator, item_type, age, lang, value in cells(report):
            key = "/".join(quote(p, safe="") for p in (report["library"], period, indicator, item_type, age, lang))
            obs = _N(f"{ds.value}/{key}")
            out += [Triple(obs, TYPE, _N(QB + "Observation")), Triple(obs, _N(QB + "dataSet"), ds),
                    Triple(obs, _N(STAT + "library"), lib), Triple(obs, _N(STAT + "period"), _L(period)),
                    Triple(obs, _N(STAT + "indicator"), _L(indicator)),
                    Triple(obs, _N(STAT + "itemType"), _L(item_type)),
                    Triple(obs, _N(STAT + "ageGroup"), _L(age)), Triple(obs, _N(STAT + "languageGroup"), _L(lang))]
            if value is None:
                out.append(Triple(obs, _N(STAT + "suppressed"), _L("true", datatype=XSD_BOOL)))
            else:
                out.append(Triple(obs, _N(STAT + "count"), _L(str(value), datatype=XSD_INT)))
            count += 1
    out.append(Triple(ds, _N(bibframe.VOID + "entities"), _L(str(count), datatype=XSD_INT)))
    return out


def write(engine, graph, libraries: Iterable[str], years: Iterable[int], threshold: int,
          library_iri: Callable[[str], str]) -> tuple[int, bool]:
    """Reconcile the stock ledger, then bring the cube up to date; rewrite the graph only if it changed.
    Returns (observations, written)."""
    with engine.begin() as conn:
        stats.reconcile_stock(conn)
    with engine.connect() as conn:
        reports = [stats.suppressed(stats.annual(conn, lib, year), threshold)
                   for lib in sorted(set(libraries)) for year in sorted(set(years))]
    triples = cube_triples(graph.base_uri, reports, library_iri)
    name = graph_name(graph.base_uri)
    current = {(q.subject, q.predicate, q.object) for q in graph.store.quads_for_pattern(None, None, None, name)}
    changed = current != {(t.subject, t.predicate, t.object) for t in triples}
    if changed:
        graph.replace({name: triples})
    observations = sum(1 for t in triples if t.predicate == TYPE and t.object.value == QB + "Observation")
    return observations, changed


def void_triples(graph) -> list[Triple]:
    """What the cube says about its dataset, for `/.well-known/void` (empty before the first write)."""
    ds = dataset_uri(graph.base_uri)
    return [Triple(q.subject, q.predicate, q.object)
            for q in graph.store.quads_for_pattern(ds, None, None, graph_name(graph.base_uri))]
