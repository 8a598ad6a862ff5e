"""/staff/deposits: deposit loans (`circulation.deposits`), crates of copies lent to another library for
months — the list of a library's deposits out and in, the crates due home, a form for a new deposit, and
each deposit's page with a barcode field for scanning copies in, removing them and taking the crate back.

Staff see and change only deposits from or to their own library (a county admin: all, or one library with
`?library=`); the service checks again on every change and audits it. Each page has a JSON twin, and a script
authenticated by its Authorization header may post JSON instead of the form.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from flask import Blueprint, abort, request
from flask_babel import gettext as _

from accounts import roles
from circulation.deposits import Deposits, parse_barcodes
from circulation.service import local_day
from portal import services
from portal.circulation_text import reason_text, status_text
from portal.render import render, wants_json
from portal.security import no_store
from portal.staff import access
from portal.views.staff import negotiate, staff_page, submitted

bp = Blueprint("staff_deposits", __name__)
bp.before_request(negotiate)


bp.after_request(no_store)


def _today() -> date:
    return local_day(datetime.now(timezone.utc))


def _deposit_dict(d, today: date, deposits: Deposits) -> dict:
    _name = deposits.name
    return {"id": d.id, "from_library": d.from_library, "from_name": _name(d.from_library),
            "to_library": d.to_library, "to_name": _name(d.to_library), "place": d.place,
            "until": d.until.isoformat(), "note": d.note, "status": d.status, "due": d.due(today),
            "created_by": d.created_by, "created_at": d.created_at.isoformat(timespec="seconds"),
            "copies": [{"barcode": c.barcode, "home_library": c.home_library, "status": c.status,
                        "status_label": status_text(c.status)} for c in d.copies]}


def _refused(result) -> list[dict]:
    return [{"barcode": b, "reason": r, "text": reason_text(r)} for b, r in result.refused]


def _scope(who) -> str | None:
    """Whose deposits the list shows: the staff member's library; a county admin's choice, or all."""
    if who.role == roles.COUNTY_ADMIN:
        return request.args.get("library") or None
    return services.circulation().library_id(who.library)


def _index_page(message=None, status: int = 200, form: dict | None = None):
    who = access.principal()
    deposits = Deposits(services.circulation())
    today = _today()
    scope = _scope(who)
    listed = [_deposit_dict(d, today, deposits) for d in deposits.list(scope)]
    due = [{"library": group.library, "name": deposits.name(group.library),
            "deposits": [_deposit_dict(d, today, deposits) for d in group.deposits]}
           for group in deposits.due(today, scope)]
    choices = [lib for lib in deposits.destinations() if lib.id != scope]
    data = {"library": scope, "deposits": listed, "due_home": due, "destinations": [lib.id for lib in choices],
            "message": message, "form": form or {}, "today": today.isoformat()}
    if not wants_json():                 # the form's choices by name (the JSON twin names ids only)
        data["libraries"] = [{"id": lib.id, "name": lib.name} for lib in choices]
        if who.role == roles.COUNTY_ADMIN:   # a county admin says which library lends
            data["lenders"] = [{"id": lib, "name": deposits.name(lib)}
                               for lib in sorted(services.circulation().circulating_libraries)]
    return render("staff_deposits.html", data, status=status)


@bp.route("/staff/deposits", methods=["GET", "POST"])
@bp.route("/staff/deposits.json", methods=["GET", "POST"], endpoint="index_json")
@staff_page
def index():
    if request.method == "GET":
        return _index_page()
    form = submitted()
    who = access.principal()
    try:
        until = date.fromisoformat((form.get("until") or "").strip())
    except ValueError:
        until = None
    if until is None:
        return _index_page({"ok": False, "reason": "invalid", "text": _("Give the date the deposit comes home.")},
                           400, dict(form))
    result = Deposits(services.circulation()).create(
        who, to_library=form.get("to_library", ""), until=until, barcodes=parse_barcodes(form.get("barcodes", "")),
        note=form.get("note", ""), place=form.get("place", ""), from_library=form.get("from_library") or None,
        client=request.remote_addr, today=_today())
    if not result.ok:
        text = _("Only your own library's copies can be lent on deposit.") if result.reason == "not_allowed" \
            else _("Choose another library and a date after today.")
        return _index_page({"ok": False, "reason": result.reason, "text": text},
                           403 if result.reason == "not_allowed" else 400, dict(form))
    return _deposit_page(result.deposit.id, _change_message(result, _("The deposit is made.")), status=201)


def _change_message(result, done_text: str) -> dict:
    text = done_text + " " + _("Copies: %(num)s.", num=len(result.done)) if result.done else done_text
    if result.refused:
        text += " " + _("Not taken: %(num)s.", num=len(result.refused))
    return {"ok": not result.refused, "reason": result.reason, "text": text, "refused": _refused(result)}


def _deposit_page(deposit_id: int, message=None, status: int = 200):
    deposits = Deposits(services.circulation())
    deposit = deposits.get(deposit_id)
    if deposit is None or not deposits.may_see(access.principal(), deposit):
        abort(404)                           # another library's deposits are not even confirmed to exist
    return render("staff_deposit.html", {"deposit": _deposit_dict(deposit, _today(), deposits), "message": message},
                  status=status)


@bp.route("/staff/deposits/<int:deposit_id>", methods=["GET", "POST"])
@bp.route("/staff/deposits/<int:deposit_id>.json", methods=["GET", "POST"], endpoint="deposit_json")
@staff_page
def deposit(deposit_id: int):
    if request.method == "GET":
        return _deposit_page(deposit_id)
    form = submitted()
    who = access.principal()
    deposits = Deposits(services.circulation())
    found = deposits.get(deposit_id)
    if found is None or not deposits.may_see(who, found):
        abort(404)                           # before anything else: another library's deposit stays unknown
    action = form.get("action", "add")
    barcodes = parse_barcodes(form.get("barcodes") or form.get("barcode") or "")
    if action == "add":
        result = deposits.add(deposit_id, barcodes, who, client=request.remote_addr)
        done = _("Added.")
    elif action == "remove":
        result = deposits.remove(deposit_id, barcodes, who, client=request.remote_addr)
        done = _("Removed; the copies go home.")
    elif action == "return":
        result = deposits.return_deposit(deposit_id, who, client=request.remote_addr)
        done = _("The deposit is back home.")
    else:
        abort(400)
    if not result.ok:
        if result.reason in ("not_found", "not_allowed"):
            abort(404)
        return _deposit_page(deposit_id, {"ok": False, "reason": result.reason,
                                          "text": _("This deposit has been returned.")}, 409)
    return _deposit_page(deposit_id, _change_message(result, done))
