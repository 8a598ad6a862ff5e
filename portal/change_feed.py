"""The change feed as ActivityStreams 2.0 documents, read from the transform stage's change log.

Each change becomes an activity (`Create`, `Update`, `Delete`) whose `object` is the resource's URI
with its kind (`bf:Work`, `bf:Instance`) and whose `published` is the time of the run that made it.
"""

from __future__ import annotations

from datetime import timezone

from transform import changes as change_log
from vocab import licences

PAGE_SIZE = 100
CONTEXT = "https://www.w3.org/ns/activitystreams"
TYPES = {"instance": "http://id.loc.gov/ontologies/bibframe/Instance",
         "work": "http://id.loc.gov/ontologies/bibframe/Work"}


def _iso(value) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def collection(stores) -> dict:
    base = stores.base_uri
    with stores.sql().connect() as conn:
        last = change_log.last_seq(conn)
        total = change_log.count(conn, licences.published_sources(stores.settings))
    pages = (last + PAGE_SIZE - 1) // PAGE_SIZE if last else 0
    out = {"@context": CONTEXT, "id": f"{base}/changes", "type": "OrderedCollection",
           "summary": "Changes to the works and instances of the Grenseløs catalogue, oldest first.",
           "totalItems": total}
    if pages:
        out["first"] = {"type": "OrderedCollectionPage", "id": f"{base}/changes/0"}
        out["last"] = {"type": "OrderedCollectionPage", "id": f"{base}/changes/{pages - 1}"}
    return out


def page(stores, number: int) -> tuple[dict | None, bool]:
    """Page `number` and whether it is complete (full, so never to change again)."""
    base = stores.base_uri
    with stores.sql().connect() as conn:
        last = change_log.last_seq(conn)
        pages = (last + PAGE_SIZE - 1) // PAGE_SIZE if last else 0
        if number < 0 or number >= max(pages, 1):
            return None, False            # checked before the query: no offset past the log reaches SQL
        entries = change_log.page(conn, number * PAGE_SIZE, PAGE_SIZE)
        entries = [e for e in entries if e["seq"] <= (number + 1) * PAGE_SIZE
                   and (e["source"] is None or licences.publishable(stores.settings, e["source"]))]
    out = {"@context": CONTEXT, "id": f"{base}/changes/{number}", "type": "OrderedCollectionPage",
           "partOf": f"{base}/changes", "startIndex": number * PAGE_SIZE,
           "orderedItems": [activity(base, e) for e in entries]}
    if number > 0:
        out["prev"] = f"{base}/changes/{number - 1}"
    if number + 1 < pages:
        out["next"] = f"{base}/changes/{number + 1}"
    return out, last >= (number + 1) * PAGE_SIZE


def activity(base: str, entry: dict) -> dict:
    return {"id": f"{base}/changes/activity/{entry['seq']}", "type": entry["activity"],
            "published": _iso(entry["time"]),
            "object": {"id": entry["uri"], "type": TYPES.get(entry["kind"], entry["kind"])}}
