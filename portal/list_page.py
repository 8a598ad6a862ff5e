"""A curated list as the patron sees it: one dict for the page, its JSON twin, the feed and the widget.

Each title is looked up in the search index (a document by id, no query), so what a list shows (title,
author, language, availability) is what the catalogue says now; a title the catalogue no longer has is
shown by its id and marked `found: false` rather than dropped. A list that is a saved search gets the
search's newest hits after its hand-picked titles. Availability is the patron's chosen library's when
there is one (the `mylib` cookie of the record pages), else any library's. Covers are `portal.covers`'
(the record's own, a configured cover service's, or a typographic placeholder).

A list's page is the same for every patron of one library in one language, and a popular list is asked
for many times a minute, so its looked-up titles are kept for `LIST_TTL` seconds (per list version,
language and library): availability on a list page is at most that old; a change to the list shows at
once (its `updated_at` is part of the key).
"""

from __future__ import annotations

import threading
import time
from urllib.parse import parse_qs

from flask import current_app, url_for
from flask_babel import gettext as _

from index.errors import SearchUnavailable
from lists.graph import list_uri
from lists.model import CuratedList, pick
from lists.store import ListStore
from portal import covers, i18n, labels, params, services
from portal.errors import BadParameter
from portal.search_service import SearchRequest
from portal.urls import absolute
from vocab import languages as vocab_languages
from vocab import licences, statuses

#: Titles a saved search adds to a list (its newest hits).
SAVED_SEARCH_TITLES = 50
#: Seconds a list's looked-up titles are reused (app.config["LIST_TTL"] overrides; 0: never).
LIST_TTL = 30.0
#: Lists × languages × libraries kept at most; past it the cache starts afresh.
CACHE_SIZE = 4000
_lock = threading.Lock()


def store() -> ListStore:
    return services.once_per_app("lists", lambda: ListStore(services.sql()))


def _language(record: dict) -> dict | None:
    codes = list(record.get("languages") or [])
    if not codes:
        return None
    return {"code": codes[0], "label": i18n.language_label(codes[0]), "bcp47": vocab_languages.bcp47(codes[0])}


def _availability(record: dict, mine: str) -> dict:
    holdings = list(record.get("holdings") or [])
    if mine:
        held = [h for h in holdings if h.get("library") == mine]
        available = any(h.get("available") or h.get("status") == "available" for h in held)
        status = "available" if available else (held[0].get("status") if held else "")
        code = statuses.get(status).code if status else ""
        text = (_("Available") if available else labels.status_label(code) if held and code
                else _("Not at your library") if not held else _("Not available right now"))
        return {"library": mine, "held": bool(held), "available": available, "status": code,
                "label": labels.status_label(code) if held and code else "", "text": text}
    available = bool(record.get("available_now"))
    return {"library": "", "held": bool(holdings), "available": available,
            "status": "available" if available else "", "label": labels.status_label("available") if available else "",
            "text": _("Available") if available else _("Not available right now")}


def entry(curated: CuratedList, record_id: str, record: dict | None, lang: str, mine: str,
          blurbs: dict | None = None, position: int = 0) -> dict:
    blurb = pick(blurbs, curated.languages, lang) if blurbs else None
    if record is None:
        return {"record": record_id, "position": position, "found": False, "title": record_id, "authors": [],
                "withheld": not licences.record_publishable(services.settings(), record_id),
                "language": None, "year": None, "url": None, "cover": covers.cover({"title": "?"}),
                "blurb": {"text": blurb.text, "lang": blurb.lang} if blurb else None, "availability": None}
    return {"record": record["id"], "position": position, "found": True, "title": record.get("title", ""),
            "subtitle": record.get("subtitle", ""),
            "authors": [c.get("name", "") for c in record.get("contributors") or [] if c.get("name")][:3],
            "language": _language(record), "year": record.get("year"),
            "url": url_for("record.record", record_id=record["id"]),
            "cover": covers.cover(record, services.settings().portal.cover_url),
            "blurb": {"text": blurb.text, "lang": blurb.lang} if blurb else None,
            "availability": _availability(record, mine), "summary": record.get("summary", ""),
            "withheld": not licences.document_publishable(services.settings(), record)}


def republished(e: dict) -> dict:
    """What of an entry may leave the portal in machine-readable form (JSON-LD, the Atom feed, the snippet
    pasted into other sites): all of it, or for a title whose licence forbids republishing
    (`vocab.licences.publishable`) its title and link only, with the list's own words about it (the blurb
    is the library's, not the record's). Patrons still see the whole entry on the list's page."""
    if not e.get("withheld"):
        return e
    return {"record": e["record"], "position": e["position"], "found": e["found"], "title": e["title"],
            "url": e.get("url"), "blurb": e.get("blurb"), "withheld": True, "authors": [], "language": None,
            "summary": ""}


def saved_search_hits(curated: CuratedList) -> list[dict]:
    if not curated.saved_search:
        return []
    try:
        req = params.search_request(_Args(parse_qs(curated.saved_search)))
    except BadParameter:
        return []                    # a stored search the portal no longer understands shows nothing extra
    req = SearchRequest(req.q, req.filters, "newest", 1, SAVED_SEARCH_TITLES, facets=False)
    return list(services.search().search(req).hits)


class _Args(dict):
    """parse_qs's dict of lists, read like Flask's request.args (`get` the first, `getlist` all)."""

    def get(self, key, default=None):
        values = super().get(key)
        return values[0] if values else default

    def getlist(self, key):
        return list(super().get(key) or [])


