"""The NCIP responder: answers a peer library's NNCIPP message with the schema's response, never an error
page.

Why every outcome is an NCIP message: a peer's ILS reads our answer as NCIP; an HTML 500 or a bare HTTP
error leaves its request hanging in an unknown state. So a message we cannot read, a peer we do not know,
a wrong secret, a request in the wrong state and even an internal failure all come back as a `Problem`
(NCIP's processing- and messaging-error schemes), with the element at fault named.

Who may speak: the message's FromAgencyId must be a `[[ncip.peers]]` entry, and the HTTP request must carry
that peer's shared secret (`Authorization: Bearer …`) and/or come from one of its addresses, as configured.
A peer changes only the requests it is party to. ToAgencyId (LookupAgency's AgencyId) must be the ISIL of
one of our circulating libraries.
"""

from __future__ import annotations

import hmac
import logging
from datetime import datetime, timezone

from circulation.ill import InterLibraryLoans
from circulation.ncip import messages
from circulation.ncip.messages import GENERAL, MESSAGING, SERVICE_ERRORS, Message, Problem
from sqlalchemy import select

from transform.copies import copies
from vocab import statuses

log = logging.getLogger(__name__)



def _now() -> datetime:
    return datetime.now(timezone.utc)


def authorised(peer, token: str, client: str) -> bool:
    """Whether an HTTP request speaks for `peer`: its secret (when one is set) and its address (when a list is)."""
    if peer.token and not hmac.compare_digest(token.encode(), peer.token.encode()):
        return False
    if peer.addresses and client not in peer.addresses:
        return False
    return bool(peer.token or peer.addresses)


def answer(ill: InterLibraryLoans, body: bytes, *, token: str = "", client: str = "") -> bytes:
    """The response to one message (always an NCIP message)."""
    try:
        m = messages.parse(body)
    except messages.MessageError as exc:
        return messages.problem_response(None, exc.problem)
    if m.service not in messages.SERVICES:
        return messages.problem_response(None, Problem(
            "Unsupported Service", f"{m.service} is not offered here (NNCIPP 1.0 inter-library loan)", m.service,
            scheme=MESSAGING))
    ours, theirs = m.to_agency or m.agency, m.from_agency

    def problem(kind: str, detail: str = "", element: str = "", value: str = "", scheme: str = GENERAL) -> bytes:
        return messages.problem_response(m.service, Problem(kind, detail, element, value, scheme), ours, theirs)

    if not theirs:
        return problem("Needed Data Missing", "the message names no FromAgencyId", "FromAgencyId")
    peer = ill.peer(theirs)
    if peer is None:
        return problem("Unknown Agency", "not a configured peer library", "FromAgencyId", theirs)
    if not authorised(peer, token, client):
        return problem("Agency Authentication Failed", "wrong shared secret or address", "FromAgencyId", theirs)
    library = ill.library_of_agency(m.agency if m.service == "LookupAgency" and m.agency else ours)
    if library is None:
        element = "AgencyId" if m.service == "LookupAgency" else "ToAgencyId"
        return problem("Unknown Agency", "no library here lends under this agency id", element, ours)
    try:
        return HANDLERS[m.service](ill, library, m, problem)
    except Exception:                      # the peer gets an NCIP Problem, we get the traceback
        log.exception("NCIP %s from %s failed", m.service, theirs)
        return problem("Temporary Processing Failure", "the request could not be processed now; try again later")


def _response(m: Message, library):
    return messages.response(m.service, library.isil, m.from_agency)


def lookup_agency(ill, library, m: Message, problem) -> bytes:
    root, node = _response(m, library)
    messages.add(node, "AgencyId", library.isil)
    name = messages.add(node, "OrganizationNameInformation")
    messages.add(name, "OrganizationNameType", "Legal")
    messages.add(name, "OrganizationName", library.name)
    messages.add(node, "ApplicationProfileSupportedType", messages.PROFILE)
    return messages.serialize(root)


def lookup_item(ill, library, m: Message, problem) -> bytes:
    barcode = m.item_id
    if not barcode and m.request_id:
        with ill.engine.connect() as conn:
            r = ill.find(conn, "lending", m.request_agency or m.from_agency, m.request_id)
        barcode = r.barcode if r is not None and r.peer_agency == m.from_agency else ""
    if not barcode:
        return problem("Unknown Item", "no ItemId, and no request of yours with this RequestId", "ItemId")
    with ill.engine.connect() as conn:
        copy = conn.execute(select(copies).where(copies.c.item_id == barcode, copies.c.library == library.id)).first()
        record = ill.circ._record_id(conn, copy.source, copy.identifier) if copy is not None else ""
    if copy is None:
        return problem("Unknown Item", "no copy of this library has this barcode", "ItemIdentifierValue", barcode)
    root, node = _response(m, library)
    messages.add_item_id(node, barcode)
    fields = messages.add(node, "ItemOptionalFields")
    title = ill.circ.titles(record) if record else ""
    if title:
        messages.add(messages.add(fields, "BibliographicDescription"), "Title", title)
    messages.add(fields, "CirculationStatus", statuses.get(copy.status).ncip, scheme=messages.CIRCULATION_STATUS)
    due = messages.day_of(copy.due_date) if copy.due_date else None
    if due is not None:
        messages.add(fields, "DateDue", messages.timestamp(due))
    return messages.serialize(root)


