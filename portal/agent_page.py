"""The data behind an agent's page: the person (name, dates, roles) and their works in the catalogue.

An agent IRI (`{base}/agent/person/nordmo-kari`) is minted by the mapping from the name heading, so
the same person catalogued by two libraries is one resource. Their page reads the name from the graph
(the heading as catalogued, `Hillstrom, Kevin, 1963-`), finds their works through the search index's
contributor filter, and takes their roles from those works; the linked data stays one click away.
"""

from __future__ import annotations

import re

from flask import url_for

from portal import labels, services
from portal.search_service import SearchRequest

LABEL_PROPERTIES = ("http://www.w3.org/2000/01/rdf-schema#label", "http://schema.org/name")
#: The dates at the end of a personal name heading: `, 1963-`, `, 1819-1891`, `, ca. 1600-`.
_DATES = re.compile(r",\s*((?:ca\.\s*|b\.\s*|d\.\s*|fl\.\s*)?\d{3,4}\??-?(?:\d{3,4}\??)?)$")
MAX_WORKS = 50


def split_dates(heading: str) -> tuple[str, str]:
    """`Hillstrom, Kevin, 1963-` -> (`Hillstrom, Kevin`, `1963-`); a heading without dates stays whole."""
    match = _DATES.search(heading)
    if not match:
        return heading, ""
    return heading[:match.start()].rstrip(" ,"), match.group(1)


def agent_data(resource, local: str, alternates: list[dict]) -> dict:
    heading = next((getattr(t.object, "value", "") for t in resource.triples
                    if getattr(t.subject, "value", "") == resource.uri and t.predicate.value in LABEL_PROPERTIES),
                   "") or local
    name, dates = split_dates(heading)
    result = services.search().search(SearchRequest(filters=(("contributor", heading),), page_size=MAX_WORKS,
                                                    facets=False))
    roles: list[str] = []
    works = []
    for hit in result.hits:
        mine = next((c for c in hit.get("contributors") or [] if c.get("id") == local or c.get("name") == heading),
                    None)
        codes = [r.get("code") if isinstance(r, dict) else r for r in (mine or {}).get("roles") or []] or ["aut"]
        roles += [c for c in codes if c not in roles]
        works.append({"id": hit["id"], "title": hit.get("title", ""), "subtitle": hit.get("subtitle", ""),
                      "year": hit.get("year"), "languages": list(hit.get("languages") or [])[:1],
                      "format": hit.get("format", ""),
                      "roles": [{"code": c, "label": labels.role_label(c)} for c in codes],
                      "editions": (hit.get("work") or {}).get("editions", 1),
                      "url": url_for("record.record", record_id=hit["id"])})
    return {
        "agent": {"id": local, "uri": resource.uri, "heading": heading, "name": name, "dates": dates,
                  "kind": local.split("/", 1)[0],
                  "roles": [{"code": c, "label": labels.role_label(c)} for c in roles]},
        "works": works,
        "total": result.total,
        "search_url": url_for("search.search", filter=f"contributor:{heading}"),
        "alternates": alternates,
        "index_available": result.available,
    }
