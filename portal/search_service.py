"""The small interface the portal needs from a search backend, and the adapters that provide it.

The portal asks four things: search (one hit per work, facets with counts), one record, one work with
its editions, and spelling suggestions. `IndexSearchService` adapts the project's `index/` package (tantivy
embedded, or Solr), the one search the portal has (its tests run on a real tantivy index too);
`UnavailableSearchService` keeps the portal up, saying so, when the index cannot be opened.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

from index.fields import SAMI_GROUP as SAMI_FACET_VALUE

#: Filterable / facetable fields, in the order facets are shown.
FACET_FIELDS = ("language", "format", "audience", "library", "municipality", "kind", "year", "subject",
                "genre", "available")
#: Filterable fields: the facets, and the contributor (an agent page's "all works" search).
FILTER_FIELDS = FACET_FIELDS + ("contributor",)
SORTS = ("relevance", "newest", "title")
FACET_LIMIT = 20
#: A language filter value that stands for every Sami language at once (`filter=language:sami`); the
#: index counts that group as the language facet value `smi` (SAMI_FACET_VALUE).
SAMI_GROUP = "sami"


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


class UnavailableSearchService:
    """Stands in while no search index exists: every page works and says the catalogue is not ready."""

    def __init__(self):
        self.unavailable_since = time.monotonic()    # services.search() looks for the index again later

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
