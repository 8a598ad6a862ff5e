"""Staff pages for curated lists (/staff/lists, each with its JSON twin) and the lists API (/api/lists).

A librarian sees and changes the lists their library owns (alone or with co-owners), copies another
library's published list into their own, and adds titles from search results, record pages and other
lists (the "Add to list" forms post to `/staff/lists/<id>/items`). Who may change a list: anyone who
may act for one of its owning libraries (`accounts.roles.may_act_for`: their own library, or every
library for a county admin). Every form carries the CSRF token; the API takes HTTP Basic or a bearer
token (no CSRF: a header a browser never sends on its own) and answers in JSON: 401 without
credentials, 403 for another library's list, 404 for no such list, 400 naming the field that is wrong.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, request, url_for
from flask_babel import gettext as _

from accounts import roles
from index.errors import SearchUnavailable
from lists import stats
from lists.errors import ListError
from lists.model import AUDIENCES, CuratedList
from lists.store import Actor
from portal import i18n, list_page, services
from portal.render import render, wants_json
from portal.security import no_store
from portal.staff import access, api_auth
from portal.urls import local_path
from portal.views.lists import snippet_html
from vocab.tables import UI_LANGUAGES

bp = Blueprint("staff_lists", __name__)

MAX_ADD = 100


bp.after_request(no_store)


# -- who ------------------------------------------------------------------------------------------------

_staff = api_auth.staff_or_sign_in


def _actor(principal) -> Actor:
    return Actor(principal.username, principal.library, access.client_address())


def may_edit(principal, curated: CuratedList) -> bool:
    return any(roles.may_act_for(principal, library) for library in curated.owners)


def _editable(list_id: int):
    principal = _staff()
    curated = list_page.store().get(list_id)
    if curated is None:
        abort(404)
    if not may_edit(principal, curated):
        abort(403)                    # another library's list
    return principal, curated


def _library_name(library_id: str) -> str:
    found = services.libraries().by_id(library_id)
    return found.name if found else library_id


# -- pages ----------------------------------------------------------------------------------------------

def _row(curated: CuratedList, lang: str) -> dict:
    title = curated.title(lang)
    return {"id": curated.id, "title": title.text, "title_lang": title.lang, "state": curated.state(),
            "state_label": state_label(curated.state()), "titles": curated.item_count,
            "owners": [{"id": o, "name": _library_name(o)} for o in curated.owners],
            "edit_url": url_for("staff_lists.edit", list_id=curated.id),
            "public_url": url_for("lists.page", list_id=curated.id) if curated.is_up() else None,
            "origin": curated.origin}


def state_label(state: str) -> str:
    return {"draft": _("Draft"), "scheduled": _("Scheduled"), "published": _("Published"),
            "ended": _("Ended")}.get(state, state)


@bp.route("/staff/lists")
@bp.route("/staff/lists.json", endpoint="index_json")
def index():
    principal = _staff()
    lang = i18n.current()
    store = list_page.store()
    mine = store.owned_by(principal.library) if principal.library else []
    mine_ids = {c.id for c in mine}
    others = [c for c in store.published() if c.id not in mine_ids and not may_edit(principal, c)]
    return render("staff_lists.html", {
        "library": {"id": principal.library, "name": _library_name(principal.library)},
        "lists": [_row(c, lang) for c in mine],
        "others": [_row(c, lang) for c in others]})


def _form_texts(prefix: str) -> dict:
    return {lang: request.form.get(f"{prefix}_{lang}", "") for lang in UI_LANGUAGES}


def _form_data() -> dict:
    """The edit form as the API's JSON shape (so one set of checks in `lists.store` serves both)."""
    form = request.form
    data = {"title": _form_texts("title"), "blurb": _form_texts("blurb"),
            "audiences": form.getlist("audiences"), "themes": form.get("themes", ""),
            "campaign": form.get("campaign", ""), "campaign_date": form.get("campaign_date", "") or None,
            "saved_search": form.get("saved_search", ""), "unpublish_at": form.get("unpublish_at", "") or None}
    first = form.get("language", "")
    if first in UI_LANGUAGES:
        data["languages"] = [first]
    state = form.get("publish", "")
    if state == "now":
        data["published"] = True
    elif state == "date":
        data["publish_at"] = form.get("publish_at", "") or None
    elif state == "draft":
        data["published"] = False
    records = form.getlist("item")
    if records or "items_present" in form:
        data["items"] = [{"record": r, "blurb": {lang: form.get(f"item_blurb_{n}_{lang}", "")
                                                 for lang in UI_LANGUAGES}}
                         for n, r in enumerate(records)]
    return data


