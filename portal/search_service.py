"""The small interface the portal needs from a search backend, and the adapters that provide it.

The portal asks four things: search (one hit per work, facets with counts), one record, one work with
its editions, and spelling suggestions. `IndexSearchService` adapts the project's `index/` package (tantivy
embedded, or Solr); `DocumentSearchService` answers from a list of documents in memory (the reference
semantics the backends must match, used by tests and tiny demos); `UnavailableSearchService` keeps the
portal up, saying so, when no index has been built yet.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Protocol

from rapidfuzz.distance import Levenshtein

from index.fields import MINORITY_ALWAYS, SAMI, SAMI_GROUP as SAMI_FACET_VALUE, filter_values
from index.query import bucket_key, decades

#: Filterable / facetable fields, in the order facets are shown.
FACET_FIELDS = ("language", "format", "audience", "library", "municipality", "kind", "year", "subject",
                "genre", "available")
SORTS = ("relevance", "newest", "title")
FACET_LIMIT = 20
#: A language filter value that stands for every Sami language at once (`filter=language:sami`); the
#: index counts that group as the language facet value `smi` (SAMI_FACET_VALUE).
SAMI_GROUP = "sami"


def year_value(lo: int | None, hi: int | None) -> str:
    """A year bucket as the portal's `year:` filter value: `1990-1999`, `-1899`, `2020-`."""
    return bucket_key(lo, hi).replace("*", "")


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    filters: tuple[tuple[str, str], ...] = ()
    sort: str = "relevance"
    page: int = 1
    page_size: int = 20
    #: False for counts and look-ups that show no facets (saves the backend counting them).
    facets: bool = True

    def without(self, pair: tuple[str, str]) -> "SearchRequest":
        return SearchRequest(self.q, tuple(f for f in self.filters if f != pair), self.sort, 1, self.page_size,
                             self.facets)


@dataclass
class SearchResult:
    total: int
    hits: list[dict]
    facets: dict[str, list[dict]] = field(default_factory=dict)
    suggestions: list[str] = field(default_factory=list)
    available: bool = True
    #: Part of the index did not answer (a Solr shard down): the hits and counts are of the rest.
    partial: bool = False


class SearchService(Protocol):
    def search(self, request: SearchRequest) -> SearchResult: ...
    def record(self, record_id: str) -> dict | None: ...
    def work(self, work_id: str) -> dict | None: ...
    def suggest(self, q: str) -> list[str]: ...
    def health(self) -> dict: ...


