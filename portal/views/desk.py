"""The circulation desk for staff: check out (scan the card, then the items), check in (scan: where the
book goes, or that a lost book is found), mark a copy lost, and patron look-up with renewals, edits,
blocks and replacement claims.

Made for a barcode scanner and a keyboard: every screen is one form whose field has the focus, a scanner's
Enter submits it, and the answer is one large message (role="status", or role="alert" when refused), no
sound. Staff reach only their own library's patrons (`Circulation.staff_lookup`, which audits every
look-up); transactions happen at the signed-in person's library. Each page has a JSON twin, and a script
authenticated by its Authorization header may post JSON instead of the form.

Offline (`portal/static/js/desk-offline.js`): when the server cannot be reached the desk's script keeps the
scans in the browser and posts them to /staff/desk/sync when it is back; what the offline conflict rule
(`circulation.offline`) did not apply waits on /staff/desk/conflicts. Without the script the desk works
online as before.
"""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, abort, jsonify, request
from flask_babel import gettext as _

from circulation import offline
from circulation.service import EDITABLE, local_day
from circulation.tables import CATEGORIES
from portal import services
from portal.circulation_text import claim_dict, loan_dict, reason_text, status_text
from portal.render import render
from portal.security import no_store
from portal.staff import access
from portal.views.record import pickup_options
from portal.views.staff import negotiate, staff_page, submitted

bp = Blueprint("desk", __name__)
bp.before_request(negotiate)


bp.after_request(no_store)


def _today():
    return local_day(datetime.now(timezone.utc))


def _patron_view(card: str) -> dict | None:
    """The patron, when this staff member may see them (audited), with their loans."""
    circ = services.circulation()
    patron = circ.staff_lookup(card, access.principal(), client=request.remote_addr) if card else None
    if patron is None:
        return None
    status = circ.patron_status(card)
    return {"card": patron.card, "name": patron.name, "email": patron.email, "phone": patron.phone,
            "category": patron.category, "library": patron.library, "status": patron.status,
            "block_reason": patron.block_reason, "birth_year": patron.birth_year,
            "guardian": patron.guardian_card, "loan_limit": status.loan_limit, "overdue": status.overdue,
            "language": patron.language, "loans": [loan_dict(l, _today()) for l in circ.loans(card)],
            "claims": [claim_dict(c) for c in circ.claims(card=card)],
            "holds": [services.holds().describe(h) for h in services.holds().of_patron(card)],
            "pickups": pickup_options()}


def _library_name(library_id: str) -> str:
    found = services.libraries().by_id(library_id)
    return found.name if found is not None else library_id


def _message(ok: bool, reason: str, text: str = "") -> dict:
    return {"ok": ok, "reason": reason, "text": text or reason_text(reason)}


@bp.route("/staff/desk/checkout", methods=["GET", "POST"])
@bp.route("/staff/desk/checkout.json", methods=["GET", "POST"], endpoint="checkout_json")
@staff_page
def checkout():
    form = submitted() if request.method == "POST" else request.args
    card = (form.get("card") or "").strip()
    barcode = (form.get("barcode") or "").strip()
    who = access.principal()
    message, status, item = None, 200, None
    if request.method == "POST" and not (card and barcode):
        return render("desk_checkout.html", {"card": "", "patron": None, "item": None,
                                             "message": _message(False, "missing", _("Scan a card and an item."))},
                      status=400)
    patron = _patron_view(card)
    if card and patron is None:
        message, status = _message(False, "patron_not_found"), 404
    elif patron is not None and barcode and request.method == "POST":
        result = services.circulation().checkout(card, barcode, who.library, desk=who.username)
        if result.ok:
            title = result.loan.title or result.loan.barcode
            message = _message(True, "", _("%(title)s is lent until %(date)s.", title=title,
                                            date=result.loan.due_date.isoformat()))
            if result.repeat:
                message["text"] += " " + _("It was already lent to this patron.")
            patron = _patron_view(card)
        else:
            message, status = _message(False, result.reason), 409 if result.reason != "not_found" else 404
        item = {"barcode": barcode, "title": result.item.title if result.item else ""}
    return render("desk_checkout.html", {"card": card if patron else "", "patron": patron, "message": message,
                                         "item": item}, status=status)


