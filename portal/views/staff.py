"""Staff pages: sign-in with a staff account, the staff start page, and the read-only language report.

Who is signed in, sessions, throttling and the audit trail are `portal.staff`'s; these views only ask.
The report (`transform.language_report.build_report`) reads every bibliographic record of one source
and runs language detection, so it is built at most once per `REPORT_TTL` seconds per library and kept
in memory. Staff responses are never cached by browsers or proxies.
"""

from __future__ import annotations

import math
import threading
import time

from functools import wraps

from flask import Blueprint, abort, current_app, g, redirect, request, url_for
from flask_babel import gettext as _

from accounts import roles
from portal import i18n, services
from portal.render import render, wants_json
from portal.security import no_store
from portal.staff import access
from portal.staff.api_auth import ensure_may_act_for, unauthorized

bp = Blueprint("staff", __name__)

REPORT_TTL = 300
_lock = threading.Lock()


bp.after_request(no_store)


@bp.before_request
def negotiate():
    """Staff pages also answer JSON to `Accept: application/json` (a script's way to ask): safe here
    because no staff answer is ever cached, so no cache can hand one form to a client that asked for the other."""
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json" \
            and not request.args.get("format"):
        g.format = "json"


def staff_page(view):
    """For a page only staff may see: others are sent to sign in (HTML) or answered 401 (JSON)."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if access.principal() is None:
            if wants_json():
                return unauthorized()
            return redirect(url_for("staff.login", next=request.full_path.rstrip("?")), code=303)
        return view(*args, **kwargs)
    return wrapper


def submitted():
    """The fields of a form post, or of a script's JSON body (a script authenticated by its Authorization
    header posts JSON: a form body would need the CSRF token, see portal.security)."""
    if request.form:
        return request.form
    body = request.get_json(silent=True)
    return {k: str(v) for k, v in body.items()} if isinstance(body, dict) else {}


def _sections(who) -> list[dict]:
    sections = [{"name": "desk", "title": _("Circulation desk"), "url": url_for("desk.checkout")},
                {"name": "lists", "title": _("Lists"), "url": url_for("staff_lists.index")},
                {"name": "catalogue", "title": _("Add a copy"), "url": url_for("staff_catalogue.page")},
                {"name": "receive", "title": _("Receive a delivery"), "url": url_for("staff_catalogue.receive_page")},
                {"name": "ill", "title": _("Inter-library loan"), "url": url_for("ncip.page")},
                {"name": "enrich", "title": _("Records that would gain most"), "url": url_for("staff_enrich.batch")},
                {"name": "deposits", "title": _("Deposits"), "url": url_for("staff_deposits.index")},
                {"name": "languages", "title": _("Language report"), "url": url_for("staff.languages")},
                {"name": "sources", "title": _("Harvest health"), "url": url_for("staff_sources.sources")},
                {"name": "notices", "title": _("Notices"), "url": url_for("staff_notices.index")},
                {"name": "rules", "title": _("Circulation rules"), "url": url_for("staff_rules.page")}]
    if who.role in roles.ADMINS:
        sections.append({"name": "users", "title": _("Staff accounts"), "url": url_for("staff_admin.users")})
    sections += [{"name": "audit", "title": _("Audit log"), "url": url_for("staff_admin.audit")},
                 {"name": "tokens", "title": _("API tokens"), "url": url_for("staff_admin.tokens")},
                 {"name": "account", "title": _("Your account"), "url": url_for("staff_admin.account")}]
    return sections


@bp.route("/staff")
@bp.route("/staff.json", endpoint="index_json")
def index():
    who = access.principal()
    library = services.libraries().by_id(who.library) if who else None
    return render("staff.html", {"signed_in": who is not None, "user": who.as_dict() if who else None,
                                 "library": library.as_dict() if library else
                                 ({"id": who.library, "name": who.library} if who else None),
                                 "sections": _sections(who) if who else []})


def _safe_next(target: str) -> str:
    """Where to go after signing in: only a path in the staff area of this site (no open redirect)."""
    if target.startswith("/staff") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("staff.index")


@bp.route("/staff/login", methods=["GET", "POST"])
@bp.route("/staff/login.json", endpoint="login_json")
def login():
    error, status, headers = "", 200, {}
    username = request.form.get("username", "")
    target = request.values.get("next", "")
    if request.method == "POST":
        attempt = access.sign_in(username, request.form.get("password", ""), request.form.get("code", ""))
        if attempt.ok:
            return redirect(_safe_next(target), code=303)
        if attempt.wait:
            error = _("Too many failed sign-ins. Try again in %(minutes)s min.", minutes=math.ceil(attempt.wait / 60))
            status, headers = 429, {"Retry-After": str(math.ceil(attempt.wait))}
        else:
            error, status = _("Wrong username, password or code."), 403
    return render("staff_login.html", {"error": error, "username": username, "next": target,
                                       "signed_in": access.principal() is not None},
                  status=status, headers=headers)


@bp.route("/staff/logout", methods=["POST"])
def logout():
    access.sign_out()
    return redirect(url_for("staff.index"), code=303)


def _report(source: str) -> dict:
    cache = current_app.extensions.setdefault("grenselos", {}).setdefault("language_reports", {})
    with _lock:
        cached = cache.get(source)
        if cached and time.monotonic() - cached[0] < REPORT_TTL:
            return cached[1]
    from harvest.store import RecordStore
    from transform.language_report import build_report
    database = services.database()
    store = RecordStore(database.engine, migrate=False)

    class OneSource:          # read only this library's records, not the whole store
        @staticmethod
        def iter_records(**kwargs):
            return store.iter_records(source, **kwargs)

    settings = services.settings()
    report = build_report(OneSource(), settings.sources, source_filter=[source]).get(source) or {
        "records": 0, "by_language": {}, "without_language": 0, "detected_by_language": {}, "problems": {},
        "unknown_codes": {},
        "suggestions": [], "unreadable": []}
    with _lock:
        cache[source] = (time.monotonic(), report)
    return report


def _labelled(counts: dict, without: int = 0) -> list[dict]:
    rows = [{"code": code, "label": i18n.language_label(code), "count": count} for code, count in counts.items()]
    if without:
        rows.append({"code": "", "label": _("No language code"), "count": without})
    return rows


def reason_text(reason: str) -> str:
    """Why a suggestion is shown, in the interface language (keys: transform.languages.SUGGESTION_REASONS)."""
    return {"missing": _("The record has no language code."),
            "und": _("The code is und (undetermined)."),
            "mul": _("The code is mul (multiple languages), and 041 does not name them."),
            "smi": _("Only the collective code smi (Sami languages)."),
            "contradicted": _("The title and notes read as another language than the code says.")}.get(reason, reason)


@bp.route("/staff/languages")
@bp.route("/staff/languages.json", endpoint="languages_json")
@staff_page
def languages():
    source = request.args.get("source", "") or access.signed_in_source()
    ensure_may_act_for(source)        # staff see their own library's data only (a county admin: any)
    if source not in {s.id for s in services.settings().sources}:
        abort(404)
    report = _report(source)
    ids = services.database().record_ids([(source, s["identifier"]) for s in report["suggestions"]]) \
        if services.database() is not None else {}
    suggestions = []
    for s in report["suggestions"]:
        record_id = ids.get((source, s["identifier"]))
        suggestions.append({**s, "record_url": url_for("record.record", record_id=f"{source}-{record_id}")
                            if record_id else None,
                            "suggested_label": i18n.language_label(s["suggested"]),
                            "reason_text": reason_text(s.get("reason") or ""),
                            "catalogued_labels": [i18n.language_label(c) for c in s["catalogued"]]})
    library = services.libraries().by_id(source)
    return render("staff_languages.html", {
        "source": source, "library": library.as_dict() if library else {"id": source, "name": source},
        "records": report["records"],
        "by_language": _labelled(report["by_language"], report.get("without_language", 0)),
        "detected_by_language": _labelled(report["detected_by_language"]),
        "problems": [{"kind": k, "count": n} for k, n in report["problems"].items()],
        "unknown_codes": [{"code": k, "count": n} for k, n in report["unknown_codes"].items()],
        "suggestions": suggestions, "unreadable": report["unreadable"]})