def request_item(ill, library, m: Message, problem) -> bytes:
    if m.request_type and m.request_type not in messages.LOAN_TYPES:
        return problem("Unknown Value From Known Scheme", "only loans of physical items are offered",
                       "RequestType", m.request_type)
    if not (m.item_id or m.bibliographic_ids):
        return problem("Needed Data Missing", "name the item (ItemId) or the title (BibliographicId)", "ItemId")
    with ill.engine.begin() as conn:
        row, kind = ill.accept_request(conn, library, m, _now())
    if row is None:
        return problem(kind, "no copy of this title can be lent now" if kind != "Unknown Item"
                       else "this library has no copy of this title", "ItemId" if m.item_id else "BibliographicId",
                       scheme=SERVICE_ERRORS)
    if row.peer_agency != m.from_agency:
        return problem("Unknown Request", "this request belongs to another library", "RequestId", m.request_id)
    root, node = _response(m, library)
    messages.add_request_id(node, row.request_agency, row.request_value)
    messages.add_item_id(node, row.barcode)
    messages.add_user_id(node, row.user_id or m.from_agency)
    messages.add(node, "RequestType", m.request_type or "Physical")
    messages.add(node, "RequestScopeType", "Title")
    if row.title:
        messages.add(messages.add(messages.add(node, "ItemOptionalFields"), "BibliographicDescription"), "Title",
                     row.title)
    return messages.serialize(root)


def _request(ill, conn, m: Message, roles=("borrowing", "lending")):
    """The request of ours this message is about, if the sender is party to it."""
    for role in roles:
        r = ill.find(conn, role, m.request_agency or m.from_agency, m.request_id, barcode=m.item_id,
                     peer=m.from_agency)
        if r is None and m.request_id and m.item_id:
            r = ill.find(conn, role, "", "", barcode=m.item_id, peer=m.from_agency)
        if r is not None and r.peer_agency == m.from_agency:
            return r
    return None


#: (role, from states, to state) each notice moves; being in the to state already is fine (a repeat).
MOVES = {
    "ItemShipped": (("borrowing", ("requested",), "shipped"), ("lending", ("received",), "shipped_back")),
    "ItemReceived": (("lending", ("shipped",), "received"), ("borrowing", ("shipped_back",), "done")),
}


def _notice(ill, library, m: Message, problem) -> bytes:
    """ItemShipped and ItemReceived: the peer tells us where the copy is."""
    with ill.engine.begin() as conn:
        r = _request(ill, conn, m)
        if r is None:
            return problem("Unknown Request", "no request of yours has this RequestId or ItemId", "RequestId",
                           m.request_id or m.item_id)
        for role, sources, target in MOVES[m.service]:
            if r.role != role:
                continue
            if r.state == target:
                break
            if r.state not in sources:
                return problem("Invalid State For Service", f"the request is {r.state}", "RequestId",
                               r.request_value)
            values = {"state": target}
            if m.service == "ItemShipped" and role == "borrowing":
                values.update(barcode=m.item_id or r.barcode, due_date=messages.day_of(m.date_due) or r.due_date)
            ill._set(conn, r.id, **values)
            break
        else:
            return problem("Invalid State For Service", f"not expected of this request ({r.state})", "RequestId",
                           r.request_value)
    root, _ = _response(m, library)
    return messages.serialize(root)


RENEWAL_PROBLEMS = {"renewal_limit": "Maximum Renewals Exceeded", "hold_waiting": "Item Has Outstanding Requests"}


def renew_item(ill, library, m: Message, problem) -> bytes:
    with ill.engine.connect() as conn:
        r = ill.find(conn, "lending", "", "", barcode=m.item_id, peer=m.from_agency)
    if r is None or r.state != "received":
        return problem("Unknown Item", "no copy lent to your library has this ItemId", "ItemId", m.item_id)
    result = ill.circ.renew(r.peer_agency, r.barcode, channel="desk")
    if not result.ok:
        return problem(RENEWAL_PROBLEMS.get(result.reason, "Renewal Not Allowed"), result.reason, "ItemId",
                       m.item_id, scheme=SERVICE_ERRORS)
    with ill.engine.begin() as conn:
        ill._set(conn, r.id, due_date=result.loan.due_date, renewals=r.renewals + 1)
    root, node = _response(m, library)
    messages.add_item_id(node, r.barcode)
    messages.add_user_id(node, r.user_id or m.from_agency)
    messages.add(node, "DateDue", messages.timestamp(result.loan.due_date))
    return messages.serialize(root)


def cancel_request_item(ill, library, m: Message, problem) -> bytes:
    with ill.engine.begin() as conn:
        r = _request(ill, conn, m)
        if r is None:
            return problem("Unknown Request", "no request of yours has this RequestId", "RequestId", m.request_id)
        if r.state not in ("requested", "cancelled"):
            return problem("Invalid State For Service", f"the request is {r.state}; it can no longer be cancelled",
                           "RequestId", r.request_value)
        ill._set(conn, r.id, state="cancelled", note=(m.note or "cancelled by the peer")[:512])
    root, node = _response(m, library)
    messages.add_request_id(node, r.request_agency, r.request_value)
    messages.add_user_id(node, r.user_id or m.from_agency)
    return messages.serialize(root)


HANDLERS = {"LookupAgency": lookup_agency, "LookupItem": lookup_item, "RequestItem": request_item,
            "ItemShipped": _notice, "ItemReceived": _notice, "RenewItem": renew_item,
            "CancelRequestItem": cancel_request_item}