@bp.route("/staff/desk/checkin", methods=["GET", "POST"])
@bp.route("/staff/desk/checkin.json", methods=["GET", "POST"], endpoint="checkin_json")
@staff_page
def checkin():
    message, status, result_data = None, 200, None
    if request.method == "POST":
        barcode = (submitted().get("barcode") or "").strip()
        if not barcode:
            message, status = _message(False, "missing", _("Scan an item.")), 400
        else:
            result = services.circulation().checkin(barcode, access.principal().library)
            if result.ok:
                title = result.item.title or result.item.barcode
                point = next((p["point"] for p in services.holds().pickups()
                              if result.pickup_point and p["id"] == result.pickup_point), None)
                if point is not None:
                    text = _("%(title)s: put it in the box for %(route)s (%(stop)s), number %(number)s.",
                             title=title, route=point["route"], stop=point["name"], number=result.pickup_number)
                elif result.hold_id is not None and result.destination == "shelf":
                    text = _("%(title)s: put it on the hold shelf, number %(number)s.", title=title,
                             number=result.pickup_number)
                elif result.hold_id is not None:
                    text = _("%(title)s: a hold wants it: send it to %(library)s.", title=title,
                             library=_library_name(result.to_library))
                elif result.destination == "shelf":
                    text = _("%(title)s: put it on the shelf.", title=title)
                else:
                    found = services.libraries().by_id(result.to_library)
                    text = _("%(title)s: send it to %(library)s.", title=title,
                             library=found.name if found else result.to_library)
                if result.floated and result.hold_id is None:
                    text = _("%(title)s: put it on the shelf here; it now belongs to this library.", title=title)
                if result.reason in ("not_on_loan", "found"):
                    text += " " + reason_text(result.reason)
                message = {"ok": True, "reason": result.reason, "text": text}
                result_data = {"barcode": result.item.barcode, "destination": result.destination,
                               "to_library": result.to_library, "floated": result.floated,
                               "hold": result.hold_id, "pickup_number": result.pickup_number or None,
                               "pickup_point": result.pickup_point or None,
                               "found": result.reason == "found", "status": result.item.status,
                               "status_label": status_text(result.item.status)}
            else:
                message, status = _message(False, result.reason), 404 if result.reason == "not_found" else 409
    return render("desk_checkin.html", {"message": message, "result": result_data}, status=status)


@bp.route("/staff/desk/patron", methods=["GET"])
@bp.route("/staff/desk/patron.json", endpoint="patron_json")
@staff_page
def patron():
    card = (request.args.get("card") or "").strip()
    found = _patron_view(card)
    message, status = None, 200
    if card and found is None:
        message, status = _message(False, "patron_not_found"), 404
    return render("desk_patron.html", {"card": card, "patron": found, "message": message,
                                       "categories": CATEGORIES}, status=status)


@bp.route("/staff/desk/patron/action", methods=["POST"])
@bp.route("/staff/desk/patron/action.json", methods=["POST"], endpoint="patron_action_json")
@staff_page
def patron_action():
    """Renew a loan, mark it lost, settle a claim, edit, block or unblock: for a patron this staff member
    may serve (the service checks again and audits every change)."""
    form = submitted()
    card = (form.get("card") or "").strip()
    found = _patron_view(card)
    if found is None:
        abort(404)
    action = form.get("action", "")
    if action == "renew":
        result = services.circulation().renew(card, form.get("barcode", ""), channel="desk")
        message = _message(True, "", _("Renewed until %(date)s.", date=result.loan.due_date.isoformat())) \
            if result.ok else _message(False, result.reason)
    elif action in ("block", "unblock", "edit"):
        if action == "edit":
            changes = {k: form.get(k, "") for k in EDITABLE if k in form and k not in ("status", "block_reason")}
        else:
            changes = {"status": "blocked" if action == "block" else "active",
                       "block_reason": (form.get("block_reason") or "").strip() or _("Blocked at the desk")}
        result = services.circulation().edit_patron(card, access.principal(), changes, client=request.remote_addr)
        if not result.ok:
            message = _message(False, result.reason, " ".join([reason_text(result.reason), *result.problems]))
        elif action == "edit":
            message = _message(True, "", _("Saved.") if result.changed else _("Nothing was changed."))
        else:
            message = _message(True, "", _("The card is blocked.") if action == "block"
                               else _("The card is open again."))
    elif action == "lost":
        result = services.circulation().mark_lost(form.get("barcode", ""), access.principal(),
                                                  client=request.remote_addr)
        message = _lost_message(result)
    elif action == "hold":
        ref = (form.get("ref") or "").strip()
        level = form.get("level") if form.get("level") in ("record", "work", "copy") else "record"
        result = services.holds().place(card, pickup=form.get("pickup", ""), who=access.principal(),
                                        client=request.remote_addr, **{level: ref})
        message = _message(True, "", _("The hold is placed.")) if result.ok else _message(False, result.reason)
    elif action == "cancel_hold":
        hold = form.get("hold", "")
        result = services.holds().cancel(None, int(hold), who=access.principal(), client=request.remote_addr) \
            if hold.isdigit() else None
        message = _message(True, "", _("The hold is cancelled.")) if result is not None and result.ok \
            else _message(False, "not_found")
    elif action == "settle":
        claim = form.get("claim", "")
        done = claim.isdigit() and services.circulation().settle_claim(int(claim), access.principal(),
                                                                       client=request.remote_addr)
        message = _message(True, "", _("The claim is settled.")) if done else _message(False, "not_allowed")
    else:
        abort(400)
    return render("desk_patron.html", {"card": card, "patron": _patron_view(card), "message": message,
                                       "categories": CATEGORIES}, status=200 if message["ok"] else 409)


