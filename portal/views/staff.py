"""Staff pages: sign-in with a library's staff token, and the read-only language report of that library.

Who is signed in, sessions, throttling and the audit trail are `portal.staff`'s; these views only ask.
The report (`transform.language_report.build_report`) reads every bibliographic record of one source
and runs language detection, so it is built at most once per `REPORT_TTL` seconds per library and kept
in memory. Staff responses are never cached by browsers or proxies.
"""

from __future__ import annotations

import math
import threading
import time

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_babel import gettext as _

from portal import i18n, services
from portal.render import render, wants_json
from portal.staff import access

bp = Blueprint("staff", __name__)

REPORT_TTL = 300
_lock = threading.Lock()


@bp.after_request
def _private(response):
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/staff")
@bp.route("/staff.json", endpoint="index_json")
def index():
    source = access.signed_in_source()
    library = services.libraries().by_id(source) if source else None
    sections = []
    if source:
        sections.append({"name": "languages", "title": _("Language report"),
                         "url": url_for("staff.languages")})
        sections.append({"name": "sources", "title": _("Harvest health"),
                         "url": url_for("staff_sources.sources")})
    return render("staff.html", {"signed_in": bool(source), "library": library.as_dict() if library else None,
                                 "sections": sections, "configured": bool(access.libraries())})


@bp.route("/staff/login", methods=["GET", "POST"])
def login():
    error, status, headers = "", 200, {}
    chosen = request.form.get("library", "")
    if request.method == "POST":
        attempt = access.sign_in(chosen, request.form.get("token", ""))
        if attempt.ok:
            return redirect(url_for("staff.languages"), code=303)
        if attempt.wait:
            error = _("Too many failed sign-ins. Try again in %(minutes)s min.", minutes=math.ceil(attempt.wait / 60))
            status, headers = 429, {"Retry-After": str(math.ceil(attempt.wait))}
        else:
            error, status = _("That staff token is not valid for the library you chose."), 403
    directory = services.libraries()
    libraries = [{"id": source, "name": directory.by_id(source).name if directory.by_id(source) else source}
                 for source in access.libraries()]
    return render("staff_login.html", {"error": error, "configured": bool(libraries), "libraries": libraries,
                                       "chosen": chosen}, status=status, headers=headers)


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
        "records": 0, "by_language": {}, "detected_by_language": {}, "problems": {}, "unknown_codes": {},
        "suggestions": [], "unreadable": []}
    with _lock:
        cache[source] = (time.monotonic(), report)
    return report


def _labelled(counts: dict) -> list[dict]:
    return [{"code": code, "label": i18n.language_label(code) if code != "(none)" else _("No language code"),
             "count": count} for code, count in counts.items()]


@bp.route("/staff/languages")
@bp.route("/staff/languages.json", endpoint="languages_json")
def languages():
    source = access.signed_in_source()
    if not source:
        if wants_json():
            abort(403)
        return redirect(url_for("staff.login"), code=303)
    asked = request.args.get("source", "")
    if asked and asked != source:
        abort(403)                    # staff see their own library's data only
    report = _report(source)
    ids = services.database().record_ids([(source, s["identifier"]) for s in report["suggestions"]]) \
        if services.database() is not None else {}
    suggestions = []
    for s in report["suggestions"]:
        record_id = ids.get((source, s["identifier"]))
        suggestions.append({**s, "record_url": url_for("record.record", record_id=f"{source}-{record_id}")
                            if record_id else None,
                            "suggested_label": i18n.language_label(s["suggested"]),
                            "catalogued_labels": [i18n.language_label(c) for c in s["catalogued"]]})
    library = services.libraries().by_id(source)
    return render("staff_languages.html", {
        "source": source, "library": library.as_dict() if library else {"id": source, "name": source},
        "records": report["records"],
        "by_language": _labelled(report["by_language"]),
        "detected_by_language": _labelled(report["detected_by_language"]),
        "problems": [{"kind": k, "count": n} for k, n in report["problems"].items()],
        "unknown_codes": [{"code": k, "count": n} for k, n in report["unknown_codes"].items()],
        "suggestions": suggestions, "unreadable": report["unreadable"]})
