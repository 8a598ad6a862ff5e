"""What every search backend offers, and how a configured installation picks one.

Writes are batched: `add` and `delete` stage changes, `commit` makes them visible all at once (or,
if the backend fails, the caller repeats the batch: every write is idempotent by document id).
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Iterable, Sequence

from index.document import Document
from index.query import Query, Result


def work_hash(work_id: str) -> int:
    """A stable signed 64-bit number per work, for grouping on fast columns."""
    return int.from_bytes(hashlib.blake2b(work_id.encode(), digest_size=8).digest(), "big", signed=True)


class FacetCache:
    """Facet counts of recent queries, for the browse pages every visitor opens (counting six facets
    over a million documents costs tens of milliseconds). Entries live `seconds` and are dropped
    whenever this process commits; another process's commits show within `seconds`."""

    def __init__(self, seconds: float = 30.0, size: int = 512):
        self.seconds, self.size = seconds, size
        self._entries: OrderedDict[tuple, tuple[float, dict]] = OrderedDict()

    @staticmethod
    def key(query: Query) -> tuple:
        return (query.text, query.fielded, query.filters, query.facets)

    def get(self, query: Query) -> dict | None:
        if self.seconds <= 0 or not query.facets:
            return None
        entry = self._entries.get(self.key(query))
        if entry is None or time.monotonic() - entry[0] > self.seconds:
            return None
        self._entries.move_to_end(self.key(query))
        return entry[1]

    def put(self, query: Query, facets: dict) -> None:
        if self.seconds <= 0 or not query.facets:
            return
        self._entries[self.key(query)] = (time.monotonic(), facets)
        self._entries.move_to_end(self.key(query))
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()


class SearchBackend(ABC):
    name = "abstract"
    facet_cache: FacetCache

    @abstractmethod
    def add(self, docs: Sequence[Document]) -> None:
        """Stage documents (replacing any with the same id)."""

    @abstractmethod
    def delete(self, keys: Iterable[tuple[str, str]]) -> None:
        """Stage removal of documents by (record id, work id) as they were last indexed."""

    @abstractmethod
    def commit(self) -> None:
        """Make staged changes visible; after an error nothing half-written is visible."""

    @abstractmethod
    def clear(self) -> None:
        """Remove every document (committed)."""

    @abstractmethod
    def search(self, query: Query) -> Result:
        ...

    @abstractmethod
    def count(self) -> int:
        ...

    @abstractmethod
    def get(self, record_id: str) -> Document | None:
        """One document by its id `{source}-{record_id}` (or by its old `source:identifier` id)."""

    @abstractmethod
    def suggest(self, text: str, limit: int = 3) -> list[str]:
        """Spelling suggestions for a query, from the index's own words: whole corrected queries."""

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_backend(settings, *, create: bool = True, rebuild: bool = False) -> SearchBackend:
    """Solr when `[search] solr_url` is set, else the embedded tantivy index in data_dir/index (made empty
    there when none exists, unless `create` is False: then BackendError until an index run has built it;
    with `rebuild`, a full run, a tantivy index of an older field table is made anew)."""
    seconds = float(getattr(settings.search, "facet_cache_seconds", 30.0))
    if settings.search.solr_url:
        from index.solr_backend import SolrBackend
        return SolrBackend(settings.search.solr_url, facet_cache_seconds=seconds)
    from index.tantivy_backend import TantivyBackend
    return TantivyBackend(Path(settings.data_dir) / "index", facet_cache_seconds=seconds, create=create,
                          rebuild=rebuild)