def fold(text: str) -> str:
    """Fold for matching: lower case, accents off, Sami đ ŧ ŋ to d t n; ø å æ stay (Norwegian letters)."""
    text = text.lower().replace("đ", "d").replace("ŧ", "t").replace("ŋ", "n")
    keep = {"ø", "å", "æ"}
    out = []
    for ch in text:
        if ch in keep:
            out.append(ch)
            continue
        out.extend(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
    return "".join(out)


def _tokens(text: str) -> list[str]:
    return [t for t in "".join(c if c.isalnum() else " " for c in fold(text)).split() if t]


def facet_values(doc: dict, name: str) -> list[str]:
    """The values a document has for a facet field (holdings-derived fields come from its items)."""
    holdings = doc.get("holdings") or []
    if name == "language":
        languages = list(doc.get("languages") or [])
        if any(code in SAMI for code in languages) and SAMI_FACET_VALUE not in languages:
            languages.append(SAMI_FACET_VALUE)
        return languages
    if name == "library":
        return sorted({h["library"] for h in holdings if h.get("library")})
    if name == "municipality":
        return sorted({h["municipality"] for h in holdings if h.get("municipality")})
    if name == "kind":
        return sorted({h["kind"] for h in holdings if h.get("kind")})
    if name == "available":
        return ["true" if any(h.get("status") == "available" for h in holdings) else "false"]
    if name == "year":
        year = doc.get("year")
        return [year_value(lo, hi) for lo, hi in decades() if year and (lo is None or year >= lo)
                and (hi is None or year <= hi)]
    value = doc.get(name if name not in ("subject", "genre") else name + "s")
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [str(value)]


def _matches_filter(doc: dict, name: str, values: set[str]) -> bool:
    if name == "year":
        year = doc.get("year")
        if not year:
            return False
        for value in values:
            low, _, high = value.partition("-")
            if "-" not in value:
                high = low
            if (not low or int(year) >= int(low)) and (not high or int(year) <= int(high)):
                return True
        return False
    wanted = set(filter_values(name, values))
    return bool(wanted & set(facet_values(doc, name)))


class DocumentSearchService:
    """Search over documents held in memory: OR within a field, AND across fields, one hit per work."""

    def __init__(self, documents: Iterable[dict]):
        self.documents = list(documents)
        self._by_id = {d["id"]: d for d in self.documents}
        self._text = {d["id"]: set(_tokens(" ".join(self._searchable(d)))) for d in self.documents}
        self._vocabulary = Counter(t for tokens in self._text.values() for t in tokens)

    @staticmethod
    def _searchable(doc: dict) -> list[str]:
        parts = [doc.get("title", ""), doc.get("subtitle", ""), doc.get("summary", "") or "",
                 doc.get("series", "") or ""]
        parts += [c.get("name", "") for c in doc.get("contributors") or []]
        parts += list(doc.get("subjects") or []) + list(doc.get("genres") or [])
        parts += [i for ids in (doc.get("identifiers") or {}).values() for i in ids]
        return parts

    def _select(self, request: SearchRequest, skip_field: str | None = None) -> list[dict]:
        wanted = _tokens(request.q)
        groups: dict[str, set[str]] = {}
        for name, value in request.filters:
            if name != skip_field:
                groups.setdefault(name, set()).add(value)
        out = []
        for doc in self.documents:
            if wanted and not all(t in self._text[doc["id"]] for t in wanted):
                continue
            if all(_matches_filter(doc, name, values) for name, values in groups.items()):
                out.append(doc)
        return out

    def _group_by_work(self, docs: list[dict]) -> list[dict]:
        works: dict[str, list[dict]] = {}
        for doc in docs:
            works.setdefault(doc.get("work_id") or doc["id"], []).append(doc)
        hits = []
        for work_id, members in works.items():
            first = dict(members[0])
            all_members = [d for d in self.documents if (d.get("work_id") or d["id"]) == work_id]
            first["work"] = {"id": work_id, "editions": len(all_members),
                             "libraries": len({h["library"] for d in all_members
                                               for h in d.get("holdings") or [] if h.get("library")})}
            first["available_now"] = any(h.get("available") or h.get("status") == "available"
                                         for h in first.get("holdings") or [])
            hits.append(first)
        return hits

    def search(self, request: SearchRequest) -> SearchResult:
        docs = self._select(request)
        hits = self._group_by_work(docs)
        if request.sort == "newest":
            hits.sort(key=lambda d: -(int(d.get("year") or 0)))
        elif request.sort == "title":
            hits.sort(key=lambda d: fold(d.get("title", "")))
        filtered_fields = {name for name, _ in request.filters}
        facets = {}
        for name in FACET_FIELDS if request.facets else ():
            basis = self._select(request, skip_field=name) if name in filtered_fields else docs
            counts = Counter(v for d in basis for v in set(facet_values(d, name)))
            ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            top = ranked[:FACET_LIMIT]
            if name == "language":      # minority languages are always listed, even below the cut
                top += [kv for kv in ranked[FACET_LIMIT:] if kv[0] in MINORITY_ALWAYS]
            facets[name] = [{"value": v, "count": c} for v, c in top]
        start = (request.page - 1) * request.page_size
        return SearchResult(total=len(hits), hits=hits[start:start + request.page_size], facets=facets,
                            suggestions=self.suggest(request.q) if not hits and request.q else [])

    def record(self, record_id: str) -> dict | None:
        return self._by_id.get(record_id)

    def work(self, work_id: str) -> dict | None:
        members = [d for d in self.documents if (d.get("work_id") or d["id"]) == work_id]
        if not members:
            return None
        return {"id": work_id, "title": members[0].get("title", ""), "records": members}

    def health(self) -> dict:
        return {"status": "ok", "backend": "memory", "documents": len(self.documents)}

    def suggest(self, q: str) -> list[str]:
        """Replace each unknown word by the most frequent indexed word within edit distance 2."""
        words = _tokens(q)
        if not words:
            return []
        out, changed = [], False
        for word in words:
            if word in self._vocabulary:
                out.append(word)
                continue
            best = min((w for w in self._vocabulary if abs(len(w) - len(word)) <= 2
                        and Levenshtein.distance(w, word) <= 2),
                       key=lambda w: (Levenshtein.distance(w, word), -self._vocabulary[w]), default=None)
            out.append(best or word)
            changed |= best is not None
        return [" ".join(out)] if changed else []


class UnavailableSearchService:
    """Stands in while no search index exists: every page works and says the catalogue is not ready."""

    def search(self, request: SearchRequest) -> SearchResult:
        return SearchResult(total=0, hits=[], facets={}, available=False)

    def record(self, record_id: str) -> dict | None:
        return None

    def work(self, work_id: str) -> dict | None:
        return None

    def suggest(self, q: str) -> list[str]:
        return []

    def health(self) -> dict:
        return {"status": "down", "backend": "none", "detail": "no search index has been built"}


def from_settings(settings) -> SearchService:
    """The backend the settings name, through index/ when that package provides a portal adapter."""
    try:
        from portal.index_adapter import IndexSearchService
    except ImportError:
        return UnavailableSearchService()
    service = IndexSearchService.from_settings(settings)
    return service if service is not None else UnavailableSearchService()