def _offline():
    return offline.Offline(services.circulation())


@bp.route("/staff/desk/sync", methods=["GET", "POST"])
@staff_page
def sync():
    """Transactions the desk did offline, as JSON `{"transactions": [{"id", "kind", "card", "barcode", "at"}]}`
    (the CSRF token in the X-CSRF-Token header); each comes back with its outcome, in the order sent. GET
    tells the script the server is reachable and how many conflicts wait."""
    who = access.principal()
    if request.method == "GET":
        return jsonify({"ok": True, "conflicts": len(_offline().conflicts(who.library))})
    body = request.get_json(silent=True)
    items = body.get("transactions") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return jsonify({"ok": False, "reason": "malformed"}), 400
    if len(items) > offline.BATCH_LIMIT:
        return jsonify({"ok": False, "reason": "too_many", "limit": offline.BATCH_LIMIT}), 413
    parsed = [offline.parse(item) for item in items]
    good = [t for t in parsed if isinstance(t, offline.Transaction)]
    done = iter(_offline().apply(good, who.library, desk=who.username))
    results = []
    for item, t in zip(items, parsed):
        if isinstance(t, offline.Transaction):
            results.append(next(done).as_dict())
        else:
            results.append({"id": str(item.get("id", "")) if isinstance(item, dict) else "", "outcome": "refused",
                            "reason": t})
    return jsonify({"ok": True, "results": results,
                    "applied": sum(r["outcome"] in (offline.APPLIED, offline.RESOLVED) for r in results),
                    "conflicts": sum(r["outcome"] == offline.CONFLICT for r in results),
                    "refused": sum(r["outcome"] == "refused" for r in results)})


def _conflict_text(reason: str) -> str:
    if reason == offline.LOAN_AFTER_RETURN:
        return _("The copy was lent again after this return.")
    return reason_text(reason)


@bp.route("/staff/desk/conflicts", methods=["GET", "POST"])
@bp.route("/staff/desk/conflicts.json", methods=["GET", "POST"], endpoint="conflicts_json")
@staff_page
def conflicts():
    """Offline transactions the conflict rule did not apply, for this library: apply anyway or dismiss."""
    who = access.principal()
    message, status = None, 200
    if request.method == "POST":
        form = submitted()
        row_id = form.get("id", "")
        done = _offline().resolve(int(row_id), who.library, form.get("action", ""), who.username) \
            if row_id.isdigit() else None
        if done is None:
            abort(404)
        if done.outcome == offline.CONFLICT:
            message, status = _message(False, done.reason), 409
        else:
            message = _message(True, "", _("Applied.") if done.outcome == offline.RESOLVED else _("Dismissed."))
    rows = [{**c, "reason_text": _conflict_text(c["reason"])} for c in _offline().conflicts(who.library)]
    return render("desk_conflicts.html", {"conflicts": rows, "message": message}, status=status)



def _lost_message(result) -> dict:
    if not result.ok:
        return _message(False, result.reason)
    text = _("%(barcode)s is marked lost.", barcode=result.item.barcode)
    if result.reason == "already_lost":
        text = reason_text("already_lost")
    if result.claim is not None and result.claim.amount:
        text += " " + _("Replacement claim: %(amount)s kr.", amount=result.claim.amount)
    return {"ok": True, "reason": result.reason, "text": text}


@bp.route("/staff/desk/lost", methods=["POST"])
@bp.route("/staff/desk/lost.json", methods=["POST"], endpoint="lost_json")
@staff_page
def lost():
    """Mark a copy lost (one of this library's copies, or one it lent); a loan's patron gets a claim."""
    barcode = (submitted().get("barcode") or "").strip()
    if not barcode:
        return render("desk_checkin.html", {"message": _message(False, "missing", _("Scan an item.")),
                                            "result": None}, status=400)
    result = services.circulation().mark_lost(barcode, access.principal(), client=request.remote_addr)
    message = _lost_message(result)
    status = 200 if result.ok else 404 if result.reason == "not_found" else 403
    data = {"barcode": result.item.barcode, "status": result.item.status,
            "status_label": status_text(result.item.status),
            "claim": claim_dict(result.claim) if result.claim else None} if result.ok else None
    return render("desk_checkin.html", {"message": message, "result": data}, status=status)
