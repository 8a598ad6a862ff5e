"""Adapts the project's search package (`index/`: tantivy embedded or Solr) to the portal's interface.

The portal's filter names are the patron-facing ones (`kind`, `subject`, `available`); the index has
its own field table. This module is the one place that maps between them and turns index documents
into the dicts pages and the JSON API show. Document ids are already the public record ids
(`{source}-{record_id}`), and `backend.get` also resolves the ids documents had before (`harvest_id`).
"""

from __future__ import annotations

import logging

from portal import editions
from portal.search_service import FACET_FIELDS, FACET_LIMIT, SearchRequest, SearchResult

log = logging.getLogger(__name__)

#: portal filter/facet name -> index field
FIELD_MAP = {"language": "language", "format": "format", "audience": "audience", "library": "library",
             "municipality": "municipality", "kind": "library_kind", "subject": "subject_facet",
             "genre": "genre_facet", "available": "availability", "year": "year",
             "contributor": "contributor_facet"}


def _holding(h, copies: bool = True) -> dict:
    """One library's holding, as the index summarised it (status: the best copy's), with its copies
    when `copies` is set (a record page); a hit list shows one line per library and no copies."""
    out = {"library": h.library, "isil": h.isil, "municipality": h.municipality, "kind": h.kind,
           "call_number": h.call_number, "location": h.location, "items": h.items, "available": h.available,
           "status": h.status or ("available" if h.available else "unknown"), "due_date": h.due_date,
           "name": h.name, "region": h.region, "known": h.known, "deposit_until": h.deposit_until}
    if copies:
        out["copies"] = [{"id": c.id, "status": c.status, "due_date": c.due_date, "location": c.location,
                          "call_number": c.call_number, "deposit_until": c.deposit_until,
                          "deposit_place": c.deposit_place} for c in h.copies]
    return out


def document_dict(doc, copies: bool = True) -> dict:
    """An index Document as the portal shows it (also the JSON API's record shape). Contributors carry
    relator codes; pages label them in the visitor's language (`portal.labels.contributors`).
    A search hit leaves out the copies (`copies=False`): a popular edition held by sixty libraries
    would otherwise carry a hundred copies into every result page that never shows them."""
    # Attribute reads only: dataclasses.asdict deep-copies and costs more than the search itself.
    identifiers = {k: list(v) for k, v in (("isbn", doc.isbns), ("issn", doc.issns),
                                           ("other", doc.other_identifiers)) if v}
    subjects = [s for values in doc.subjects.values() for s in values]
    formats = list(doc.formats)
    return {
        "id": doc.id, "harvest_id": doc.harvest_id, "identifier": doc.identifier, "work_id": doc.work_id,
        "source": doc.source, "title": doc.title, "subtitle": doc.subtitle, "uniform_title": doc.uniform_title,
        "contributors": doc.contributor_list(),
        "languages": list(doc.languages), "year": doc.year,
        "format": formats[0] if formats else "", "formats": formats,
        "audience": list(doc.audiences), "subjects": list(dict.fromkeys(subjects)),
        "genres": list(doc.genres), "genre_terms": list(doc.genre_terms), "series": "; ".join(doc.series),
        "publisher": "; ".join(doc.publishers), "summary": doc.notes,
        "covers": list(doc.covers),
        "identifiers": identifiers, "holdings": [_holding(h, copies) for h in doc.holdings],
        "available_now": any(h.available or h.status == "available" for h in doc.holdings),
        "links": [{"url": url, "label": label} for url, _sp, label in (link.partition(" ") for link in doc.links)],
        "digital": bool(doc.access),
        "access": list(doc.access),
    }


