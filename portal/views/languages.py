"""Language landing pages: literature in the county's minority languages, promoted, not hidden in a facet.

`/languages` lists every promoted language with how much the libraries hold; `/language/<code>` is
"Read in Northern Sami": counts per library, the newest titles, children's books, a link into the
filtered search, and an Atom feed of new titles. `/language/sami` covers all Sami languages at once.
Feeds per library live at `/library/<key>/feed.atom`. Everything comes from the search index (one
query per block), so a page costs a few milliseconds and no database scan.
"""

from __future__ import annotations

from flask import Blueprint, abort, make_response, url_for
from flask_babel import gettext as _

from index.errors import SearchUnavailable
from portal import feeds, i18n, services
from portal.render import render, split_format
from portal.search_service import SAMI_GROUP, SearchRequest
from portal.urls import absolute, external_url
from portal.views import lists as curated_lists
from portal.views.search import search_url
from vocab import languages as vocab

bp = Blueprint("languages", __name__)

#: The languages promoted on their own pages, in display order (minority languages first).
PROMOTED = (*vocab.MINORITY_LANGUAGES, "fin", "rus")
NEWEST = 8
FEED_SIZE = 50


def language_name(code: str) -> str:
    if code == SAMI_GROUP:
        return _("Sami languages")
    return i18n.language_label(code)


def html_lang(code: str) -> str:
    return vocab.bcp47(code) or code


def _known(code: str) -> bool:
    if code == SAMI_GROUP or code in PROMOTED:
        return True
    lang = vocab.get(code)
    return lang is not None and not lang.is_special and lang.code == code


def _titles(filters: tuple, size: int, sort: str = "newest"):
    return services.search().search(SearchRequest(filters=filters, sort=sort, page_size=size, facets=False))


def _card(hit: dict) -> dict:
    return {"id": hit["id"], "title": hit.get("title", ""), "subtitle": hit.get("subtitle", ""),
            "year": hit.get("year"), "languages": list(hit.get("languages") or [])[:1],
            "contributors": [c.get("name", "") for c in hit.get("contributors") or []][:3],
            "audience": list(hit.get("audience") or []),
            "url": url_for("record.record", record_id=hit["id"])}


def language_summary(code: str, total: int | None = None) -> dict:
    filters = (("language", code),)
    if total is None:
        total = services.search().search(SearchRequest(filters=filters, page_size=1, facets=False)).total
    autonym = None
    if code != SAMI_GROUP:
        autonym = vocab.autonym(code)
    return {"code": code, "name": language_name(code), "autonym": autonym, "html_lang": html_lang(code),
            "titles": total, "url": url_for("languages.language", code=code),
            "search_url": search_url(SearchRequest(filters=filters)),
            "feed_url": url_for("languages.language_feed", code=code)}


def languages_data() -> dict:
    entries = [language_summary(code) for code in (SAMI_GROUP,) + PROMOTED]
    return {"languages": entries}


def language_data(code: str) -> dict:
    filters = (("language", code),)
    service = services.search()
    result = service.search(SearchRequest(filters=filters, sort="newest", page_size=NEWEST))
    newest = result.hits
    children_result = _titles(filters + (("audience", "children"),), NEWEST)
    children_total, children = children_result.total, children_result.hits
    directory = services.libraries()
    per_library = []
    for value in result.facets.get("library") or []:
        library = directory.by_id(value["value"])
        per_library.append({"library": value["value"], "name": library.name if library else value["value"],
                            "municipality": library.municipality if library else "",
                            "count": value["count"],
                            "search_url": search_url(SearchRequest(filters=filters + (("library", value["value"]),))),
                            "feed_url": url_for("languages.library_feed", key=library.key if library else value["value"])})
    per_library.sort(key=lambda e: (-e["count"], e["name"]))
    summary = language_summary(code, result.total)
    return {
        "language": summary,
        "heading": _("Read in %(language)s", language=summary["name"]),
        "libraries": per_library,
        "newest": [_card(h) for h in newest],
        "children": [_card(h) for h in children],
        "children_total": children_total,
        "children_url": search_url(SearchRequest(filters=filters + (("audience", "children"),))),
        "newest_url": search_url(SearchRequest(filters=filters, sort="newest")),
        "other_languages": [{"code": c, "name": language_name(c), "url": url_for("languages.language", code=c)}
                            for c in (SAMI_GROUP,) + PROMOTED if c != code],
        "partial": result.partial or children_result.partial,
        "lists": lists_for_language(code),
    }


def lists_for_language(code: str) -> list[dict]:
    """Published lists for a landing page: written in the language (Sami pages: in Northern Sami, the
    portal's Sami) or tagged with its code as a theme (Kven has no interface language of its own)."""
    ui = "se" if code == SAMI_GROUP or vocab.is_sami(code) else vocab.bcp47(code)
    found = curated_lists.listing(limit=200)
    return [s for s in found if code in s["themes"] or (ui in vocab.UI_LANGUAGES and ui in s["languages"])][:12]


@bp.route("/languages")
@bp.route("/languages.json", endpoint="languages_json")
def languages():
    return render("languages.html", languages_data())


@bp.route("/language/<code>")
def language(code):
    code = split_format(code)
    if not _known(code):
        abort(404)
    return render("language.html", language_data(code))


def _entries(hits: list[dict]) -> list[dict]:
    database = services.database()
    pairs = {h["id"]: (h.get("source"), h.get("identifier")) for h in hits if h.get("identifier")}
    seen = database.first_seen(list(pairs.values())) if database is not None and pairs else {}
    return [{"url": external_url("record.record", record_id=h["id"]), "title": h.get("title", ""),
             "updated": seen.get(pairs.get(h["id"])), "summary": h.get("summary", ""),
             "authors": [c.get("name", "") for c in h.get("contributors") or [] if c.get("name")][:5],
             "languages": list(h.get("languages") or [])} for h in hits]


def _feed(title: str, filters: tuple, page: str, feed: str):
    """An Atom feed; `page` and `feed` are local paths, made absolute under base_uri (the feed is cached
    publicly, so nothing in it may come from the request's Host header). Never served partial: a feed is
    cached and compared by readers, and part of one would drop entries."""
    result = _titles(filters, FEED_SIZE)
    if result.partial:
        raise SearchUnavailable("part of the index did not answer; a feed is never served partial")
    body = feeds.build(feed_id=absolute(feed), title=title, self_url=absolute(feed),
                       page_url=absolute(page), entries=_entries(result.hits), lang=i18n.current(),
                       subtitle=_("New titles in the libraries of Troms and Finnmark"))
    response = make_response(body)
    response.headers["Content-Type"] = feeds.MEDIA_TYPE
    response.headers["Cache-Control"] = "public, max-age=900"
    return response


@bp.route("/language/<code>/feed.atom")
def language_feed(code):
    if not _known(code):
        abort(404)
    return _feed(_("New titles in %(language)s", language=language_name(code)), (("language", code),),
                 url_for("languages.language", code=code), url_for("languages.language_feed", code=code))


@bp.route("/library/<key>/feed.atom")
def library_feed(key):
    library = services.libraries().find(key)
    if library is None:
        abort(404)
    return _feed(_("New titles at %(library)s", library=library.name), (("library", library.id),),
                 url_for("libraries.library", key=library.key), url_for("languages.library_feed", key=library.key))