def entries(curated: CuratedList, lang: str, mine: str) -> list[dict]:
    service = services.search()
    out = []
    for item in curated.items:
        out.append(entry(curated, item.record_id, service.record(item.record_id), lang, mine, item.blurbs,
                         item.position))
    seen = {e["record"] for e in out}
    for hit in saved_search_hits(curated):
        if hit["id"] not in seen:
            seen.add(hit["id"])
            record = {**hit, "available_now": hit.get("available_now")}
            out.append(entry(curated, hit["id"], record, lang, mine, None, len(out) + 1))
    return out


def cached_entries(curated: CuratedList, lang: str, mine: str) -> list[dict]:
    return cached("entries", curated, lang, mine, lambda: entries(curated, lang, mine))


def cached(kind: str, curated: CuratedList, lang: str, mine: str, build):
    """`build()`, reused for LIST_TTL seconds per list version, language and library (never mutate it)."""
    ttl = current_app.config.get("LIST_TTL", LIST_TTL)
    cache = services.once_per_app("list_entries", dict)
    key = (kind, curated.id, curated.updated_at, lang, mine)
    now = time.monotonic()
    hit = cache.get(key)
    if hit is not None and now - hit[0] < ttl:
        return hit[1]
    value = build()
    with _lock:
        if len(cache) >= CACHE_SIZE:
            cache.clear()
        cache[key] = (now, value)
    return value


def summary(curated: CuratedList, lang: str) -> dict:
    """A list as a line in a listing (front page, library page, /lists): no titles looked up."""
    title, blurb = curated.title(lang), curated.blurb(lang)
    directory = services.libraries()
    return {"id": curated.id, "languages": list(curated.languages), "title": title.text, "title_lang": title.lang, "blurb": blurb.text,
            "blurb_lang": blurb.lang, "url": url_for("lists.page", list_id=curated.id),
            "titles": curated.item_count, "audiences": list(curated.audiences),
            "audience_labels": [audience_label(a) for a in curated.audiences], "themes": list(curated.themes),
            "campaign": curated.campaign,
            "campaign_date": curated.campaign_date.isoformat() if curated.campaign_date else None,
            "owners": [{"id": o, "name": directory.by_id(o).name if directory.by_id(o) else o}
                       for o in curated.owners],
            "published": curated.publish_at.isoformat() if curated.publish_at else None}


def audience_label(code: str) -> str:
    names = {"children": _("Children"), "young-adults": _("Young adults"), "adults": _("Adults"),
             "school-1-4": _("School, years 1–4"), "school-5-7": _("School, years 5–7"),
             "school-8-10": _("School, years 8–10"), "upper-secondary": _("Upper secondary school")}
    return names.get(code, code)


def json_ld(curated: CuratedList, lang: str, shown: list[dict]) -> dict:
    """schema.org ItemList of the list as shown (the same titles in the same order)."""
    base = services.settings().base_uri
    title, blurb = curated.title(lang), curated.blurb(lang)
    elements = []
    for n, e in enumerate(map(republished, shown), 1):
        item = {"@type": "Book", "name": e["title"]}
        if not e.get("withheld"):          # a withheld record is not in the linked data: no URI to name it by
            item["@id"] = f"{base}/instance/{e['record']}"
        if e.get("url"):
            item["url"] = absolute(e["url"])
        if e.get("authors"):
            item["author"] = [{"@type": "Person", "name": a} for a in e["authors"]]
        if e.get("language") and e["language"].get("bcp47"):
            item["inLanguage"] = e["language"]["bcp47"]
        if e.get("blurb"):
            item["description"] = e["blurb"]["text"]
        elements.append({"@type": "ListItem", "position": n, "item": item})
    data = {"@context": "https://schema.org", "@type": "ItemList", "@id": list_uri(base, curated.id),
            "url": absolute(url_for("lists.page", list_id=curated.id)), "name": title.text,
            "inLanguage": title.lang, "itemListOrder": "https://schema.org/ItemListOrderAscending",
            "numberOfItems": len(elements), "itemListElement": elements}
    if blurb:
        data["description"] = blurb.text
    if curated.publish_at:
        data["datePublished"] = curated.publish_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    if curated.audiences:
        data["audience"] = [{"@type": "Audience", "audienceType": a} for a in curated.audiences]
    if curated.themes:
        data["keywords"] = list(curated.themes)
    if curated.origin:
        data["isBasedOn"] = list_uri(base, curated.origin)
    return data


def page_data(curated: CuratedList, mine: str) -> dict:
    lang = i18n.current()
    try:
        shown = cached_entries(curated, lang, mine)
        partial = False
    except SearchUnavailable:        # the list still shows its titles' ids; the page says search is away
        shown = [entry(curated, i.record_id, None, lang, mine, i.blurbs, i.position) for i in curated.items]
        partial = True
    data = summary(curated, lang)
    data.update({"entries": shown, "json_ld": json_ld(curated, lang, shown), "my_library": mine,
                 "index_available": not partial, "origin": curated.origin,
                 "origin_url": url_for("lists.page", list_id=curated.origin) if curated.origin else None,
                 "feed_url": url_for("lists.feed", list_id=curated.id),
                 "embed_url": url_for("lists.embed", list_id=curated.id),
                 "snippet_url": url_for("lists.snippet", list_id=curated.id)})
    return data
