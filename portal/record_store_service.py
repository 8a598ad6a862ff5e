"""Record and work pages from the record store, for when the search index cannot answer.

The index is derived from the record store (and the transform stage's tables); the store is the truth.
So when search is down, as a library catalogue should, the portal still serves every record page: the
record and its work's editions are rebuilt the one way the indexer builds them (`index.from_store`), and
shown through the same page code. Only searching is missing: `search` answers "not available" rather
than failing, so a page that looks for related titles by words simply finds none.
"""

from __future__ import annotations

from index.from_store import RecordDocuments
from portal.index_adapter import document_dict
from portal.search_service import SearchRequest, SearchResult


class RecordStoreService:
    """The SearchService interface, answered from the record store (no search)."""

    def __init__(self, documents: RecordDocuments):
        self.documents = documents

    @classmethod
    def from_settings(cls, settings, engine) -> "RecordStoreService":
        from harvest.store import RecordStore
        return cls(RecordDocuments(settings, RecordStore(engine, migrate=False)))

    def record(self, record_id: str) -> dict | None:
        doc = self.documents.get(record_id)
        return document_dict(doc) if doc is not None else None

    def work(self, work_id: str) -> dict | None:
        records = [document_dict(d) for d in self.documents.work(work_id)]
        if not records:
            return None
        return {"id": work_id, "title": records[0]["title"], "records": records}

    def search(self, request: SearchRequest) -> SearchResult:
        return SearchResult(total=0, hits=[], available=False)

    def suggest(self, q: str) -> list[str]:
        return []

    def health(self) -> dict:
        return {"status": "down", "backend": "record store", "detail": "no search"}
