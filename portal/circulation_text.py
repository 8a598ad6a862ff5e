"""The reader's-language words for the circulation core's reason codes (`circulation.reasons`) and
destinations: one place, so the desk, My page and the patron API say the same thing."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from portal import i18n
from vocab import statuses


def reason_text(reason: str) -> str:
    return {
        "": _("Done."),
        "not_found": _("No copy has this barcode."),
        "patron_not_found": _("No patron has this card number."),
        "bad_pin": _("Wrong card number or PIN."),
        "throttled": _("Too many wrong PINs. Wait a while and try again."),
        "blocked": _("The card is blocked."),
        "expired": _("The card has expired."),
        "limit": _("The patron has as many loans as allowed."),
        "not_loanable": _("This copy is not for loan."),
        "already_on_loan": _("This copy is on loan to someone else."),
        "not_on_loan": _("This copy was not on loan."),
        "hold_waiting": _("Someone is waiting for this title, so it cannot be renewed."),
        "renewal_limit": _("No renewals left."),
        "not_circulating": _("This library does not lend through Grenseløs."),
        "found": _("It was marked lost and is found again."),
        "already_lost": _("This copy was already marked lost."),
        "not_allowed": _("Only the library that owns or lent it may do this."),
        "invalid": _("Not saved:"),
        "ill_available_in_county": _("A library in the county has this on the shelf: place a hold instead."),
        "ill_no_peer": _("No library outside the county is set up for inter-library loan."),
        "ill_peer_refused": _("The other library cannot lend it."),
        "ill_peer_unreachable": _("The other library's system did not answer. Try again later."),
        "ill_no_isil": _("This library has no ISIL, so it cannot ask other libraries."),
        "ill_unknown_request": _("No such inter-library loan request."),
        "ill_wrong_state": _("That cannot be done with this request now."),
        "ill_record_not_found": _("No record has this id."),
        "ill_no_isbn": _("The record has no ISBN to ask other libraries by."),
        "on_deposit": _("This copy is already in another deposit."),
        "closed": _("This deposit has been returned."),
        "held_for_another": _("This copy is kept for another patron's hold."),
        "duplicate": _("You already have a hold on this."),
        "no_such_title": _("There is nothing to place a hold on here."),
        "bad_pickup": _("Choose a library that lends through Grenseløs for pickup."),
    }.get(reason, reason)


def hold_status_text(code: str) -> str:
    """A hold's status (`circulation.hold_states`) in the reader's language."""
    return {
        "placed": _("In the queue"),
        "in_transit": _("On its way to you"),
        "waiting": _("Ready for pickup"),
        "filled": _("Collected"),
        "cancelled": _("Cancelled"),
        "expired": _("Not collected in time"),
    }.get(code, code)


def status_text(code: str) -> str:
    return statuses.label(code, i18n.current())


def loan_dict(loan, today) -> dict:
    return {"barcode": loan.barcode, "record_id": loan.record_id, "title": loan.title,
            "record_url": url_for("record.record", record_id=loan.record_id) if loan.record_id else None,
            "library": loan.library, "out_at": loan.out_at.isoformat(timespec="seconds"),
            "due_date": loan.due_date.isoformat(), "renewals": loan.renewals, "renewals_left": loan.renewals_left,
            "overdue": loan.overdue(today)}


def claim_dict(claim) -> dict:
    return {"id": claim.id, "barcode": claim.barcode, "library": claim.library, "amount": claim.amount,
            "status": claim.status, "created_at": claim.created_at.isoformat(timespec="seconds"),
            "closed_at": claim.closed_at.isoformat(timespec="seconds") if claim.closed_at else None}


def ill_patron_text(state: str) -> str:
    """An inter-library loan request's state (`circulation.ill_tables.STATES`, borrowing side) as the patron
    sees it on My page: what it means for them, not the desk's next step."""
    return {
        "requested": _("Asked for from another library"),
        "shipped": _("On its way from the lending library"),
        "received": _("Arrived at your library"),
        "lent": _("On loan to you"),
        "returned": _("Returned"),
        "shipped_back": _("Returned"),
        "done": _("Returned"),
        "cancelled": _("Cancelled"),
    }.get(state, state)
