"""A small OAI-PMH 2.0 provider on 127.0.0.1, serving a list of MARCXML records.

Used by the demo (sample libraries served on loopback, harvested like real ones), by the harvest
benchmark and by tests. Each record's `<record>` block is serialised once per metadata prefix, so a
page is a join of ready bytes and the provider is never the bottleneck of what it measures. The
record list may be replaced while serving (`set_records`), which is how a test adds, changes and
deletes records between harvests.

    with serve([LoopbackRecord("oai:x:1", "2026-01-05T10:00:00Z", marcxml)]) as provider:
        harvest from provider.url
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit
from xml.sax.saxutils import escape

from lxml import etree

SLIM = "http://www.loc.gov/MARC21/slim"
MARCXCHANGE = "info:lc/xmlns/marcxchange-v1"
PREFIXES = {
    "marc21": (SLIM, "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd"),
    "marcxchange": (MARCXCHANGE, "http://www.loc.gov/standards/iso25577/marcxchange-1-1.xsd"),
}
DAY, SECONDS = "YYYY-MM-DD", "YYYY-MM-DDThh:mm:ssZ"


@dataclass(frozen=True)
class LoopbackRecord:
    identifier: str
    datestamp: str                 # YYYY-MM-DDThh:mm:ssZ (or YYYY-MM-DD)
    marcxml: str | None = None     # one <record> in the MARC21 slim namespace; None for a delete
    deleted: bool = False
    sets: tuple[str, ...] = ()


def records_from_marcxml(path_or_bytes, identifier_prefix: str, datestamp: str) -> list[LoopbackRecord]:
    """LoopbackRecords from a MARCXML file, identified as `<prefix><001>` (the record's position if no 001)."""
    data = Path(path_or_bytes).read_bytes() if not isinstance(path_or_bytes, bytes) else path_or_bytes
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    out = []
    for n, element in enumerate(root.iter(f"{{{SLIM}}}record"), start=1):
        number = element.findtext(f"{{{SLIM}}}controlfield[@tag='001']")
        out.append(LoopbackRecord(f"{identifier_prefix}{(number or str(n)).strip()}", datestamp,
                                  etree.tostring(element, encoding="unicode")))
    return out


def _bound(value: str, end: bool) -> str:
    if len(value) == 10:
        return value + ("T23:59:59Z" if end else "T00:00:00Z")
    return value


def _valid_stamp(value: str, granularity: str) -> bool:
    for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            datetime.strptime(value, fmt)
        except ValueError:
            continue
        return fmt == "%Y-%m-%d" or granularity == SECONDS
    return False


class Provider:
    """The records and the protocol; `serve()` puts it behind an HTTP server."""

    def __init__(self, records, page_size: int = 200, granularity: str = SECONDS, delay: float = 0.0,
                 repository_name: str = "Grenseløs loopback provider", clock=None, hook=None):
        self.page_size, self.granularity, self.delay = page_size, granularity, delay
        self.repository_name, self.clock, self.hook = repository_name, clock, hook
        self.url = ""
        self.requests = 0
        self._lock = threading.Lock()
        self.set_records(records)

    # -- records -----------------------------------------------------------------------------

    def set_records(self, records) -> None:
        """Replace what is served (in order); resumption tokens handed out before stay usable."""
        records = list(records)
        with self._lock:
            self._records = records
            self._blocks: dict[str, list[bytes]] = {}
            self._headers: list[bytes] = [self._header(r) for r in records]
            self._filtered: dict[tuple, list[int]] = {}
            self._stamps = [_bound(self._stamp(r.datestamp), False) for r in records]

    def warm(self, prefix: str = "marc21") -> None:
        """Serialise every record for `prefix` now rather than on the first request."""
        with self._lock:
            self._blocks_for(prefix)

    @property
    def records(self) -> list[LoopbackRecord]:
        return list(self._records)

    def _stamp(self, value: str) -> str:
        return value[:10] if self.granularity == DAY else value

    def _header(self, r: LoopbackRecord) -> bytes:
        status = ' status="deleted"' if r.deleted else ""
        sets = "".join(f"<setSpec>{escape(s)}</setSpec>" for s in r.sets)
        return (f'<header{status}><identifier>{escape(r.identifier)}</identifier>'
                f'<datestamp>{self._stamp(r.datestamp)}</datestamp>{sets}</header>').encode("utf-8")

    def _blocks_for(self, prefix: str) -> list[bytes]:
        blocks = self._blocks.get(prefix)
        if blocks is None:
            namespace = PREFIXES[prefix][0]
            blocks = []
            for r, header in zip(self._records, self._headers):
                if r.deleted or r.marcxml is None:
                    blocks.append(b"<record>" + header + b"</record>")
                    continue
                xml = r.marcxml if namespace == SLIM else r.marcxml.replace(SLIM, namespace)
                blocks.append(b"<record>" + header + b"<metadata>" + xml.encode("utf-8") + b"</metadata></record>")
            self._blocks[prefix] = blocks
        return blocks

    def _matching(self, set_spec: str, from_: str, until: str) -> list[int]:
        key = (set_spec, from_, until)
        found = self._filtered.get(key)
        if found is None:
            low = _bound(from_, False) if from_ else ""
            high = _bound(until, True) if until else "\uffff"
            found = [i for i, (r, stamp) in enumerate(zip(self._records, self._stamps))
                     if low <= stamp <= high and (not set_spec or set_spec in r.sets)]
            self._filtered[key] = found
        return found

    # -- protocol ------------------------------------------------------------------------------

    def respond(self, params: dict[str, str]) -> bytes:
        self.requests += 1
        verb = params.get("verb", "")
        now = (self.clock() if self.clock else datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
        request = "".join(f' {k}="{escape(v, {chr(34): "&quot;"})}"' for k, v in params.items()
                          if k in ("verb", "metadataPrefix", "from", "until", "set", "identifier",
                                   "resumptionToken"))
        head = (f'<?xml version="1.0" encoding="UTF-8"?>\n<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
                f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.openarchives'
                f'.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"><responseDate>{now}</responseDate>'
                f'<request{request if verb else ""}>{escape(self.url)}</request>').encode("utf-8")
        try:
            body = self._verb(verb, params)
        except _OAIError as exc:
            body = f'<error code="{exc.code}">{escape(exc.message)}</error>'.encode("utf-8")
        return head + body + b"</OAI-PMH>"

    def _verb(self, verb: str, params: dict[str, str]) -> bytes:
        if verb == "Identify":
            earliest = min((self._stamp(r.datestamp) for r in self._records), default="2000-01-01")
            return (f"<Identify><repositoryName>{escape(self.repository_name)}</repositoryName>"
                    f"<baseURL>{escape(self.url)}</baseURL><protocolVersion>2.0</protocolVersion>"
                    f"<adminEmail>noreply@127.0.0.1</adminEmail><earliestDatestamp>{earliest}</earliestDatestamp>"
                    f"<deletedRecord>persistent</deletedRecord><granularity>{self.granularity}</granularity>"
                    f"</Identify>").encode("utf-8")
        if verb == "ListMetadataFormats":
            return b"<ListMetadataFormats>" + b"".join(
                f"<metadataFormat><metadataPrefix>{p}</metadataPrefix><schema>{s}</schema>"
                f"<metadataNamespace>{ns}</metadataNamespace></metadataFormat>".encode()
                for p, (ns, s) in PREFIXES.items()) + b"</ListMetadataFormats>"
        if verb == "ListSets":
            names = sorted({s for r in self._records for s in r.sets})
            if not names:
                raise _OAIError("noSetHierarchy", "this repository has no sets")
            return b"<ListSets>" + b"".join(f"<set><setSpec>{escape(s)}</setSpec><setName>{escape(s)}</setName>"
                                            f"</set>".encode("utf-8") for s in names) + b"</ListSets>"
        if verb == "GetRecord":
            prefix = self._prefix(params.get("metadataPrefix"))
            identifier = params.get("identifier")
            with self._lock:
                for i, r in enumerate(self._records):
                    if r.identifier == identifier:
                        return b"<GetRecord>" + self._blocks_for(prefix)[i] + b"</GetRecord>"
            raise _OAIError("idDoesNotExist", f"no record {identifier}")
        if verb in ("ListRecords", "ListIdentifiers"):
            if self.delay:
                time.sleep(self.delay)
            return self._list(verb, params)
        raise _OAIError("badVerb", f"illegal verb {verb!r}")

    def _prefix(self, prefix: str | None) -> str:
        if not prefix:
            raise _OAIError("badArgument", "metadataPrefix is required")
        if prefix not in PREFIXES:
            raise _OAIError("cannotDisseminateFormat", f"metadataPrefix {prefix!r} is not served")
        return prefix

    def _list(self, verb: str, params: dict[str, str]) -> bytes:
        token = params.get("resumptionToken")
        if token:
            if set(params) - {"verb", "resumptionToken"}:
                raise _OAIError("badArgument", "resumptionToken is an exclusive argument")
            try:
                prefix, set_spec, from_, until, offset = (unquote(p) for p in token.split("!"))
                offset = int(offset)
            except ValueError:
                raise _OAIError("badResumptionToken", f"unknown resumption token {token!r}") from None
            if prefix not in PREFIXES or offset < 0:
                raise _OAIError("badResumptionToken", f"unknown resumption token {token!r}")
        else:
            prefix = self._prefix(params.get("metadataPrefix"))
            set_spec, from_, until, offset = params.get("set", ""), params.get("from", ""), params.get("until", ""), 0
            for name, value in (("from", from_), ("until", until)):
                if value and not _valid_stamp(value, self.granularity):
                    raise _OAIError("badArgument", f"{name}={value!r} is not a datestamp of granularity "
                                                   f"{self.granularity}")
        with self._lock:
            matching = self._matching(set_spec, from_, until)
            if not matching and not token:
                raise _OAIError("noRecordsMatch", "no records match")
            if verb == "ListRecords":
                blocks = self._blocks_for(prefix)
                chosen = [blocks[i] for i in matching[offset:offset + self.page_size]]
            else:
                chosen = [self._headers[i] for i in matching[offset:offset + self.page_size]]
            total = len(matching)
        end = offset + self.page_size
        if end < total:
            next_token = "!".join(quote(p, safe="") for p in (prefix, set_spec, from_, until, str(end)))
            tail = f'<resumptionToken completeListSize="{total}" cursor="{offset}">{next_token}</resumptionToken>'
        elif token:
            tail = f'<resumptionToken completeListSize="{total}" cursor="{offset}"/>'
        else:
            tail = ""
        return (f"<{verb}>".encode() + b"".join(chosen) + tail.encode() + f"</{verb}>".encode())


class _OAIError(Exception):
    def __init__(self, code: str, message: str):
        self.code, self.message = code, message
        super().__init__(message)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GrenselosLoopback/1"

    def do_GET(self):
        self._answer(urlsplit(self.path).query)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self._answer(self.rfile.read(length).decode("utf-8", "replace"))

    def _answer(self, query: str):
        provider: Provider = self.server.provider
        params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        if provider.hook and provider.hook(self, params):
            return
        body = provider.respond(params)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True          # the harvester went away (killed, timed out)

    def log_message(self, format, *args):      # quiet: tests and benchmarks read their own output
        pass


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, provider: Provider, port: int = 0):
        super().__init__(("127.0.0.1", port), _Handler)
        self.provider = provider
        self.url = f"http://127.0.0.1:{self.server_address[1]}/oai"
        provider.url = self.url
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)

    def start(self) -> "LoopbackServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def set_records(self, records) -> None:
        self.provider.set_records(records)

    def __enter__(self) -> "LoopbackServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def serve(records, port: int = 0, page_size: int = 200, **options) -> LoopbackServer:
    """Start a provider on 127.0.0.1 (port 0 = any free port); options go to `Provider`."""
    return LoopbackServer(Provider(records, page_size=page_size, **options), port).start()
