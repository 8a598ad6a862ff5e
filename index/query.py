"""The backend-neutral query model and result shape every search backend speaks.

A query says what a patron asked for (words, fielded terms, filters, facets, sort, page, grouping by
work); a backend translates it. Semantics both backends keep:
- words are ANDed; each word may match any searchable field, exact or folded;
- filters on one field OR their values, filters on different fields AND; `exclude` negates;
- facet counts are counts of documents (editions) in the whole matching set, also when grouping;
  values sort by count, then value; `always` values are listed even below the `limit` cut when the
  matching set has them (the Sami languages and Kven in the language facet);
- grouping returns one hit per work, ordered by its best edition under the chosen sort, with the
  work's matching editions (up to `group_limit`) and their holding libraries;
- the projection, not the engine, decides what scores cannot: hits whose scores (or sort keys) tie are
  in `index.fields.edition_order`, a relevance query without free text is in that order, and a work's
  editions under the relevance sort are too, so the first of them (the one that heads the work) is the
  same on every backend.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from index.document import Document
from index.errors import QueryError
from index.fields import BY_NAME, FACETS, FIELDED, MINORITY_ALWAYS  # noqa: F401 (re-exported)
from index.text import split_query

SORTS = ("relevance", "newest", "title")


@dataclass(frozen=True)
class Filter:
    field: str
    values: tuple[str, ...]
    exclude: bool = False


@dataclass(frozen=True)
class Range:
    """Inclusive range on a numeric field; None leaves a side open."""
    field: str
    lo: int | None = None
    hi: int | None = None


@dataclass(frozen=True)
class Facet:
    field: str
    limit: int = 10
    always: tuple[str, ...] = ()


@dataclass(frozen=True)
class RangeFacet:
    """Counts per inclusive (lo, hi) bucket, e.g. decades of `year`."""
    field: str
    buckets: tuple[tuple[int | None, int | None], ...]


@dataclass(frozen=True)
class Query:
    text: str = ""
    fielded: tuple[tuple[str, str], ...] = ()
    filters: tuple[Filter | Range, ...] = ()
    facets: tuple[Facet | RangeFacet, ...] = ()
    sort: str = "relevance"
    offset: int = 0
    limit: int = 20
    group: bool = False
    group_limit: int = 10

    def validate(self) -> "Query":
        if self.sort not in SORTS:
            raise QueryError(f"unknown sort {self.sort!r}; one of {', '.join(SORTS)}")
        if self.offset < 0 or not 0 <= self.limit <= 1000:
            raise QueryError("offset must be >= 0 and limit between 0 and 1000")
        for name, _ in self.fielded:
            if name not in FIELDED:
                raise QueryError(f"unknown search field {name!r}; one of {', '.join(sorted(FIELDED))}")
        for f in self.filters:
            if f.field not in BY_NAME or (isinstance(f, Filter) and not BY_NAME[f.field].facet):
                raise QueryError(f"cannot filter on {f.field!r}")
            if isinstance(f, Range) and BY_NAME[f.field].kind != "int":
                raise QueryError(f"range filter needs a numeric field, not {f.field!r}")
        for facet in self.facets:
            if isinstance(facet, Facet) and facet.field not in FACETS:
                raise QueryError(f"cannot facet on {facet.field!r}")
            if isinstance(facet, RangeFacet) and BY_NAME.get(facet.field, None) is None:
                raise QueryError(f"cannot range-facet on {facet.field!r}")
        return self


def scored(query: Query) -> bool:
    """Whether a relevance-sorted query is ordered by score: it has free text (words or identifiers).
    Without it (browsing, fielded terms, filters) the order is `index.fields.edition_order`, and so it
    is among hits whose scores tie, on every backend."""
    if not query.text.strip():
        return False
    words, identifiers = split_query(query.text)
    return bool(words or identifiers)


def language_facet(limit: int = 10) -> Facet:
    """The language facet as the portal shows it: minority languages always listed."""
    return Facet("language", limit=limit, always=MINORITY_ALWAYS)


def decades(first: int = 1900, last: int = 2029) -> tuple[tuple[int | None, int | None], ...]:
    """Year buckets: everything before `first`, each decade from `first`'s, the rest open-ended after
    `last`'s decade start. The portal's year facet; backends count aligned decades in one pass."""
    start = first - first % 10
    end = last - last % 10
    buckets: list[tuple[int | None, int | None]] = [(None, start - 1)]
    buckets += [(d, d + 9) for d in range(start, end, 10)]
    buckets.append((end, None))
    return tuple(buckets)


def year_facet(first: int = 1900, last: int = 2029) -> RangeFacet:
    return RangeFacet("year", decades(first, last))


@dataclass(frozen=True)
class Hit:
    id: str
    work_id: str
    score: float | None
    document: Document


@dataclass(frozen=True)
class WorkHit:
    work_id: str
    editions: tuple[Hit, ...]
    edition_count: int
    libraries: tuple[str, ...]


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int


@dataclass
class Result:
    total: int
    hits: list[Hit] = field(default_factory=list)
    groups: list[WorkHit] = field(default_factory=list)
    total_groups: int | None = None
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    #: Some of the index did not answer (a SolrCloud shard without a live replica): hits, totals and
    #: facets count only what did. A partial answer with no hits is raised as SearchUnavailable instead.
    partial: bool = False


def cut_facet(counts: dict[str, int], facet: Facet) -> list[FacetValue]:
    """Top `limit` by count then value, plus `always` values present in the set (after the top)."""
    ordered = sorted(((v, c) for v, c in counts.items() if c > 0), key=lambda vc: (-vc[1], vc[0]))
    top = ordered[:facet.limit]
    shown = {v for v, _ in top}
    extra = [(v, counts[v]) for v in facet.always if v not in shown and counts.get(v, 0) > 0]
    return [FacetValue(v, c) for v, c in top + extra]


def bucket_key(lo: int | None, hi: int | None) -> str:
    return f"{'*' if lo is None else lo}-{'*' if hi is None else hi}"


def group_hits(hits: list[Hit], edition_counts: dict[str, int], group_limit: int) -> list[WorkHit]:
    """Hits of the page's works (already in sort order) folded into one WorkHit per work."""
    order, by_work = [], {}
    for hit in hits:
        if hit.work_id not in by_work:
            order.append(hit.work_id)
            by_work[hit.work_id] = []
        if len(by_work[hit.work_id]) < group_limit:
            by_work[hit.work_id].append(hit)
    groups = []
    for work_id in order:
        editions = tuple(by_work[work_id])
        libraries = sorted({lib for e in editions for lib in e.document.libraries})
        groups.append(WorkHit(work_id, editions, edition_counts.get(work_id, len(editions)), tuple(libraries)))
    return groups
