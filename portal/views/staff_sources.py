"""Harvest health for staff: `/staff/sources` (the signed-in librarian's sources) and `/staff/sources/<id>`.

What a one-person library needs to act on a harvest: the last attempt and its outcome, the counts, the
quarantined records with the reason and the raw record, the deletes seen and the next scheduled run.
The figures come from `harvest.health`. Who sees what is `accounts.roles.may_act_for`'s to say: a
librarian sees the sources of their own library (another library's source answers 403), a county admin
every source. Staff responses are never cached.
"""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, abort, url_for
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

from accounts import roles
from harvest import attempts, health
from portal import services
from portal.render import render, split_format
from portal.security import no_store
from portal.staff import access
from portal.staff.api_auth import ensure_may_act_for
from portal.views.staff import negotiate, staff_page
from transform.status import quarantined as not_converted

bp = Blueprint("staff_sources", __name__)
bp.before_request(negotiate)

#: How each outcome is named to a person (the JSON keeps the code).
OUTCOMES = {"ok": _l("Worked"), "partial": _l("Worked, with quarantined records"), "failed": _l("Failed"),
            "running": _l("Running now"), None: _l("Never harvested")}
STAGES = {"harvest": _l("Harvest (a page that was not well-formed)"), "import": _l("Import (unreadable)"),
          "record": _l("Record (kept, with an error)"),
          "transform": _l("Conversion (the record could not be converted)")}


bp.after_request(no_store)


@bp.app_template_filter("when")
def when(iso: str | None) -> str:
    """An ISO timestamp as the visitor's locale writes a date and time."""
    if not iso:
        return "–"
    try:
        return format_datetime(datetime.fromisoformat(iso), "medium")
    except ValueError:
        return iso


def _library_of(source) -> str:
    return source.library or source.id


def _visible_sources() -> list:
    """The configured sources whose library the signed-in staff member may act for."""
    who = access.principal()
    return [s for s in services.settings().sources if roles.may_act_for(who, _library_of(s))]


def _labelled(entry: dict) -> dict:
    return {**entry, "status_label": str(OUTCOMES.get(entry["harvest_status"], entry["harvest_status"])),
            "url": url_for("staff_sources.source", source_id=entry["id"])}


@bp.route("/staff/sources")
@bp.route("/staff/sources.json", endpoint="sources_json")
@staff_page
def sources():
    visible = _visible_sources()
    now = datetime.now(timezone.utc)
    engine = services.sql()
    settings = services.settings()
    rows = [_labelled(health.overview(engine, settings, s, now)) for s in visible]
    return render("staff_sources.html", {"sources": rows, "now": now.isoformat(timespec="seconds")})


@bp.route("/staff/sources/<source_id>")
def source(source_id: str):
    return _source(split_format(source_id))


@staff_page
def _source(source_id: str):
    found = next((s for s in services.settings().sources if s.id == source_id), None)
    ensure_may_act_for(_library_of(found) if found else source_id)    # 401 or 403 before 404: no probing
    if found is None:
        abort(404)
    now = datetime.now(timezone.utc)
    engine, settings = services.sql(), services.settings()
    data = _labelled(health.detail(engine, settings, found, now))
    failed = not_converted(settings, found.id)[:health.LIST_LIMIT]        # the transform stage's quarantine
    raws = health.raw_records(engine, found.id, [item["identifier"] for item in failed])
    data["quarantine"] += [{"stage": "transform", "identifier": item["identifier"], "location": item["location"],
                            "cause": item["cause"], "when": attempts.iso(item["created_at"]),
                            "raw": raws.get(item["identifier"])} for item in failed]
    data["not_converted"] = len(failed)
    for attempt in data["attempts"]:
        attempt["outcome_label"] = str(OUTCOMES.get(attempt["outcome"], attempt["outcome"]))
    for item in data["quarantine"]:
        item["stage_label"] = str(STAGES.get(item["stage"], item["stage"]))
    return render("staff_source.html", {"source": data, "now": now.isoformat(timespec="seconds")})
