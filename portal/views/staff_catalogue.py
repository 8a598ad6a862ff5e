"""Copy cataloguing in two scans: the staff page `/staff/catalogue` (and its JSON twin) and the API
`POST /api/staff/copies`.

Scan 1, the ISBN: the page lists the records other catalogues hold for it (the national bibliography,
the county's libraries), most complete first, side by side when there are several. Scan 2, the barcode,
and a shelf: the library's own record for the ISBN gets the copy (`transform.copy_cataloguing`), the
library's source is transformed at once, and the applier indexes it within seconds, so the copy
circulates and shows in search. With no record anywhere, a short form (title, author, year) makes a
minimal record marked "to be upgraded". The copy belongs to the signed-in staff member's library.

The API takes HTTP Basic or a bearer token and answers 201 naming the record used, 400 naming the bad
field, 401 without credentials, 409 for a barcode the library already has.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, abort, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.utils import secure_filename

from core.locks import Busy, writer_lock
from harvest.store import RecordStore
from portal import services
from portal.render import render
from portal.security import no_store
from portal.staff import access, api_auth
from portal.views.staff import negotiate, staff_page
from transform import copies as copies_store
from transform import copy_cataloguing as cataloguing
from transform import receiving
from transform.pipeline import run_transform
from transform.tables import transform_records

bp = Blueprint("staff_catalogue", __name__)
bp.before_request(negotiate)

#: What a person reads for each refused field (the JSON keeps the field and code too).
MESSAGES = {"isbn": _l("That is not a valid ISBN."),
            "barcode": _l("Scan or type the copy's barcode."),
            "call_number": _l("Pick or type the shelf (call number)."),
            "title": _l("No record was found for this ISBN: give at least a title for a short record."),
            "library": _l("Your library has no catalogue of its own in this installation."),
            "duplicate": _l("This barcode is already a copy in your library.")}


bp.after_request(no_store)


def _message(exc: cataloguing.CatalogueError) -> str:
    return str(MESSAGES.get(exc.code if exc.code == "duplicate" else exc.field, exc.message))


def _store() -> RecordStore:
    return RecordStore(services.sql(), migrate=False)


def _public_id(source: str, identifier: str) -> str:
    with services.sql().connect() as conn:
        found = conn.execute(select(transform_records.c.record_id).where(
            transform_records.c.source == source, transform_records.c.identifier == identifier)).scalar()
    return f"{source}-{found}" if found else ""


def _catalogue(principal, data: dict) -> dict:
    """Write the copy and convert the library's source now; the answer's dict (raises CatalogueError)."""
    settings = services.settings()
    store = _store()
    choice = tuple(data["choice"].split("|", 1)) if "|" in (data.get("choice") or "") else None
    short = {k: str(data.get(k) or "") for k in ("title", "author", "year")}
    done = cataloguing.catalogue_copy(settings, store, principal.library, str(data.get("isbn") or ""),
                                      str(data.get("barcode") or ""), str(data.get("call_number") or ""),
                                      choice=choice, short=short)
    try:
        with writer_lock(settings.data_dir, wait=30):
            run_transform(settings, store, [done.local["source"]], progress=False, apply=False)
    except Busy:
        abort(503)
    public = _public_id(done.local["source"], done.local["identifier"])
    return {"record": done.record, "local_record": {**done.local, "id": public,
                                                    "url": url_for("record.record", record_id=public) if public else ""},
            "to_be_upgraded": done.short, "copy": done.copy}


@bp.route("/api/staff/copies", methods=["POST"])
@api_auth.require_api_staff
def api_copies():
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not all(isinstance(data.get(k, ""), str) for k in
                                             ("isbn", "barcode", "call_number", "title", "author", "year")):
        return _error(400, "body", _("The body must be a JSON object of strings."), "bad_request")
    try:
        answer = _catalogue(access.principal(), data)
    except cataloguing.CatalogueError as exc:
        return _error(409 if exc.code == "duplicate" else 400, exc.field, _message(exc), exc.code)
    response = jsonify(answer)
    response.status_code = 201
    return response


def _error(status: int, field: str, message: str, code: str):
    response = jsonify({"error": code, "field": field, "message": message})
    response.status_code = status
    return response


@bp.route("/staff/catalogue", methods=["GET", "POST"])
@bp.route("/staff/catalogue.json", endpoint="page_json")
@staff_page
def page():
    principal = access.principal()
    form = request.form if request.method == "POST" else request.args
    isbn = (form.get("isbn") or "").strip()
    data = {"isbn": isbn, "candidates": [], "error": None, "field": None, "done": None,
            "barcode": form.get("barcode", ""), "call_number": form.get("call_number", ""),
            "shelves": _shelves(principal.library)}
    status = 200
    if request.method == "POST":
        try:
            data["done"] = _catalogue(principal, request.form)
            return redirect(url_for("staff_catalogue.page", done=data["done"]["local_record"]["id"],
                                    barcode_done=data["done"]["copy"]["barcode"]) + "#done", code=303)
        except cataloguing.CatalogueError as exc:
            data["error"], data["field"], status = _message(exc), exc.field, 409 if exc.code == "duplicate" else 400
    if isbn:
        try:
            normal = cataloguing.normal_isbn(isbn)
            data["candidates"] = [c.as_dict() for c in cataloguing.candidates(
                services.settings(), _store(), normal,
                cataloguing.library_source(services.settings(), principal.library).id)]
        except cataloguing.CatalogueError as exc:
            data["error"], data["field"], status = _message(exc), exc.field, 400
    done_id = request.args.get("done", "")
    if done_id:
        data["done"] = {"id": done_id, "url": url_for("record.record", record_id=done_id),
                        "barcode": request.args.get("barcode_done", "")}
    return render("staff_catalogue.html", data, status=status)


def _shelves(library_id: str) -> list[str]:
    """The call numbers the library already uses, for the shelf picker."""
    with services.sql().connect() as conn:
        return [r[0] for r in conn.execute(
            select(copies_store.copies.c.call_number).where(copies_store.copies.c.library == library_id,
                                                            copies_store.copies.c.call_number != "")
            .distinct().order_by(copies_store.copies.c.call_number).limit(200))]


#: A delivery file may be far larger than any form (a season's books); only this route takes that much.
DELIVERY_MAX_BYTES = 50 * 1024 * 1024


@bp.route("/staff/receive", methods=["GET", "POST"])
@bp.route("/staff/receive.json", endpoint="receive_json", methods=["GET", "POST"])
@staff_page
def receive_page():
    """A shelf-ready delivery file uploaded and received in one step (the `grenselos receive` of a browser)."""
    principal = access.principal()
    data = {"receipt": None, "error": None}
    status = 200
    if request.method == "POST":
        request.max_content_length = DELIVERY_MAX_BYTES
        upload = request.files.get("delivery")
        settings = services.settings()
        try:
            source = cataloguing.library_source(settings, principal.library)
        except cataloguing.CatalogueError as exc:
            data["error"], status = _message(exc), 400
        else:
            if upload is None or not upload.filename:
                data["error"], status = _("Choose the delivery file."), 400
            else:
                with tempfile.TemporaryDirectory(dir=settings.data_dir) as folder:
                    path = Path(folder) / (secure_filename(upload.filename) or "delivery.mrc")
                    upload.save(path)
                    receipt = receiving.receive(settings, _store(), source.id, path,
                                                dry_run=request.form.get("dry_run") == "1", apply=False)
                data["receipt"] = receipt.as_json()
    return render("staff_receive.html", data, status=status)
