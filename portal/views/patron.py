"""The patron's own pages and API: My page (/my) and the patron JSON API (/api/patron).

A patron proves who they are with card number and PIN: on My page through a form that opens a patron
session (the card in the signed session cookie, a fresh CSRF token), in the API either by that session or
by HTTP Basic (card:PIN) on each request. PIN guessing is throttled per card and per client address by the
circulation core (`authenticate_patron`), the same limits SIP2 kiosks meet. Nothing here is cached or
readable by other sites (`portal.security` keeps CORS off for this blueprint).
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

from flask import Blueprint, Response, g, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _

from circulation import patrons as patron_store
from circulation.service import local_day
from portal import i18n, security, services
from portal.circulation_text import claim_dict, loan_dict, reason_text
from portal.errors import error_response
from portal.render import render, wants_json
from portal.security import no_store

bp = Blueprint("patron", __name__)

SESSION_KEY = security.PATRON_SESSION_KEY
REALM = "Grenseløs patron"


bp.after_request(no_store)


def _unauthorized(reason: str = ""):
    status = 429 if reason == "throttled" else 401
    response = error_response(status, reason_text(reason) if reason else
                              _("Sign in with your card number and PIN (HTTP Basic: card:PIN)."),
                              code="throttled" if status == 429 else "unauthorized")
    if status == 401:
        response.headers["WWW-Authenticate"] = f'Basic realm="{REALM}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def current_card() -> str | None:
    """The patron of this request: by HTTP Basic when the header is there (and then only by it), else by
    the patron session. Looked up once per request."""
    if "patron_card" not in g:
        card, g.patron_refusal = None, ""
        header = request.authorization
        if header is not None:
            if header.type == "basic":
                result = services.circulation().authenticate_patron(header.username or "", header.password or "",
                                                                    client=request.remote_addr)
                card = result.patron.card if result.ok else None
                g.patron_refusal = result.reason
        else:
            stored = session.get(SESSION_KEY)
            if isinstance(stored, str) and services.circulation().patron(stored) is not None:
                card = stored
        g.patron_card = card
    return g.patron_card


def _patron_dict(p) -> dict:
    return {"card": p.card, "name": p.name, "email": p.email, "phone": p.phone, "language": p.language,
            "library": p.library, "category": p.category, "status": p.status, "block_reason": p.block_reason,
            "keep_history": p.keep_history}


def _claim(claim) -> dict:
    found = services.libraries().by_id(claim.library)
    return {**claim_dict(claim), "library_name": found.name if found else claim.library}


def _ill_requests(card: str) -> list[dict]:
    """The patron's inter-library loan requests (newest first), read-only: what they asked for, from which
    library outside the county, its state and due date; the desk moves them along."""
    ill = services.ill()
    out = []
    for r in ill.requests(card=card):
        if r["role"] != "borrowing":
            continue
        peer = ill.peer(r["peer"])
        out.append({"id": r["id"], "state": r["state"], "title": r["title"], "record": r["record"] or None,
                    "lender": r["peer"], "lender_name": (peer.name if peer is not None else "") or r["peer"],
                    "due_date": r["due_date"], "renewals": r["renewals"], "requested_at": r["created_at"],
                    "lent_at": r["lent_at"], "returned_at": r["returned_at"]})
    return out


def _overview(card: str) -> dict:
    circ = services.circulation()
    today = local_day(datetime.now(timezone.utc))
    patron = circ.patron(card)
    holds = services.holds()
    data = {"patron": _patron_dict(patron), "loans": [loan_dict(l, today) for l in circ.loans(card)],
            "holds": [holds.describe(h) for h in holds.of_patron(card)],
            "claims": [_claim(c) for c in circ.claims(card=card)],       # open replacement claims
            "ill": _ill_requests(card)}
    if patron.keep_history:
        data["history"] = [loan_dict(l, today) for l in circ.history(card)]
    return data


@bp.route("/api/patron")
def api_patron():
    card = current_card()
    if card is None:
        return _unauthorized(g.get("patron_refusal", ""))
    return jsonify(_overview(card))


@bp.route("/api/patron/loans/<path:barcode>/renew", methods=["POST"])
def api_renew(barcode: str):
    card = current_card()
    if card is None:
        return _unauthorized(g.get("patron_refusal", ""))
    result = services.circulation().renew(card, barcode, channel="online")
    today = local_day(datetime.now(timezone.utc))
    body = {"ok": result.ok, "reason": result.reason, "message": reason_text(result.reason),
            "loan": loan_dict(result.loan, today) if result.loan else None}
    response = jsonify(body)
    response.status_code = 200 if result.ok else (404 if result.reason in ("not_found", "not_on_loan") else 409)
    return response


#: Why a hold was not placed → HTTP status of the patron API.
HOLD_STATUS = {"patron_not_found": 404, "no_such_title": 404, "not_found": 404, "bad_pickup": 400,
               "duplicate": 409, "limit": 409, "blocked": 403, "expired": 403, "invalid": 409}


def _place(card: str, body) -> tuple[dict, int]:
    """Place a hold from a JSON body or a form: record, work or copy, and pickup (a source id)."""
    get = body.get
    languages = body.getlist("languages") if hasattr(body, "getlist") else get("languages") or ()
    if isinstance(languages, str):
        languages = tuple(languages.split())
    result = services.holds().place(card, pickup=str(get("pickup") or ""), record=get("record") or None,
                                    work=get("work") or None, copy=get("copy") or None,
                                    languages=tuple(str(x) for x in languages)[:8])
    body = {"ok": result.ok, "reason": result.reason, "message": reason_text(result.reason) if not result.ok
            else _("Your hold is placed."), "hold": services.holds().describe(result.hold) if result.hold else None}
    return body, 201 if result.ok else HOLD_STATUS.get(result.reason, 409)


@bp.route("/api/patron/holds", methods=["POST"])
def api_place_hold():
    card = current_card()
    if card is None:
        return _unauthorized(g.get("patron_refusal", ""))
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error_response(400, _("Send JSON: {\"record\": ID, \"pickup\": LIBRARY}."), code="bad_request")
    data, status = _place(card, body)
    response = jsonify(data)
    response.status_code = status
    return response


@bp.route("/api/patron/holds/<int:hold_id>", methods=["DELETE"])
def api_cancel_hold(hold_id: int):
    card = current_card()
    if card is None:
        return _unauthorized(g.get("patron_refusal", ""))
    result = services.holds().cancel(card, hold_id)
    response = jsonify({"ok": result.ok, "reason": result.reason,
                        "hold": services.holds().describe(result.hold) if result.hold else None})
    response.status_code = 200 if result.ok else (404 if result.reason == "not_found" else 409)
    return response


def _until(text) -> date | None:
    try:
        return date.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


@bp.route("/api/patron/holds/<int:hold_id>/suspend", methods=["POST"])
def api_suspend_hold(hold_id: int):
    """JSON {"until": "YYYY-MM-DD"} suspends a placed hold until that day; {"until": null} resumes it."""
    card = current_card()
    if card is None:
        return _unauthorized(g.get("patron_refusal", ""))
    body = request.get_json(silent=True) or {}
    result = services.holds().suspend(card, hold_id, _until(body.get("until")))
    response = jsonify({"ok": result.ok, "reason": result.reason,
                        "hold": services.holds().describe(result.hold) if result.hold else None})
    response.status_code = 200 if result.ok else (404 if result.reason == "not_found" else 409)
    return response


@bp.route("/my/holds", methods=["POST"])
def place_hold():
    """The "Place hold" form of a record or work page."""
    card = current_card()
    if card is None:
        return _sign_in_page(_("Sign in to place a hold."), status=401)
    data, _status = _place(card, request.form)
    return redirect(url_for("patron.my", notice=data["message"]), code=303)


@bp.route("/my/holds/<int:hold_id>/cancel", methods=["POST"])
def cancel_hold(hold_id: int):
    card = current_card()
    if card is None:
        return _sign_in_page(status=401)
    result = services.holds().cancel(card, hold_id)
    notice = _("The hold is cancelled.") if result.ok else reason_text(result.reason)
    return redirect(url_for("patron.my", notice=notice), code=303)


@bp.route("/my/holds/<int:hold_id>/suspend", methods=["POST"])
def suspend_hold(hold_id: int):
    card = current_card()
    if card is None:
        return _sign_in_page(status=401)
    until = _until(request.form.get("until"))
    result = services.holds().suspend(card, hold_id, until)
    notice = (_("The hold is paused until %(date)s.", date=until.isoformat()) if until else
              _("The hold is active again.")) if result.ok else _("Choose a date after today.")
    return redirect(url_for("patron.my", notice=notice), code=303)


def _sign_in_page(error: str = "", status: int = 200, card: str = "", notice: str = ""):
    if wants_json():
        return _unauthorized()
    return render("my_login.html", {"error": error, "card": card, "notice": notice}, status=status)


@bp.route("/my", methods=["GET"])
@bp.route("/my.json", endpoint="my_json")
def my():
    card = current_card()
    if card is None:
        return _sign_in_page()
    data = _overview(card)
    data["notice"] = request.args.get("notice", "")[:200]
    return render("my.html", data)


@bp.route("/my/login", methods=["POST"])
def login():
    card = request.form.get("card", "").strip()
    result = services.circulation().authenticate_patron(card, request.form.get("pin", ""),
                                                        client=request.remote_addr)
    if not result.ok:
        status = 429 if result.reason == "throttled" else 403
        message = reason_text("throttled") if status == 429 else reason_text("bad_pin")
        return _sign_in_page(message, status, card)
    session.pop(security.FIELD, None)            # a new CSRF token for the signed-in patron
    session[SESSION_KEY] = result.patron.card
    return redirect(url_for("patron.my"), code=303)


@bp.route("/my/logout", methods=["POST"])
def logout():
    session.pop(SESSION_KEY, None)
    session.pop(security.FIELD, None)
    return redirect(url_for("patron.my"), code=303)


@bp.route("/my/loans/<path:barcode>/renew", methods=["POST"])
def renew(barcode: str):
    card = current_card()
    if card is None:
        return _sign_in_page(status=401)
    result = services.circulation().renew(card, barcode, channel="online")
    notice = _("Renewed until %(date)s.", date=result.loan.due_date.isoformat()) if result.ok \
        else reason_text(result.reason)
    return redirect(url_for("patron.my", notice=notice), code=303)


@bp.route("/my/settings", methods=["GET", "POST"])
@bp.route("/my/settings.json", endpoint="settings_json")
def settings():
    card = current_card()
    if card is None:
        return _sign_in_page()
    error, notice, status = "", "", 200
    if request.method == "POST":
        form = request.form
        with services.sql().begin() as conn:
            problems = patron_store.update_settings(
                conn, card, email=form.get("email", "").strip(), phone=form.get("phone", "").strip(),
                language=form.get("language", ""), keep_history=form.get("keep_history") == "yes")
        if problems:
            error, status = _("Check the e-mail address and the language."), 400
        else:
            notice = _("Your settings are saved.")
    patron = services.circulation().patron(card)
    return render("my_settings.html", {"patron": _patron_dict(patron), "error": error, "notice": notice,
                                       "languages": [{"code": c, "label": i18n.language_label(c)}
                                                     for c in patron_store.LANGUAGES]}, status=status)


@bp.route("/my/export.json")
def export():
    """Everything stored about the signed-in patron, as a file to keep."""
    card = current_card()
    if card is None:
        return _unauthorized(g.get("patron_refusal", ""))
    with services.sql().connect() as conn:
        data = patron_store.export(conn, card)
    return Response(json.dumps(data, ensure_ascii=False, indent=2, default=str), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="grenselos-{card}.json"'})


@bp.route("/my/close", methods=["POST"])
def close():
    """Close the account (GDPR art. 17): refused while loans are out; the session ends with it."""
    card = current_card()
    if card is None:
        return _sign_in_page(status=401)
    if request.form.get("confirm") != "yes":
        return redirect(url_for("patron.settings"), code=303)
    with services.sql().begin() as conn:
        problem = patron_store.close_account(conn, card)
    if problem:
        return redirect(url_for("patron.my", notice=_("Return your loans first; then the account can be closed.")),
                        code=303)
    session.pop(SESSION_KEY, None)
    session.pop(security.FIELD, None)
    return jsonify({"ok": True}) if wants_json() else _sign_in_page(notice=_("Your account is closed."))