def _apply_action(data: dict) -> None:
    """The edit form's per-title buttons: move up, move down, remove (no script needed)."""
    action = request.form.get("action", "")
    verb, _sep, index = action.partition(":")
    items = data.get("items") or []
    if not index.isdigit() or int(index) >= len(items):
        return
    n = int(index)
    if verb == "up" and n > 0:
        items[n - 1], items[n] = items[n], items[n - 1]
    elif verb == "down" and n < len(items) - 1:
        items[n + 1], items[n] = items[n], items[n + 1]
    elif verb == "remove":
        del items[n]


def _edit_data(curated: CuratedList, principal, errors: dict | None = None) -> dict:
    lang = i18n.current()
    service = services.search()
    items = []
    for item in curated.items:
        try:
            record = service.record(item.record_id)
        except SearchUnavailable:     # the editor still shows the id while search is away
            record = None
        items.append({"record": item.record_id, "position": item.position, "blurb": dict(item.blurbs),
                      "title": (record or {}).get("title") or item.record_id, "found": record is not None,
                      "url": url_for("record.record", record_id=item.record_id) if record else None})
    directory = services.libraries()
    return {"list": curated.as_dict(), "row": _row(curated, lang), "items": items,
            "languages": [{"code": c, "name": i18n.LANGUAGES[c]} for c in UI_LANGUAGES],
            "audiences": [{"code": a, "label": list_page.audience_label(a)} for a in AUDIENCES],
            "libraries": [{"id": lib.id, "name": lib.name} for lib in directory.libraries],
            "stats": stats.report(list_page.store(), curated),
            "snippet": _snippet(curated, lang),
            "embed_url": url_for("lists.embed", list_id=curated.id),
            "errors": errors or {}, "library": principal.library}


def _snippet(curated: CuratedList, lang: str) -> str:
    if not curated.is_up():
        return ""
    try:
        return snippet_html(curated, list_page.cached_entries(curated, lang, ""))
    except SearchUnavailable:
        return ""


@bp.route("/staff/lists/new", methods=["GET", "POST"])
def new():
    principal = _staff()
    errors = {}
    if request.method == "POST":
        data = _form_data()
        try:
            list_id = list_page.store().create([principal.library], data, by=_actor(principal))
        except ListError as exc:
            errors = {exc.field: exc.message}
        else:
            return redirect(url_for("staff_lists.edit", list_id=list_id), code=303)
    return render("staff_list_new.html", {
        "languages": [{"code": c, "name": i18n.LANGUAGES[c]} for c in UI_LANGUAGES], "errors": errors,
        "form": {k: v for k, v in request.form.items() if k != "csrf_token"}},
        status=400 if errors else 200)


@bp.route("/staff/lists/<int:list_id>", methods=["GET", "POST"])
@bp.route("/staff/lists/<int:list_id>.json", endpoint="edit_json")
def edit(list_id: int):
    principal, curated = _editable(list_id)
    errors = {}
    if request.method == "POST":
        data = _form_data()
        _apply_action(data)
        try:
            list_page.store().update(list_id, data, by=_actor(principal))
            owners = request.form.getlist("owners")
            if "owners_present" in request.form:
                _set_owners(principal, curated, owners)
        except ListError as exc:
            errors = {exc.field: exc.message}
        else:
            return redirect(url_for("staff_lists.edit", list_id=list_id) + "#saved", code=303)
        curated = list_page.store().get(list_id)
    return render("staff_list_edit.html", _edit_data(curated, principal, errors), status=400 if errors else 200)


def _set_owners(principal, curated: CuratedList, owners: list[str]) -> None:
    """Co-owners: any known library may be added; a librarian cannot give their own library's share away
    (a county admin can); at least one owner stays."""
    directory = services.libraries()
    wanted = [o for o in dict.fromkeys(owners) if directory.by_id(o) is not None]
    if principal.library in curated.owners and principal.library not in wanted \
            and principal.role != roles.COUNTY_ADMIN:
        wanted.insert(0, principal.library)
    if wanted != list(curated.owners):
        list_page.store().set_owners(curated.id, wanted, by=_actor(principal))


