"""The data behind a work page: each edition once, with the libraries holding it, and its translations.

A work of three records may be one edition sent by three libraries: listing records would show the same
line three times and name no library. Editions are counted and grouped by `portal.editions`, the rule
the search hits and the record page use; translations (their own works, linked by clustering) are
listed the same way, each of their editions with its libraries.
"""

from __future__ import annotations

from flask import url_for

from portal import editions, labels
from portal.record_page import related_works


def _edition(group: list[dict], mine: str, relation: str = "") -> dict:
    first = group[0]
    holdings = editions.library_holdings(group, mine)
    for h in holdings:
        h["status_label"] = labels.status_label(h["status"])
    return {"id": first["id"], "title": first.get("title", ""), "subtitle": first.get("subtitle", ""),
            "year": first.get("year"), "languages": list(first.get("languages") or []),
            "format": first.get("format", ""), "publisher": first.get("publisher", ""),
            "records": [d["id"] for d in group], "holdings": holdings, "relation": relation,
            "work_id": first.get("work_id", ""), "url": url_for("record.record", record_id=first["id"])}


def work_data(work: dict, mine: str, service) -> dict:
    records = list(work.get("records") or [])
    groups = editions.editions(records)
    related = related_works(records[0], work["id"], service) if records else {"original": [], "translations": []}
    linked = []
    for relation, key in (("original", "original"), ("translation", "translations")):
        for first in related[key]:
            other = service.work(first.get("work_id") or "") if first.get("work_id") else None
            members = (other or {}).get("records") or [first]
            linked += [_edition(g, mine, relation) for g in editions.editions(members)]
    return {
        "work": {"id": work["id"], "title": work.get("title", ""), "editions": len(groups),
                 "records": len(records), "languages": list(records[0].get("languages") or []) if records else []},
        "editions": [_edition(g, mine) for g in groups],
        "related": linked,
        "my_library": mine,
    }
