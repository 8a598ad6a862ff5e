"""OAI-PMH peers for the harvester tests, all on 127.0.0.1.

- `OaipmhPeer`: a real provider built with the `oaipmh` 4.x package (its `Server` with resumption
  tokens), serving MARCXML records that a test can add, change and delete between harvests.
- `ScriptedPeer`: answers each request with what a function of the request parameters returns: a
  recorded real response file, or a fault (a status with `Retry-After`, a hang, a connection dropped
  mid-page, a broken page).
"""

from __future__ import annotations

import copy
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from lxml import etree

SLIM = "http://www.loc.gov/MARC21/slim"


# -- scripted replies -----------------------------------------------------------------------------

@dataclass
class Reply:
    body: bytes = b""
    status: int = 200
    headers: dict = field(default_factory=dict)
    delay: float = 0.0            # seconds before anything is sent (a hang past the timeout)
    drop_after: int | None = None  # send only this many body bytes, then close the connection

    @classmethod
    def file(cls, path: Path, **kw) -> "Reply":
        return cls(Path(path).read_bytes(), **kw)


class _ScriptedHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        params = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query, keep_blank_values=True).items()}
        peer: ScriptedPeer = self.server.peer
        peer.log.append(params)
        reply = peer.script(params)
        if reply.delay:
            time.sleep(reply.delay)
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.drop_after is not None:
                self.send_header("Connection", "close")
            self.end_headers()
            if reply.drop_after is not None:
                self.wfile.write(reply.body[:reply.drop_after])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True   # the client gave up (timeout): nothing to answer any more

    def log_message(self, format, *args):
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


class _Peer:
    """A loopback server in a background thread, stopped on leaving a `with` block."""

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class ScriptedPeer(_Peer):
    """An HTTP server on loopback whose every reply is `script(params) -> Reply`."""

    def __init__(self, script):
        self.script = script
        self.log: list[dict] = []
        self.server = _Server(("127.0.0.1", 0), _ScriptedHandler)
        self.server.peer = self
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/oai"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()


def recorded(folder: Path, routes: dict, default: str | None = None):
    """A script serving recorded files: `routes` maps a resumption token (or a verb) to a file name."""
    def script(params):
        key = params.get("resumptionToken") or params.get("verb")
        name = routes.get(key, default)
        if name is None:
            return Reply(b"not found", status=404)
        return Reply.file(folder / name)
    return script


# -- a real provider from the oaipmh package ------------------------------------------------------

@dataclass
class PeerRecord:
    identifier: str
    datestamp: datetime          # naive UTC, as oaipmh wants it
    marcxml: str | None          # a <record> in the MARC21 slim namespace
    deleted: bool = False
    sets: tuple[str, ...] = ()


class _MarcRepository:
    """The `oaipmh.interfaces.IOAI` side: records in memory, changed by the test between harvests."""

    def __init__(self, records, granularity="YYYY-MM-DDThh:mm:ssZ"):
        self.records = list(records)
        self.granularity = granularity
        self.base_url = ""

    def identify(self):
        from oaipmh import common
        return common.Identify(
            repositoryName="oaipmh test provider", baseURL=self.base_url, protocolVersion="2.0",
            adminEmails=["noreply@127.0.0.1"], earliestDatestamp=datetime(2000, 1, 1),
            deletedRecord="persistent", granularity=self.granularity, compression=["identity"])

    def listMetadataFormats(self, identifier=None):
        return [("marc21", "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd", SLIM)]

    def listSets(self):
        from oaipmh import error
        raise error.NoSetHierarchyError("no sets")

    def _header(self, rec):
        from oaipmh import common
        return common.Header(None, rec.identifier, rec.datestamp, list(rec.sets), rec.deleted)

    def _matching(self, metadataPrefix, set=None, from_=None, until=None):
        from oaipmh import error
        if metadataPrefix != "marc21":
            raise error.CannotDisseminateFormatError(metadataPrefix)
        for rec in self.records:
            if from_ and rec.datestamp < from_ or until and rec.datestamp > until:
                continue
            if set and set not in rec.sets:
                continue
            yield rec

    def listIdentifiers(self, metadataPrefix, set=None, from_=None, until=None):
        return [self._header(r) for r in self._matching(metadataPrefix, set, from_, until)]

    def listRecords(self, metadataPrefix, set=None, from_=None, until=None):
        return [(self._header(r), r.marcxml, None) for r in self._matching(metadataPrefix, set, from_, until)]

    def getRecord(self, metadataPrefix, identifier):
        from oaipmh import error
        for r in self._matching(metadataPrefix):
            if r.identifier == identifier:
                return self._header(r), r.marcxml, None
        raise error.IdDoesNotExistError(identifier)


def _marc_writer(element, marcxml):
    element.append(etree.fromstring(marcxml.encode("utf-8")))


class _OaipmhHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        params = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query, keep_blank_values=True).items()}
        body = self.server.oai.handleRequest(params)
        self.send_response(200)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


class OaipmhPeer(_Peer):
    """A real OAI-PMH provider (the `oaipmh` package's Server) on loopback, `batch` records a page."""

    def __init__(self, records, batch: int = 3, granularity="YYYY-MM-DDThh:mm:ssZ"):
        from oaipmh import metadata, server
        registry = metadata.MetadataRegistry()
        registry.registerWriter("marc21", _marc_writer)
        self.repository = _MarcRepository(records, granularity)
        self.server = _Server(("127.0.0.1", 0), _OaipmhHandler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/oai"
        self.repository.base_url = self.url
        self.server.oai = server.Server(self.repository, registry, resumption_batch_size=batch)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def records(self) -> list[PeerRecord]:
        return self.repository.records


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


# -- settings for a harvest against one peer ------------------------------------------------------

FAST = {"timeout": 2, "max_retries": 3, "backoff": 0.01, "max_backoff": 0.05}


def settings_for(tmp_path, db_url: str, url: str, harvest: dict | None = None, **source):
    """Settings with one source `s` harvesting `url`, with tiny timeouts and backoff."""
    from core.settings import from_dict
    return from_dict({"data_dir": str(tmp_path / "data"), "database_url": db_url,
                      "harvest": {**FAST, **(harvest or {})},
                      "sources": [{"id": "s", "name": "Test library", "oai_url": url, **source}]})


def marc_records(path: Path, limit: int | None = None) -> list[str]:
    """MARC21 slim <record> strings from a MARCXML file or OAI page in the shared data."""
    root = etree.parse(str(path)).getroot()
    out = []
    for element in root.iter(f"{{{SLIM}}}record"):
        element = copy.deepcopy(element)
        etree.cleanup_namespaces(element)
        out.append(etree.tostring(element, encoding="unicode"))
    return out[:limit] if limit else out
