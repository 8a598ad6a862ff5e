"""/staff/notices (JSON twin /staff/notices.json): a library's patron notices — what staff must act on
(patrons without e-mail or phone, to post or phone; notices whose delivery is uncertain; failures with their
reason) as a list to print — and its notice templates; /staff/notices/<kind>/<language> (twin `….json`): edit one
kind in one language, with a preview.

Everyone on the library's staff sees the list; changing the wording is an administrator's (a library-admin
for their own library, a county admin for any, chosen with `?library=`), audited as
`notice_template_changed`. Templates are checked (they must parse and render in the sandbox) before they
are stored, and the preview renders with example values, escaping as the real mail does.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import lazy_gettext as _l

from accounts import audit, roles
from circulation import notice_text, notices
from circulation.notice_tables import KINDS, PARTS
from portal import services
from portal.render import render, split_format, wants_json
from portal.security import no_store
from portal.staff import access
from portal.views.staff import negotiate, staff_page

bp = Blueprint("staff_notices", __name__)
bp.before_request(negotiate)

TEMPLATE_CHANGED = "notice_template_changed"
KIND_NAMES = {"hold_ready": _l("Ready for pickup"), "due_soon": _l("Due soon"), "overdue": _l("Overdue reminder"),
              "claim": _l("Replacement claim")}
PART_NAMES = {"subject": _l("Subject"), "text": _l("E-mail text"), "html": _l("E-mail HTML"), "sms": _l("SMS")}
LANGUAGE_NAMES = {"nb": "Norsk bokmål", "nn": "Norsk nynorsk", "se": "Davvisámegiella", "en": "English"}
STATE_NAMES = {"undeliverable": _l("No e-mail or phone: post or phone the patron"),
               "uncertain": _l("Perhaps not delivered: check before sending again"),
               "failed": _l("Failed: tried again automatically")}


bp.after_request(no_store)


def _library(who) -> str:
    library = request.values.get("library") or who.library or ""
    if not roles.may_act_for(who, library):
        abort(403)
    return library


def _may_edit(who, library: str) -> bool:
    return who.role in roles.ADMINS and roles.may_act_for(who, library)


def _name(library_id: str) -> str:
    found = services.libraries().by_id(library_id)
    return found.name if found else library_id


@bp.route("/staff/notices")
@bp.route("/staff/notices.json", endpoint="index_json")
@staff_page
def index():
    who = access.principal()
    library = _library(who)
    engine = services.circulation().engine
    with engine.connect() as conn:
        own = notice_text.overrides(conn, library)
    rows = notices.listing(engine, library=library)
    for row in rows:
        row["state_label"] = str(STATE_NAMES.get(row["status"], row["status"]))
        row["kind_label"] = str(KIND_NAMES.get(row["kind"], row["kind"]))
    templates = [{"kind": kind, "name": str(KIND_NAMES[kind]), "languages": [
        {"language": lang, "name": LANGUAGE_NAMES[lang],
         "overridden": sorted(part for part in PARTS if (kind, lang, part) in own),
         "url": url_for("staff_notices.template", kind=kind, language=lang, library=library)}
        for lang in notice_text.LANGUAGES]} for kind in KINDS]
    return render("staff_notices.html", {"library": {"id": library, "name": _name(library)},
                                         "may_edit": _may_edit(who, library), "to_act_on": rows,
                                         "templates": templates})


@bp.route("/staff/notices/<int:notice_id>/retry", methods=["POST"])
@staff_page
def retry(notice_id: int):
    """Staff send a notice again: after checking an uncertain one did not arrive, or after correcting the
    contact of a patron it could not reach (their own library's notices only)."""
    who = access.principal()
    library = _library(who)
    if not notices.requeue(services.circulation().engine, notice_id, library=library):
        abort(404)
    if wants_json():
        return render("", {"ok": True, "id": notice_id})
    return redirect(url_for("staff_notices.index", library=library), code=303)


@bp.route("/staff/notices/<kind>/<language>", methods=["GET", "POST"])
def template(kind: str, language: str):
    return _template(kind, split_format(language))


@staff_page
def _template(kind: str, language: str):
    who = access.principal()
    library = _library(who)
    if kind not in KINDS or language not in notice_text.LANGUAGES:
        abort(404)
    engine = services.circulation().engine
    problems: dict[str, str] = {}
    saved = False
    with engine.connect() as conn:
        parts = notice_text.effective(conn, library, kind, language)
        own = notice_text.overrides(conn, library, kind)
    if request.method == "POST":
        if not _may_edit(who, library):
            abort(403)
        given = {part: request.form.get(part, parts[part]) for part in PARTS}
        for part in PARTS:
            problem = notice_text.check(kind, part, given[part])
            if problem:
                problems[part] = problem
        action = request.form.get("action", "save")
        if action == "reset":
            with engine.begin() as conn:
                for part in PARTS:
                    notice_text.reset(conn, library, kind, language, part)
                audit.record(conn, TEMPLATE_CHANGED, library=library, principal=who.username,
                             client=access.client_address(), target=f"{kind}/{language}", detail="reset")
            saved = True
        elif action == "save" and not problems:
            with engine.begin() as conn:
                for part in PARTS:
                    notice_text.save(conn, library, kind, language, part, given[part], who.username)
                audit.record(conn, TEMPLATE_CHANGED, library=library, principal=who.username,
                             client=access.client_address(), target=f"{kind}/{language}")
            saved = True
        if saved and not wants_json():
            return redirect(url_for("staff_notices.template", kind=kind, language=language, library=library,
                                    saved=1), code=303)
        if not saved or action == "preview":
            parts = given
        else:
            with engine.connect() as conn:
                parts = notice_text.effective(conn, library, kind, language)
                own = notice_text.overrides(conn, library, kind)
    preview = None
    if not problems:
        try:
            rendered = notice_text.render(parts, notice_text.example_context(
                kind, _name(library), services.settings().base_uri), language)
            preview = {"subject": rendered.subject, "text": rendered.text, "html": rendered.html, "sms": rendered.sms}
        except notice_text.TemplateProblem as exc:
            problems["preview"] = str(exc)
    shipped = notice_text.defaults(kind)[language]
    data = {"library": {"id": library, "name": _name(library)}, "kind": kind, "kind_name": str(KIND_NAMES[kind]),
            "language": language, "language_name": LANGUAGE_NAMES[language], "may_edit": _may_edit(who, library),
            "parts": [{"part": p, "name": str(PART_NAMES[p]), "body": parts[p], "default": shipped[p],
                       "overridden": (kind, language, p) in own, "problem": problems.get(p)} for p in PARTS],
            "variables": sorted({"patron", "library", "portal", *notice_text.EXAMPLES[kind]}),
            "preview": preview, "problems": problems, "saved": saved or request.args.get("saved") == "1"}
    return render("staff_notice_template.html", data, status=400 if problems and request.method == "POST" else 200)
