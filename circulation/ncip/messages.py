"""NCIP 2.02 messages of the Norwegian profile (NNCIPP 1.0): reading what a peer sends, writing what we send.

Why a reader that keeps only a few facts: NNCIPP uses a small part of NCIP (agencies, a request id, an item
id, a patron id, a bibliographic id, dates), and peers differ in what else they add (Koha's NNCIPP backend
puts notes in `Ext/NoticeContent`, which the schema's strict `Ext` does not know). So a message is read
leniently into `Message`, and what we write is always the schema's own shape (checked by `schema`).

Agencies are ISILs (`NO-2030000`). Parsing never resolves entities or fetches anything (XXE).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from lxml import etree

NS = "http://www.niso.org/2008/ncip"
VERSION = "http://www.niso.org/schemas/ncip/v2_02/ncip_v2_02.xsd"
PROFILE = "NNCIPP 1.0"
#: The services the responder answers (NNCIPP 1.0's inter-library loan part).
SERVICES = ("LookupAgency", "LookupItem", "RequestItem", "ItemShipped", "ItemReceived", "RenewItem",
            "CancelRequestItem")
#: NNCIPP request types; a loan of a physical item is the only one Grenseløs lends.
REQUEST_TYPES = ("Physical", "PhysicalNoReservation", "LII", "LIINoReservation", "Non-Returnable", "Depot")
LOAN_TYPES = ("Physical", "PhysicalNoReservation", "LII", "LIINoReservation")

GENERAL = "http://www.niso.org/ncip/v1_0/schemes/processingerrortype/generalprocessingerror.scm"
MESSAGING = "http://www.niso.org/ncip/v1_0/schemes/messagingerrortype/messagingerror.scm"
SERVICE_ERRORS = "http://www.niso.org/ncip/v1_0/schemes/processingerrortype/requestitemprocessingerror.scm"
CIRCULATION_STATUS = "http://www.niso.org/ncip/v1_0/imp1/schemes/circulationstatus/circulationstatus.scm"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True, huge_tree=False,
                          load_dtd=False)


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


@dataclass(frozen=True)
class Problem:
    """An NCIP Problem: its type (from NCIP's error schemes), a detail for people, and the element at fault."""
    type: str
    detail: str = ""
    element: str = ""
    value: str = ""
    scheme: str = GENERAL


class MessageError(Exception):
    """A message we cannot act on; carries the Problem to answer with."""

    def __init__(self, problem: Problem):
        super().__init__(problem.detail or problem.type)
        self.problem = problem


@dataclass(frozen=True)
class Message:
    """The facts of an NNCIPP message, whichever service it is."""
    service: str
    from_agency: str = ""
    to_agency: str = ""
    agency: str = ""                  # LookupAgency's AgencyId
    request_agency: str = ""          # RequestId/AgencyId: who made the request
    request_id: str = ""              # RequestId/RequestIdentifierValue
    item_id: str = ""                 # ItemId/ItemIdentifierValue (a barcode)
    user_id: str = ""                 # UserId/UserIdentifierValue
    bibliographic_ids: tuple[tuple[str, str], ...] = ()   # (type, value): ISBN, OwnerLocalRecordID, …
    request_type: str = ""
    title: str = ""
    author: str = ""
    date: str = ""                    # DateShipped / DateReceived
    date_due: str = ""                # ItemOptionalFields/DateDue or RenewItem's DesiredDateDue
    note: str = ""                    # Ext/NoticeContent (NNCIPP's free-text note)
    problems: tuple[Problem, ...] = ()   # in a response: the Problems it carries


def _text(node, path: str) -> str:
    found = node.find(path, {"n": NS})
    return (found.text or "").strip() if found is not None else ""


def parse(body: bytes) -> Message:
    """Read a message (initiation or response); MessageError when it is not NCIP at all."""
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise MessageError(Problem("Invalid Message Syntax Error", f"not well-formed XML: {exc}",
                                   scheme=MESSAGING)) from None
    if root.tag != _q("NCIPMessage"):
        raise MessageError(Problem("Invalid Message Syntax Error", "the root element is not ncip:NCIPMessage",
                                   "NCIPMessage", scheme=MESSAGING))
    children = [c for c in root if isinstance(c.tag, str)]
    if len(children) != 1:
        raise MessageError(Problem("Invalid Message Syntax Error", "an NCIPMessage holds exactly one message",
                                   "NCIPMessage", scheme=MESSAGING))
    node = children[0]
    service = etree.QName(node).localname
    header = node.find("n:InitiationHeader", {"n": NS})
    if header is None:
        header = node.find("n:ResponseHeader", {"n": NS})
    bib = []
    for b in node.findall("n:BibliographicId", {"n": NS}):
        item = b.find("n:BibliographicItemId", {"n": NS})
        record = b.find("n:BibliographicRecordId", {"n": NS})
        if item is not None:
            bib.append((_text(item, "n:BibliographicItemIdentifierCode") or "ISBN",
                        _text(item, "n:BibliographicItemIdentifier")))
        elif record is not None:
            bib.append((_text(record, "n:BibliographicRecordIdentifierCode") or _text(record, "n:AgencyId"),
                        _text(record, "n:BibliographicRecordIdentifier")))
        elif b.find("n:ItemIdentifierValue", {"n": NS}) is not None:      # Koha's NNCIPP backend writes ISBNs so
            bib.append((_text(b, "n:ItemIdentifierType") or "ISBN", _text(b, "n:ItemIdentifierValue")))
    found = [node] if service == "Problem" else node.findall("n:Problem", {"n": NS})   # NCIPMessage's own Problem
    problems = tuple(Problem(_text(p, "n:ProblemType"), _text(p, "n:ProblemDetail"), _text(p, "n:ProblemElement"),
                             _text(p, "n:ProblemValue")) for p in found)
    return Message(
        service=service,
        from_agency=_text(header, "n:FromAgencyId/n:AgencyId") if header is not None else "",
        to_agency=_text(header, "n:ToAgencyId/n:AgencyId") if header is not None else "",
        agency=_text(node, "n:AgencyId"),
        request_agency=_text(node, "n:RequestId/n:AgencyId"),
        request_id=_text(node, "n:RequestId/n:RequestIdentifierValue"),
        item_id=_text(node, "n:ItemId/n:ItemIdentifierValue"),
        user_id=_text(node, "n:UserId/n:UserIdentifierValue"),
        bibliographic_ids=tuple(b for b in bib if b[1]),
        request_type=_text(node, "n:RequestType"),
        title=_text(node, ".//n:BibliographicDescription/n:Title"),
        author=_text(node, ".//n:BibliographicDescription/n:Author"),
        date=_text(node, "n:DateShipped") or _text(node, "n:DateReceived"),
        date_due=_text(node, "n:ItemOptionalFields/n:DateDue") or _text(node, "n:DateDue")
        or _text(node, "n:DesiredDateDue"),
        note=_text(node, "n:Ext/n:NoticeContent"),
        problems=problems,
    )


# --- writing ------------------------------------------------------------------------------------------------

def timestamp(at: datetime | date) -> str:
    """An xs:dateTime in UTC (a date is its local noon, so no time zone moves it to another day)."""
    if not isinstance(at, datetime):
        at = datetime.combine(at, time(12), tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def day_of(value: str) -> date | None:
    """The date an xs:dateTime or xs:date names (None when it names none)."""
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date() if "T" in value \
            else date.fromisoformat(value[:10])
    except ValueError:
        return None


def _add(parent, name: str, text: str | None = None, scheme: str | None = None):
    el = etree.SubElement(parent, _q(name))
    if scheme:
        el.set(_q("Scheme"), scheme)
    if text is not None:
        el.text = text
    return el


def _root():
    root = etree.Element(_q("NCIPMessage"), nsmap={"ns1": NS})
    root.set(_q("version"), VERSION)
    return root


def _header(node, kind: str, from_agency: str, to_agency: str) -> None:
    header = _add(node, kind)
    _add(_add(header, "FromAgencyId"), "AgencyId", from_agency)
    _add(_add(header, "ToAgencyId"), "AgencyId", to_agency)


def _request_id(node, agency: str, value: str) -> None:
    rid = _add(node, "RequestId")
    _add(rid, "AgencyId", agency)
    _add(rid, "RequestIdentifierValue", value)


def _item_id(node, barcode: str) -> None:
    iid = _add(node, "ItemId")
    _add(iid, "ItemIdentifierType", "Barcode")
    _add(iid, "ItemIdentifierValue", barcode)


def _user_id(node, user: str) -> None:
    _add(_add(node, "UserId"), "UserIdentifierValue", user)


def _address(node, text: str) -> None:
    shipping = _add(node, "ShippingInformation")
    physical = _add(shipping, "PhysicalAddress")
    unstructured = _add(physical, "UnstructuredAddress")
    _add(unstructured, "UnstructuredAddressType", "Newline-Delimited Text")
    _add(unstructured, "UnstructuredAddressData", text)
    _add(physical, "PhysicalAddressType", "Postal Address")


def serialize(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def initiation(service: str, from_agency: str, to_agency: str):
    """(root, service element) of a new initiation message, header written."""
    root = _root()
    node = _add(root, service)
    _header(node, "InitiationHeader", from_agency, to_agency)
    return root, node


def request_item(from_agency: str, to_agency: str, *, request_id: str, user: str, isbns=(), record: str = "",
                 barcode: str = "", title: str = "", request_type: str = "Physical") -> bytes:
    """RequestItem (NNCIPP call 3): the home library asks the owner for a loan, by the owner's barcode when
    known, else by ISBN or the owner's record id."""
    root, node = initiation("RequestItem", from_agency, to_agency)
    _user_id(node, user)
    for isbn in isbns:
        item = _add(_add(node, "BibliographicId"), "BibliographicItemId")
        _add(item, "BibliographicItemIdentifier", isbn)
        _add(item, "BibliographicItemIdentifierCode", "ISBN")
    if record:
        rec = _add(_add(node, "BibliographicId"), "BibliographicRecordId")
        _add(rec, "BibliographicRecordIdentifier", record)
        _add(rec, "BibliographicRecordIdentifierCode", "OwnerLocalRecordID")
    if barcode or not (isbns or record):
        _item_id(node, barcode)
    _request_id(node, from_agency, request_id)
    _add(node, "RequestType", request_type)
    _add(node, "RequestScopeType", "Title")
    if title:
        _add(_add(_add(node, "ItemOptionalFields"), "BibliographicDescription"), "Title", title)
    return serialize(root)


def item_shipped(from_agency: str, to_agency: str, *, request_agency: str, request_id: str, barcode: str,
                 user: str, shipped: datetime, address: str, due: date | None = None) -> bytes:
    """ItemShipped (NNCIPP calls 4 and 6): the copy is on its way, with the due date the owner set."""
    root, node = initiation("ItemShipped", from_agency, to_agency)
    _request_id(node, request_agency, request_id)
    _item_id(node, barcode)
    _user_id(node, user)
    _add(node, "DateShipped", timestamp(shipped))
    _address(node, address)
    if due is not None:
        _add(_add(node, "ItemOptionalFields"), "DateDue", timestamp(due))
    return serialize(root)


def item_received(from_agency: str, to_agency: str, *, request_agency: str, request_id: str, barcode: str,
                  received: datetime) -> bytes:
    """ItemReceived (NNCIPP calls 5 and 7)."""
    root, node = initiation("ItemReceived", from_agency, to_agency)
    _item_id(node, barcode)
    _request_id(node, request_agency, request_id)
    _add(node, "DateReceived", timestamp(received))
    return serialize(root)


def renew_item(from_agency: str, to_agency: str, *, user: str, barcode: str) -> bytes:
    root, node = initiation("RenewItem", from_agency, to_agency)
    _user_id(node, user)
    _item_id(node, barcode)
    return serialize(root)


def cancel_request_item(from_agency: str, to_agency: str, *, user: str, request_agency: str, request_id: str,
                        request_type: str = "Physical") -> bytes:
    root, node = initiation("CancelRequestItem", from_agency, to_agency)
    _user_id(node, user)
    _request_id(node, request_agency, request_id)
    _add(node, "RequestType", request_type)
    return serialize(root)


def lookup_agency(from_agency: str, to_agency: str) -> bytes:
    root, node = initiation("LookupAgency", from_agency, to_agency)
    _add(node, "AgencyId", to_agency)
    _add(node, "AgencyElementType", "Application Profile Supported Type")
    return serialize(root)


def lookup_item(from_agency: str, to_agency: str, barcode: str) -> bytes:
    root, node = initiation("LookupItem", from_agency, to_agency)
    _item_id(node, barcode)
    _add(node, "ItemElementType", "Bibliographic Description")
    _add(node, "ItemElementType", "Circulation Status")
    return serialize(root)


# --- responses ----------------------------------------------------------------------------------------------

def response(service: str, from_agency: str, to_agency: str):
    """(root, response element) of the answer to `service`, header written when both agencies are known."""
    root = _root()
    node = _add(root, f"{service}Response")
    if from_agency and to_agency:
        _header(node, "ResponseHeader", from_agency, to_agency)
    return root, node


def add_problem(node, problem: Problem) -> None:
    el = _add(node, "Problem")
    _add(el, "ProblemType", problem.type, scheme=problem.scheme)
    if problem.detail:
        _add(el, "ProblemDetail", problem.detail)
    if problem.element:
        _add(el, "ProblemElement", problem.element)
    if problem.value:
        _add(el, "ProblemValue", problem.value)


def problem_response(service: str | None, problem: Problem, from_agency: str = "", to_agency: str = "") -> bytes:
    """A Problem answer: inside `<Service>Response` when we know the service, else NCIPMessage's own Problem
    (the schema's answer to a message we could not read)."""
    if service in SERVICES:
        root, node = response(service, from_agency, to_agency)
        add_problem(node, problem)
    else:
        root = _root()
        add_problem(root, problem)
    return serialize(root)


def add_request_id(node, agency: str, value: str) -> None:
    _request_id(node, agency, value)


def add_item_id(node, barcode: str) -> None:
    _item_id(node, barcode)


def add_user_id(node, user: str) -> None:
    _user_id(node, user)


def add(node, name: str, text: str | None = None, scheme: str | None = None):
    return _add(node, name, text, scheme)
