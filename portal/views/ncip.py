"""Inter-library loan with libraries outside the county over NCIP (NNCIPP 1.0): the responder peers post to
(`POST /ncip`), and the staff page where a library asks for a loan and moves its requests along
(`/staff/ill`, with its JSON twin).

The responder always answers 200 with an NCIP message (a Problem when anything is wrong, see
`circulation.ncip.responder`); it is off (404) unless `[ncip] enabled`. It uses no session or cookie, so
it is a protocol path (`portal.protocol`), outside the CSRF check; peers authenticate by shared secret
and/or address. Staff see and act on their own library's requests only.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, request
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from circulation.ill import InterLibraryLoans
from circulation.ncip import messages, responder
from portal import services
from portal.circulation_text import reason_text
from portal.render import render
from portal.security import no_store
from portal.staff import access
from portal.views.staff import negotiate, staff_page, submitted

bp = Blueprint("ncip", __name__)
bp.before_request(negotiate)


bp.after_request(no_store)

#: The staff actions on one request, by the button's `action` value.
ACTIONS = ("ship", "receive", "lend", "return", "renew", "cancel")


def _ill() -> InterLibraryLoans:
    return services.ill()


@bp.route("/ncip", methods=["POST"])
def endpoint():
    if not services.settings().ncip.enabled:
        abort(404)
    auth = request.headers.get("Authorization", "")
    token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
    try:
        received = request.get_data(cache=False)
    except RequestEntityTooLarge:
        body = messages.problem_response(None, messages.Problem(
            "Invalid Message Syntax Error", "the message is larger than this responder accepts", "NCIPMessage",
            scheme=messages.MESSAGING))
    else:
        body = responder.answer(_ill(), received, token=token, client=request.remote_addr or "")
    return Response(body, status=200, mimetype="application/xml")


def state_text(state: str) -> str:
    return {
        "requested": _("Requested"),
        "shipped": _("Sent by the lending library"),
        "received": _("Received"),
        "lent": _("Lent to the patron"),
        "returned": _("Returned by the patron"),
        "shipped_back": _("Sent back"),
        "done": _("Completed"),
        "cancelled": _("Cancelled"),
    }.get(state, state)


def _view(row: dict, ill: InterLibraryLoans) -> dict:
    peer = ill.peer(row["peer"])
    name = (peer.name if peer is not None else "") or row["peer"]
    return {**row, "state_label": state_text(row["state"]), "peer_name": name,
            "direction": _("Borrowing from %(library)s", library=name) if row["role"] == "borrowing"
            else _("Lending to %(library)s", library=name)}


@bp.route("/staff/ill", methods=["GET", "POST"], endpoint="page")
@bp.route("/staff/ill.json", methods=["GET", "POST"], endpoint="page_json")
@staff_page
def page():
    """Ask a library outside the county for a loan for a patron, and move the library's requests along."""
    who = access.principal()
    ill = _ill()
    message, status = None, 200
    if request.method == "POST":
        form = submitted()
        action = (form.get("action") or "request").strip()
        if action == "request":
            card, record = (form.get("card") or "").strip(), (form.get("record") or "").strip()
            patron = services.circulation().staff_lookup(card, who, client=request.remote_addr) if card else None
            if not (card and record):
                message, status = {"ok": False, "reason": "missing",
                                   "text": _("Give a card number and a record.")}, 400
            elif patron is None:
                message, status = {"ok": False, "reason": "patron_not_found",
                                   "text": reason_text("patron_not_found")}, 404
            else:
                result = ill.request(card, record)
                message = {"ok": result.ok, "reason": result.reason, "detail": result.detail,
                           "text": _("Asked %(peer)s for a loan.", peer=result.request["peer"]) if result.ok
                           else reason_text(result.reason)}
                status = 201 if result.ok else 409
        elif action in ACTIONS:
            try:
                request_id = int(form.get("id") or "")
            except ValueError:
                request_id = 0
            row = ill.get(request_id)
            if row is None or row["library"] != ill.circ.library_id(who.library):
                message, status = {"ok": False, "reason": "ill_unknown_request",
                                   "text": reason_text("ill_unknown_request")}, 404
            else:
                act = {"ship": ill.ship, "receive": ill.receive, "lend": ill.lend, "return": ill.give_back,
                       "renew": ill.renew, "cancel": ill.cancel}[action]
                result = act(request_id)
                message = {"ok": result.ok, "reason": result.reason, "detail": result.detail,
                           "text": reason_text(result.reason)}
                status = 200 if result.ok else 409
        else:
            message, status = {"ok": False, "reason": "invalid", "text": reason_text("invalid")}, 400
    requests = [_view(r, ill) for r in ill.requests(who.library)]
    return render("staff_ill.html", {"message": message, "requests": requests, "actions": list(ACTIONS),
                                     "enabled": services.settings().ncip.enabled}, status=status)
