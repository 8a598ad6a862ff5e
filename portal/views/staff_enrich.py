"""Enrichment from richer records of the same work: `/staff/records/<id>/enrich` (the diff for one
record, and the form that accepts it) and `/staff/enrich` (the library's records that would gain most),
each with a JSON twin.

What is offered and when a group counts as missing is `transform/mapping/enrichment.table`; accepting
keeps the offer as an overlay (`transform.overlays`) and converts the library's source at once, so the
record page, the search index, the BIBFRAME and the OAI provider's marcxchange carry it. Staff see and
enrich only their own library's records (a county administrator: any); every acceptance is audited.
"""

from __future__ import annotations

import threading
import time

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from accounts import audit, roles
from core.clock import now
from core.locks import Busy, writer_lock
from harvest.store import RecordStore
from portal import services
from portal.render import render
from portal.security import no_store
from portal.staff import access
from portal.staff.api_auth import ensure_may_act_for
from portal.views.staff import negotiate, staff_page
from transform import copy_cataloguing, enrichment
from transform.pipeline import run_transform
from vocab import libraries as libraries_vocab

bp = Blueprint("staff_enrich", __name__)
bp.before_request(negotiate)

RECORD_ENRICHED = "record_enriched"
#: The batch view reads every record of the library that shares a work with another (a MARC parse or
#: more each), so it is built at most once per this many seconds per library, and again after an acceptance.
BATCH_TTL = 300
_lock = threading.Lock()

#: What a person reads for each group of enrichment.table.
GROUP_LABELS = {"subjects": _l("Subjects"), "summary": _l("Summary"), "classification": _l("Classification"),
                "audience": _l("Audience"), "languages": _l("Language codes")}


bp.after_request(no_store)


def _store() -> RecordStore:
    return RecordStore(services.sql(), migrate=False)


def _label(group: str) -> str:
    return str(GROUP_LABELS.get(group, group))


def _record(public_id: str) -> tuple[str, str, str]:
    """(source, identifier, record_id) of a record this staff member may enrich; 404 or 403 otherwise."""
    settings = services.settings()
    with services.sql().connect() as conn:
        try:
            found = enrichment.locate(conn, [s.id for s in settings.sources], public_id)
        except enrichment.NotFound:
            abort(404)
    ensure_may_act_for(library_of(found[0]))
    return found


def library_of(source: str) -> str:
    """The library a source's records belong to, as staff accounts name it (who may enrich them)."""
    library = libraries_vocab.directory(services.settings()).by_source.get(source)
    return library.id if library else source


def enrich_url(record: dict) -> str | None:
    """The record page's link to this page: for a signed-in staff member who may enrich the record (its own
    library's staff, a county admin), else None."""
    who = access.principal()
    if who is None or not record.get("source") or not roles.may_act_for(who, library_of(record["source"])):
        return None
    return url_for("staff_enrich.record", record_id=record["id"])


def _page_data(d: enrichment.Diff) -> dict:
    data = d.as_dict()
    for offer in data["offers"]:
        offer["label"] = _label(offer["group"])
    for row in data["overlays"]:
        row["label"] = _label(row["group"])
    data["missing_labels"] = [_label(g) for g in data["missing"]]
    data["record_url"] = url_for("record.record", record_id=data["id"])
    return data


@bp.route("/staff/records/<record_id>/enrich", methods=["GET", "POST"])
@bp.route("/staff/records/<record_id>/enrich.json", endpoint="record_json")
@staff_page
def record(record_id):
    source, identifier, local_id = _record(record_id)
    settings = services.settings()
    store = _store()
    notice = ""
    if request.method == "POST":
        who = access.principal()
        wanted = [g for g in request.form.getlist("group") if g]
        with services.sql().begin() as conn:
            d = enrichment.diff(settings, store, conn, source, identifier, local_id)
            chosen = enrichment.accept(conn, d, wanted, who.library, who.username, now())
            if chosen:
                audit.record(conn, RECORD_ENRICHED, library=who.library, principal=who.username,
                             client=access.client_address(), target=f"{source}:{identifier}",
                             detail="; ".join(f"{o.group} from {o.from_source}:{o.from_identifier}" for o in chosen))
        if chosen:
            _forget(source)
            try:
                with writer_lock(settings.data_dir, wait=30):
                    run_transform(settings, store, [source], progress=False, apply=False)
            except Busy:
                abort(503)
        return redirect(url_for("staff_enrich.record", record_id=record_id, added=len(chosen)) + "#result", code=303)
    with services.sql().connect() as conn:
        d = enrichment.diff(settings, store, conn, source, identifier, local_id)
    if request.args.get("added", "").isdigit():
        count = int(request.args["added"])
        notice = ngettext("%(num)s group of fields added.", "%(num)s groups of fields added.", count) \
            if count else _("Nothing was added.")
    data = _page_data(d)
    data["notice"] = notice
    return render("staff_enrich.html", data)


@bp.route("/staff/enrich")
@bp.route("/staff/enrich.json", endpoint="batch_json")
@staff_page
def batch():
    """The staff member's library's records that would gain most from their work's richer records."""
    who = access.principal()
    settings = services.settings()
    try:
        source = copy_cataloguing.library_source(settings, who.library)
    except copy_cataloguing.CatalogueError:
        return render("staff_enrich_batch.html", {"records": [], "problems": [], "library": who.library,
                                                  "error": _("Your library has no catalogue of its own in "
                                                             "this installation.")}, status=400)
    found, problems = _batch(settings, source.id)
    return render("staff_enrich_batch.html", {
        "library": who.library, "error": None, "problems": problems,
        "records": [{**_page_data(d), "url": url_for("staff_enrich.record", record_id=f"{d.source}-{d.record_id}")}
                    for d in found]})


def _cache() -> dict:
    return current_app.extensions.setdefault("grenselos", {}).setdefault("enrichment_batches", {})


def _forget(source: str) -> None:
    with _lock:
        _cache().pop(source, None)


def _batch(settings, source: str):
    cache = _cache()
    with _lock:
        cached = cache.get(source)
        if cached and time.monotonic() - cached[0] < BATCH_TTL:
            return cached[1]
    with services.sql().connect() as conn:
        found = enrichment.batch(settings, _store(), conn, source)
    with _lock:
        cache[source] = (time.monotonic(), found)
    return found