@bp.route("/staff/lists/<int:list_id>/items", methods=["POST"])
def add_items(list_id: int):
    """Titles from a search result, a record page or another list: `record` (repeatable), or `from_list`."""
    principal, _curated = _editable(list_id)
    records = [r.strip() for r in request.form.getlist("record") if r.strip()][:MAX_ADD]
    source = request.form.get("from_list", "")
    if source.isdigit():
        other = list_page.store().get(int(source))
        if other is not None and (other.is_up() or may_edit(principal, other)):
            records += [i.record_id for i in other.items]
    try:
        added = list_page.store().add_items(list_id, records, by=_actor(principal))
    except ListError as exc:
        abort(400, description=exc.message)
    if wants_json():
        return render("", {"ok": True, "added": added})
    back = local_path(request.form.get("next"), url_for("staff_lists.edit", list_id=list_id))
    return redirect(back, code=303)


@bp.route("/staff/lists/items", methods=["POST"])
def add_items_chosen():
    """The "Add to list" form where the librarian chose the list from a menu (`list_id`)."""
    _staff()
    chosen = request.form.get("list_id", "")
    if not chosen.isdigit() or len(chosen) > 9:
        abort(404)                    # no such list
    return add_items(int(chosen))


@bp.route("/staff/lists/<int:list_id>/delete", methods=["POST"])
def delete(list_id: int):
    _principal, _curated = _editable(list_id)
    list_page.store().delete(list_id, by=_actor(_principal))
    if wants_json():
        return render("", {"ok": True})
    return redirect(url_for("staff_lists.index"), code=303)


@bp.route("/staff/lists/<int:list_id>/copy", methods=["POST"])
def copy(list_id: int):
    """Another library's published list becomes a draft of the librarian's library (remembering its origin)."""
    principal = _staff()
    curated = list_page.store().get(list_id)
    if curated is None or not (curated.is_up() or may_edit(principal, curated)):
        abort(404)
    new_id = list_page.store().copy(list_id, principal.library, by=_actor(principal))
    if wants_json():
        return render("", {"ok": True, "id": new_id}, status=201)
    return redirect(url_for("staff_lists.edit", list_id=new_id), code=303)


def staff_lists_for_forms() -> list[dict]:
    """The signed-in librarian's lists, for the "Add to list" forms on search and record pages."""
    principal = access.principal()
    if principal is None or not principal.library:
        return []
    lang = i18n.current()
    return [{"id": c.id, "title": c.title(lang).text} for c in list_page.store().owned_by(principal.library)]


@bp.app_context_processor
def _add_to_list():
    return {"staff_lists": staff_lists_for_forms}


# -- the API --------------------------------------------------------------------------------------------

def _json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, description="the body must be a JSON object")
    return data


def _bad(exc: ListError):
    response = jsonify({"error": "bad_request", "field": exc.field, "message": exc.message})
    response.status_code = 400
    return response


@bp.route("/api/lists", methods=["POST"])
@api_auth.require_api_staff
def api_create():
    principal = access.principal()
    data = _json_body()
    owners = data.pop("owners", None) or [principal.library]
    if not isinstance(owners, list) or not all(isinstance(o, str) for o in owners):
        return _bad(ListError("owners", "must be a list of library ids"))
    for owner in owners:
        api_auth.ensure_may_act_for(owner)
    try:
        list_id = list_page.store().create(owners, data, by=_actor(principal))
    except ListError as exc:
        return _bad(exc)
    curated = list_page.store().get(list_id)
    response = jsonify({"id": list_id, "url": url_for("lists.page", list_id=list_id, _external=False),
                        "list": curated.as_dict()})
    response.status_code = 201
    response.headers["Location"] = url_for("staff_lists.api_list", list_id=list_id)
    return response


@bp.route("/api/lists/<int:list_id>", methods=["GET", "PUT", "DELETE"])
@api_auth.require_api_staff
def api_list(list_id: int):
    principal = access.principal()
    curated = list_page.store().get(list_id)
    if curated is None:
        abort(404)
    if not may_edit(principal, curated):
        abort(403)
    if request.method == "GET":
        return jsonify(curated.as_dict())
    if request.method == "DELETE":
        list_page.store().delete(list_id, by=_actor(principal))
        return jsonify({"id": list_id, "deleted": True})
    data = _json_body()
    owners = data.pop("owners", None)
    try:
        if owners is not None:
            if not isinstance(owners, list) or not all(isinstance(o, str) for o in owners):
                raise ListError("owners", "must be a list of library ids")
            for owner in set(owners) - set(curated.owners):
                if services.libraries().by_id(owner) is None:
                    raise ListError("owners", f"unknown library {owner[:40]!r}")
        list_page.store().update(list_id, data, by=_actor(principal))
        if owners is not None:
            list_page.store().set_owners(list_id, owners, by=_actor(principal))
    except ListError as exc:
        return _bad(exc)
    return jsonify(list_page.store().get(list_id).as_dict())
