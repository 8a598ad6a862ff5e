"""One OAI-PMH response page read into records for the store, including pages that are not well-formed.

The page is parsed once with lxml, without recovery (sickle's parser recovers silently, which loses
records without a word). Element names are matched by local name, so providers that leave out the
OAI namespace (some Blacklight servers) are read too. A page that does not parse is split at its
`<header>` elements: each record's header is read with a regular expression and its MARC is salvaged
alone, so one bad byte costs one record, and the resumption token is looked for in the raw text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from harvest.errors import HarvestError, MarcError
from harvest.marcxml import (_PARSER, checksum, find_records, inspect, is_marc_record, local, salvage_records,
                             serialize)
from harvest.store import IncomingRecord


class OAIError(HarvestError):
    """The provider answered with an OAI-PMH <error>; `code` is the protocol's own error code."""

    def __init__(self, code: str, message: str, url: str = ""):
        self.code, self.message, self.url = code, message, url
        super().__init__(f"{url}: OAI-PMH error {code}: {message}" if url else f"OAI-PMH error {code}: {message}")


@dataclass
class Problem:
    """Something to quarantine that is not a stored record: a page, or a record without identifier."""
    cause: str
    identifier: str | None = None
    raw: bytes | None = None


@dataclass
class Page:
    response_date: str | None = None
    token: str | None = None
    complete_list_size: int | None = None
    records: list[IncomingRecord] = field(default_factory=list)
    headers: list[tuple[str, str | None, bool]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    broken: str | None = None          # why the page did not parse, if it did not
    token_found: bool = True           # False when a broken page's token could not be read

    @property
    def quarantined(self) -> int:
        return len(self.problems) + sum(1 for r in self.records if r.error)


def parse_page(content: bytes, verb: str, url: str = "") -> Page:
    """Read one response. Raises OAIError for a protocol error (noRecordsMatch gives an empty page)."""
    try:
        root = etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError as exc:
        return _salvage_page(content, verb, f"page is not well-formed XML: {exc}")
    if local(root.tag) != "OAI-PMH":
        raise HarvestError(f"{url}: response is not an OAI-PMH document (root element <{local(root.tag)}>)")
    page = Page()
    body = None
    for child in root:
        name = local(child.tag)
        if name == "responseDate":
            page.response_date = (child.text or "").strip() or None
        elif name == "error":
            code = child.get("code") or "unknown"
            if code == "noRecordsMatch":
                return page
            raise OAIError(code, " ".join((child.text or "").split()), url)
        elif name == verb:
            body = child
    if body is None:
        raise HarvestError(f"{url}: OAI-PMH response has no <{verb}> element")
    for child in body:
        name = local(child.tag)
        if name == "record":
            _read_record(page, child)
        elif name == "header":
            page.headers.append(_header(child)[:3])
        elif name == "resumptionToken":
            page.token = (child.text or "").strip() or None
            size = child.get("completeListSize")
            page.complete_list_size = int(size) if size and size.isdigit() else None
    return page


def _header(element) -> tuple[str, str | None, bool, list[str]]:
    identifier = datestamp = None
    sets = []
    for child in element:
        name = local(child.tag)
        if name == "identifier":
            identifier = (child.text or "").strip()
        elif name == "datestamp":
            datestamp = (child.text or "").strip() or None
        elif name == "setSpec":
            sets.append((child.text or "").strip())
    return identifier or "", datestamp, element.get("status") == "deleted", sets


def _read_record(page: Page, element) -> None:
    header = metadata = None
    for child in element:
        name = local(child.tag)
        if name == "header":
            header = child
        elif name == "metadata":
            metadata = child
    if header is None:
        page.problems.append(Problem("OAI record without a <header>", raw=etree.tostring(element)))
        return
    identifier, datestamp, deleted, _sets = _header(header)
    if not identifier:
        page.problems.append(Problem("OAI record header without an identifier", raw=etree.tostring(element)))
        return
    if deleted:
        page.records.append(IncomingRecord(identifier, datestamp, deleted=True))
        return
    if metadata is None:
        page.records.append(IncomingRecord(identifier, datestamp, error="OAI record has no <metadata>",
                                           marcxml=etree.tostring(element, encoding="unicode")))
        return
    marc = _marc_elements(metadata)
    if not marc:
        kids = [c for c in metadata if isinstance(c.tag, str)]
        found = f"<{local(kids[0].tag)}>" if kids else "nothing"
        page.records.append(IncomingRecord(
            identifier, datestamp, error=f"metadata is not MARC (found {found})",
            marcxml=etree.tostring(kids[0], encoding="unicode") if kids else None))
        return
    page.records.extend(records_from_marc(identifier, datestamp, marc))


def _marc_elements(metadata) -> list:
    kids = [c for c in metadata if isinstance(c.tag, str)]
    if len(kids) == 1 and is_marc_record(kids[0]):
        return kids
    return find_records(metadata)


def clean_serialize(element) -> str:
    """The record alone, without the envelope's namespace declarations, so its checksum is the record's own.

    Detaching the element from the page makes lxml declare on it exactly the namespaces it uses (a
    copy would carry every declaration in scope); the page tree is not used again after this.
    """
    parent = element.getparent()
    if parent is not None:
        parent.remove(element)
    element.tail = None
    return serialize(element)


def records_from_marc(identifier: str, datestamp: str | None, elements: list) -> list[IncomingRecord]:
    """The store rows for the MARC records of one OAI record (a bib, and holdings records linked by 004).

    The first bibliographic record carries the OAI identifier; holdings records get
    `<identifier>#holdings:<001>`, so a re-harvest updates exactly the same rows.
    """
    out, infos = [], []
    for element in elements:
        try:
            info = inspect(element)
        except MarcError as exc:
            info = exc
        infos.append(info)
    bib_number = next((i.control_number for i in infos if not isinstance(i, MarcError) and i.record_type != "holdings"),
                      None)
    main_taken = False
    for n, (element, info) in enumerate(zip(elements, infos), start=1):
        text = clean_serialize(element)
        holdings = (element.get("type") == "Holdings" or
                    (not isinstance(info, MarcError) and info.record_type == "holdings"))
        if holdings:
            number = None if isinstance(info, MarcError) else info.control_number
            rid = f"{identifier}#holdings:{number or n}"
        elif not main_taken:
            rid, main_taken = identifier, True
        else:
            rid = f"{identifier}#record:{n}"
        if isinstance(info, MarcError):
            out.append(IncomingRecord(rid, datestamp, marcxml=text, checksum=checksum(text), error=info.cause,
                                      record_type="holdings" if holdings else "bib"))
            continue
        out.append(IncomingRecord(
            rid, datestamp, deleted=info.deleted, marcxml=text, checksum=checksum(text),
            record_type="holdings" if holdings else info.record_type, control_number=info.control_number,
            parent=(info.parent or bib_number) if holdings else info.parent))
    return out


# -- pages that are not well-formed ------------------------------------------------------------

_HEADER = re.compile(rb"<(?:[\w.-]+:)?header(?:\s[^>]*)?>.*?</(?:[\w.-]+:)?header\s*>", re.S)
_IDENTIFIER = re.compile(rb"<(?:[\w.-]+:)?identifier[^>]*>\s*(.*?)\s*</", re.S)
_DATESTAMP = re.compile(rb"<(?:[\w.-]+:)?datestamp[^>]*>\s*(.*?)\s*</", re.S)
_DELETED = re.compile(rb"""status\s*=\s*["']deleted["']""")
_TOKEN = re.compile(rb"<(?:[\w.-]+:)?resumptionToken(?:\s[^>]*)?(?:/>|>(.*?)</(?:[\w.-]+:)?resumptionToken\s*>)",
                    re.S)
_RESPONSE_DATE = re.compile(rb"<(?:[\w.-]+:)?responseDate[^>]*>\s*(.*?)\s*</", re.S)
_ROOT_START = re.compile(rb"<(?:[\w.-]+:)?OAI-PMH[\s>][^>]*>", re.S)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _salvage_page(content: bytes, verb: str, cause: str) -> Page:
    page = Page(broken=cause)
    match = _RESPONSE_DATE.search(content[:4096])
    page.response_date = _text(match.group(1)) if match else None
    tokens = list(_TOKEN.finditer(content))
    if tokens:
        value = tokens[-1].group(1)
        page.token = _unescape(_text(value).strip()) if value else None
        page.token = page.token or None
    else:
        # No token: the last page only if the list visibly ends here; else its tail (and token) is lost.
        end_of_list = re.compile(rb"</(?:[\w.-]+:)?" + verb.encode() + rb"\s*>")
        page.token_found = end_of_list.search(content) is not None
    root = _ROOT_START.search(content[:8192])
    prefix = root.group(0) if root else b""          # carries the envelope's namespace declarations
    headers = list(_HEADER.finditer(content))
    if not headers:
        return page
    for n, match in enumerate(headers):
        end = headers[n + 1].start() if n + 1 < len(headers) else (tokens[-1].start() if tokens else len(content))
        head = match.group(0)
        ident = _IDENTIFIER.search(head)
        identifier = _unescape(_text(ident.group(1))) if ident else ""
        stamp = _DATESTAMP.search(head)
        datestamp = _text(stamp.group(1)) if stamp else None
        segment = content[match.end():end]
        if not identifier:
            page.problems.append(Problem("record header without a readable identifier on a broken page",
                                         raw=head + segment))
            continue
        deleted = bool(_DELETED.search(head[:head.find(b">") + 1]))
        if verb == "ListIdentifiers":
            page.headers.append((identifier, datestamp, deleted))
            continue
        if deleted:
            page.records.append(IncomingRecord(identifier, datestamp, deleted=True))
            continue
        good, bad = [], []
        for element, piece, error in salvage_records(prefix + segment):
            (bad if error else good).append((element, piece, error))
        if bad:
            element, piece, error = bad[0]
            text = _text(piece)
            page.records.append(IncomingRecord(identifier, datestamp, marcxml=text, checksum=checksum(text),
                                               error=error.cause))
            continue
        if not good:
            page.records.append(IncomingRecord(identifier, datestamp, marcxml=_text(segment),
                                               error="no readable MARC record in the metadata (page broken)"))
            continue
        page.records.extend(records_from_marc(identifier, datestamp, [g[0] for g in good]))
    return page


def _unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")
            .replace("&amp;", "&"))