class IndexSearchService:
    def __init__(self, backend):
        self.backend = backend

    @classmethod
    def from_settings(cls, settings):
        """The configured index, opened for reading (the portal never creates one); None when there is
        none yet or it cannot be reached: the portal still serves pages, saying so."""
        from index.backends import open_backend
        from index.errors import BackendError
        try:
            return cls(open_backend(settings, create=False))
        except BackendError as exc:  # not built yet, or broken: the message says which
            log.warning("search index not available: %s", exc)
        except Exception:  # backend unreachable
            log.exception("search backend could not be opened")
        return None

    def _query(self, req: SearchRequest):
        from index.query import Facet, Filter, Query, Range, language_facet, year_facet
        grouped: dict[str, list[str]] = {}
        filters = []
        for name, value in req.filters:
            if name == "year":
                low, _, high = value.partition("-")
                if "-" not in value:
                    high = low
                filters.append(Range("year", int(low) if low else None, int(high) if high else None))
            elif name == "available":
                if value in ("true", "digital"):
                    grouped.setdefault("availability", []).append("available" if value == "true" else "digital")
                else:
                    filters.append(Filter("availability", ("available",), exclude=True))
            else:   # the index expands group values itself (language:sami is every Sami language)
                grouped.setdefault(FIELD_MAP[name], []).append(value)
        filters += [Filter(field, tuple(values)) for field, values in grouped.items()]
        facets = ()
        if req.facets:
            facets = tuple(language_facet(FACET_LIMIT) if name == "language" else year_facet() if name == "year"
                           else Facet(FIELD_MAP[name], FACET_LIMIT) for name in FACET_FIELDS)
        return Query(text=req.q, filters=tuple(filters), facets=facets, sort=req.sort,
                     offset=(req.page - 1) * req.page_size, limit=req.page_size, group=True).validate()

    def search(self, req: SearchRequest) -> SearchResult:
        result = self.backend.search(self._query(req))
        hits = []
        members = self._members([group.work_id for group in result.groups])
        for group in result.groups:
            first = document_dict(group.editions[0].document, copies=False)
            docs = members.get(group.work_id) or [document_dict(e.document, copies=False) for e in group.editions]
            holdings = editions.library_holdings(docs)
            first["work"] = {"id": group.work_id, "editions": editions.edition_count(docs), "records": len(docs),
                             "libraries": len(holdings), "holdings": holdings}
            hits.append(first)
        back = {v: k for k, v in FIELD_MAP.items()}
        facets = {}
        for field, values in result.facets.items():
            name = back.get(field)
            if name == "available":
                facets[name] = [{"value": "true" if v.value == "available" else v.value, "count": v.count}
                                for v in values if v.value in ("available", "digital")]
            elif name == "year":   # decade buckets `1990-1999`, `*-1899`, `2020-*` as year filter values
                facets[name] = [{"value": v.value.replace("*", ""), "count": v.count} for v in values
                                if v.count]
            elif name is not None:
                facets[name] = [{"value": v.value, "count": v.count} for v in values]
        total = result.total_groups if result.total_groups is not None else result.total
        return SearchResult(total=total, hits=hits, facets=facets, partial=result.partial,
                            suggestions=self.suggest(req.q) if total == 0 and req.q else [])

    def _members(self, work_ids: list[str]) -> dict[str, list[dict]]:
        """Every record of the page's works, not only those matching the query: a hit says which
        libraries hold any edition, and counts editions by the rule the work page uses. One search."""
        from index.query import Filter, Query
        out: dict[str, list[dict]] = {}
        if not work_ids:
            return out
        result = self.backend.search(Query(filters=(Filter("work_id", tuple(work_ids)),), limit=1000).validate())
        for hit in result.hits:
            out.setdefault(hit.document.work_id, []).append(document_dict(hit.document, copies=False))
        return out

    def record(self, record_id: str) -> dict | None:
        doc = self.backend.get(record_id)
        return document_dict(doc) if doc is not None else None

    def work(self, work_id: str) -> dict | None:
        from index.query import Filter, Query
        result = self.backend.search(Query(filters=(Filter("work_id", (work_id,)),), limit=200,
                                           sort="newest").validate())
        if not result.hits:
            return None
        records = [document_dict(h.document) for h in result.hits]
        return {"id": work_id, "title": records[0]["title"], "records": records}

    def suggest(self, q: str) -> list[str]:
        return list(self.backend.suggest(q)) if q else []

    def health(self) -> dict:
        return self.backend.health()

