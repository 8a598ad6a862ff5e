"""Adapts the project's search package (`index/`: tantivy embedded or Solr) to the portal's interface.

The portal's filter names are the patron-facing ones (`kind`, `subject`, `available`); the index has
its own field table. This module is the one place that maps between them and turns index documents
into the dicts pages and the JSON API show.
"""

from __future__ import annotations

import logging
from dataclasses import fields

from portal.search_service import FACET_FIELDS, FACET_LIMIT, SearchRequest, SearchResult

log = logging.getLogger(__name__)

#: portal filter/facet name -> index field
FIELD_MAP = {"language": "language", "format": "format", "audience": "audience", "library": "library",
             "municipality": "municipality", "kind": "library_kind", "subject": "subject_facet",
             "genre": "genre_facet", "available": "availability"}


def document_dict(doc) -> dict:
    """An index Document as the portal shows it (also the JSON API's record shape)."""
    # Shallow attribute reads: dataclasses.asdict deep-copies and cost more than the search itself.
    data = doc if isinstance(doc, dict) else {f.name: getattr(doc, f.name) for f in fields(doc)}
    holdings = []
    for h in data.get("holdings") or ():
        h = h if isinstance(h, dict) else h.__dict__
        available = int(h.get("available") or 0)
        holdings.append({"library": h.get("library", ""), "municipality": h.get("municipality", ""),
                         "kind": h.get("kind", ""), "call_number": h.get("call_number", ""),
                         "location": h.get("location", ""), "copies": int(h.get("items") or 0),
                         "available": available,
                         "status": h.get("status") or ("available" if available else "unknown")})
    identifiers = {k: list(v) for k, v in (("isbn", data.get("isbns")), ("issn", data.get("issns")),
                                           ("other", data.get("other_identifiers"))) if v}
    subjects = [s for values in (data.get("subjects") or {}).values() for s in values]
    formats = list(data.get("formats") or ())
    return {
        "id": data["id"], "work_id": data.get("work_id"), "source": data.get("source"),
        "title": data.get("title", ""), "subtitle": data.get("subtitle", ""),
        "contributors": [{"name": c, "role": ""} for c in data.get("contributors") or ()],
        "languages": list(data.get("languages") or ()), "year": data.get("year"),
        "format": formats[0] if formats else "", "formats": formats,
        "audience": list(data.get("audiences") or ()), "subjects": list(dict.fromkeys(subjects)),
        "genres": list(data.get("genres") or ()), "series": "; ".join(data.get("series") or ()),
        "publisher": "; ".join(data.get("publishers") or ()), "summary": data.get("notes", ""),
        "identifiers": identifiers, "holdings": holdings,
    }


class IndexSearchService:
    def __init__(self, backend):
        self.backend = backend

    @classmethod
    def from_settings(cls, settings):
        try:
            from index.backend import open_backend
            return cls(open_backend(settings))
        except Exception:  # no index built yet, or backend unreachable: the portal still serves pages
            log.exception("search backend could not be opened")
            return None

    def _query(self, req: SearchRequest, facets: bool = True):
        from index.query import Facet, Filter, Query, Range, language_facet
        grouped: dict[str, list[str]] = {}
        filters = []
        for name, value in req.filters:
            if name == "year":
                low, _, high = value.partition("-")
                if "-" not in value:
                    high = low
                filters.append(Range("year", int(low) if low else None, int(high) if high else None))
            elif name == "available":
                if value == "true":
                    grouped.setdefault("availability", []).append("available")
                else:
                    filters.append(Filter("availability", ("available",), exclude=True))
            else:
                grouped.setdefault(FIELD_MAP[name], []).append(value)
        filters += [Filter(field, tuple(values)) for field, values in grouped.items()]
        facet_list = ()
        if facets:
            facet_list = tuple(language_facet(FACET_LIMIT) if name == "language" else Facet(FIELD_MAP[name],
                                                                                             FACET_LIMIT)
                               for name in FACET_FIELDS if name not in ("year",))
        return Query(text=req.q, filters=tuple(filters), facets=facet_list, sort=req.sort,
                     offset=(req.page - 1) * req.page_size, limit=req.page_size, group=True).validate()

    def search(self, req: SearchRequest) -> SearchResult:
        result = self.backend.search(self._query(req))
        hits = []
        for group in result.groups:
            first = document_dict(group.editions[0].document)
            first["work"] = {"id": group.work_id, "editions": group.edition_count,
                             "libraries": len(group.libraries)}
            hits.append(first)
        back = {v: k for k, v in FIELD_MAP.items()}
        facets = {}
        for field, values in result.facets.items():
            name = back.get(field)
            if name is None:
                continue
            if name == "available":
                facets[name] = [{"value": "true", "count": v.count} for v in values if v.value == "available"]
            else:
                facets[name] = [{"value": v.value, "count": v.count} for v in values]
        total = result.total_groups if result.total_groups is not None else result.total
        return SearchResult(total=total, hits=hits, facets=facets,
                            suggestions=self.suggest(req.q) if total == 0 and req.q else [])

    def record(self, record_id: str) -> dict | None:
        get = getattr(self.backend, "get", None) or self._tantivy_get
        doc = get(record_id)
        return document_dict(doc) if doc is not None else None

    def _tantivy_get(self, record_id: str):
        """Stopgap until every backend offers `get(record_id)`: a term lookup on tantivy's `id` field."""
        index, schema = getattr(self.backend, "index", None), getattr(self.backend, "schema", None)
        if index is None or schema is None:
            return None
        import tantivy
        from index.document import Document
        searcher = index.searcher()
        found = searcher.search(tantivy.Query.term_query(schema, "id", record_id), 1)
        if not found.hits:
            return None
        return Document.from_json(searcher.doc(found.hits[0][1]).get_first("doc").decode())

    def work(self, work_id: str) -> dict | None:
        from index.query import Filter, Query
        result = self.backend.search(Query(filters=(Filter("work_id", (work_id,)),), limit=200,
                                           sort="newest").validate())
        if not result.hits:
            return None
        records = [document_dict(h.document) for h in result.hits]
        return {"id": work_id, "title": records[0]["title"], "records": records}

    def suggest(self, q: str) -> list[str]:
        suggest = getattr(self.backend, "suggest", None)
        return list(suggest(q)) if suggest and q else []
