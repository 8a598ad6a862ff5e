"""The libraries' curated lists, as published: the listing, a list's page with its JSON-LD, its JSON twin,
an Atom feed, and a widget for other web sites (an iframe page, and a script-free HTML snippet to paste).

Only lists that are up are shown here (`CuratedList.is_up`); a draft, a scheduled or an ended list is a
404 to the public (staff see theirs under /staff/lists). A view of a list's page counts once for that
list and day, nothing about the visitor. The widget page may be framed by the web sites its owning
libraries name (`embed_origins` of their sources) and by the portal itself; every other page keeps
`frame-ancestors 'none'`.
"""

from __future__ import annotations

from flask import Blueprint, abort, make_response, render_template, request, url_for

from lists.model import CuratedList
from portal import feeds, i18n, list_page, services
from portal.render import render
from portal.security import CSP
from portal.urls import absolute, external_url
from portal.views.record import my_library

bp = Blueprint("lists", __name__)

EMBED_TITLES = 12


def published(list_id: int) -> CuratedList:
    curated = list_page.store().get(list_id)
    if curated is None or not curated.is_up():
        abort(404)
    return curated


def listing(*, library: str | None = None, language: str | None = None, limit: int = 200) -> list[dict]:
    """Summaries of the lists up now (for the front page, library and language pages and /lists)."""
    lang = i18n.current()
    found = list_page.store().published(library=library, language=language, limit=limit)
    return [list_page.summary(c, lang) for c in found]


@bp.route("/lists")
@bp.route("/lists.json", endpoint="index_json")
def index():
    library = request.args.get("library", "")
    if library and services.libraries().by_id(library) is None:
        library = ""
    audience = request.args.get("audience", "")
    lang = i18n.current()
    found = list_page.store().published(library=library or None, audience=audience or None)
    return render("lists.html", {"lists": [list_page.summary(c, lang) for c in found], "library": library,
                                 "audience": audience})


@bp.route("/lists/<int:list_id>")
@bp.route("/lists/<int:list_id>.json", endpoint="page_json")
def page(list_id: int):
    curated = published(list_id)
    data = list_page.page_data(curated, my_library())
    if not request.path.endswith(".json"):
        list_page.store().count_view(curated.id)
    data["snippet"] = list_page.cached("snippet", curated, i18n.current(), "",
                                       lambda: snippet_html(curated, data["entries"]))
    return render("list.html", data, headers={"Link": f'<{url_for("lists.page_json", list_id=list_id)}>; '
                                                      f'rel="alternate"; type="application/json", '
                                                      f'<{data["feed_url"]}>; rel="alternate"; '
                                                      f'type="application/atom+xml"'}
                  if not request.path.endswith(".json") else None)


@bp.route("/lists/<int:list_id>.atom")
def feed(list_id: int):
    curated = published(list_id)
    lang = i18n.current()
    shown = [list_page.republished(e) for e in list_page.cached_entries(curated, lang, "")]
    title, blurb = curated.title(lang), curated.blurb(lang)
    self_path = url_for("lists.feed", list_id=list_id)
    entries = [{"url": absolute(e["url"]) if e["url"] else absolute(url_for("lists.page", list_id=list_id))
                + f"#item-{e['position']}", "title": e["title"], "updated": curated.updated_at,
                "authors": e["authors"], "summary": (e["blurb"] or {}).get("text") or e.get("summary", ""),
                "languages": [e["language"]["code"]] if e.get("language") else []} for e in shown]
    body = feeds.build(feed_id=absolute(self_path), title=title.text, self_url=absolute(self_path),
                       page_url=external_url("lists.page", list_id=list_id), entries=entries, lang=title.lang,
                       subtitle=blurb.text)
    response = make_response(body)
    response.headers["Content-Type"] = feeds.MEDIA_TYPE
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def frame_ancestors(curated: CuratedList) -> str:
    """'self' and the web sites the list's owning libraries allow (their sources' `embed_origins`)."""
    origins = []
    for source in services.settings().sources:
        if (source.library or source.id) in curated.owners:
            origins += [o for o in source.embed_origins if o not in origins]
    return " ".join(["'self'", *origins])


def embed_csp(curated: CuratedList) -> str:
    return CSP.replace("frame-ancestors 'none'", f"frame-ancestors {frame_ancestors(curated)}")


@bp.route("/lists/<int:list_id>/embed")
def embed(list_id: int):
    """The widget for an iframe: the list's titles, nothing else; links open in the portal's tab."""
    curated = published(list_id)
    data = list_page.page_data(curated, my_library())
    data["entries"] = data["entries"][:EMBED_TITLES]
    response = make_response(render_template("list_embed.html", **data, ui_lang=i18n.current()))
    response.headers["Content-Security-Policy"] = embed_csp(curated)    # X-Frame-Options cannot name sites
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def snippet_html(curated: CuratedList, shown: list[dict]) -> str:
    """Plain HTML (links and text, no script, no style) a library pastes into its own web page."""
    lang = i18n.current()
    title = curated.title(lang)
    return render_template("list_snippet.html", title=title,
                           entries=[list_page.republished(e) for e in shown[:EMBED_TITLES]],
                           page_url=external_url("lists.page", list_id=curated.id),
                           absolute=absolute).strip()


@bp.route("/lists/<int:list_id>/snippet")
def snippet(list_id: int):
    curated = published(list_id)
    shown = list_page.cached_entries(curated, i18n.current(), "")
    response = make_response(snippet_html(curated, shown))
    response.headers["Content-Type"] = "text/plain; charset=utf-8"    # to copy, not to render here
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
