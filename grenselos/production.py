"""What `gunicorn -c deploy/gunicorn.conf.py` runs: the app factory and a worker that slow clients cannot stall.

Why a worker of our own. gunicorn's `sync` worker serves one connection at a time and reads the request
head with a blocking socket, so a client that sends one header line every second holds the whole worker
process until the arbiter kills it for missing its heartbeat (`timeout`): two such clients stopped
`gunicorn -w 2` (issue 12). gunicorn's `gthread` worker keeps idle and kept-alive connections in a
poller, but as soon as a connection's first byte arrives it hands the connection to a thread, and that
thread then blocks while it parses the rest of the head (and while the application reads the body).
So with T threads per worker a handful of slow clients -- T, if they all land on one worker -- stop
every ordinary request that worker accepts.

`BufferingThreadWorker` is `gthread` with one change: the main thread, in its poller, reads each
request -- head and body, up to a bounded size and within a deadline -- before a thread is committed
to it, as nginx does in front of an upstream. A slow client then costs a socket and a few kilobytes,
never a thread; it is answered `408` when its deadline passes. What a thread receives is always a
complete request, so threads only ever wait on the application. Slow *readers* of a response are
bounded by a send timeout; the buffering reverse proxy of the documented set-up (deploy/nginx/) takes
care of those for good.

Connections the worker cannot read in plain text -- TLS terminated by gunicorn itself, HTTP/2, the
uwsgi protocol -- are left to gthread's own path unchanged.

The app factory `create_app()` is `portal.app.create_app()` (settings from `$GRENSELOS_CONFIG`) with
the client's address taken from `X-Forwarded-For` when, and only when, the connection comes from a
trusted proxy.
"""

from __future__ import annotations

import ipaddress
import os
import selectors
import time
from functools import partial

from gunicorn.workers.gthread import ThreadWorker

#: Environment variable naming the proxies whose X-Forwarded-* headers are believed (comma separated
#: addresses or networks); also gunicorn's `forwarded_allow_ips` in deploy/gunicorn.conf.py.
TRUSTED_PROXIES_ENV = "GRENSELOS_TRUSTED_PROXIES"
DEFAULT_TRUSTED_PROXIES = "127.0.0.1,::1"


# -- the application -------------------------------------------------------------------------------

def trusted_networks(spec: str | None = None) -> list:
    """Parse `spec` (default: $GRENSELOS_TRUSTED_PROXIES, else loopback) into networks."""
    spec = os.environ.get(TRUSTED_PROXIES_ENV, DEFAULT_TRUSTED_PROXIES) if spec is None else spec
    return [ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip()]


class ForwardedFor:
    """WSGI middleware: REMOTE_ADDR becomes the client nginx saw, if the peer is a trusted proxy.

    Why not werkzeug's ProxyFix: it believes the header from anyone, and gunicorn may be reachable by
    other local users. nginx (deploy/nginx/) *replaces* X-Forwarded-For with `$remote_addr`, so the
    last entry is the address nginx accepted the connection from. A Unix-socket peer has no address
    and counts as trusted, as in gunicorn's own `forwarded_allow_ips`.
    """

    def __init__(self, app, networks):
        self.app, self.networks = app, list(networks)

    def _trusted(self, addr: str) -> bool:
        if not addr:
            return True
        try:
            ip = ipaddress.ip_address(addr.split("%", 1)[0])
        except ValueError:
            return False
        return any(ip in net for net in self.networks)

    def __call__(self, environ, start_response):
        forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
        peer = environ.get("REMOTE_ADDR", "")
        if forwarded and self._trusted(peer):
            client = forwarded.rsplit(",", 1)[-1].strip()
            try:
                ipaddress.ip_address(client)
            except ValueError:
                client = ""
            if client:
                environ["grenselos.proxy_addr"] = peer
                environ["REMOTE_ADDR"] = client
        return self.app(environ, start_response)


def create_app():
    """The portal for a WSGI server: settings from $GRENSELOS_CONFIG, client address from the proxy."""
    from portal.app import create_app as portal_app
    app = portal_app()
    app.wsgi_app = ForwardedFor(app.wsgi_app, trusted_networks())
    return app


# -- the worker ------------------------------------------------------------------------------------

_READY, _WAIT = "ready", "wait"


def _reply(status: str, text: str) -> bytes:
    body = (text + "\n").encode()
    return (f"HTTP/1.1 {status}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


TIMEOUT_408 = _reply("408 Request Timeout", "The request was not received in time.")
TOO_LARGE_413 = _reply("413 Content Too Large", "The request body is too large.")
HEAD_TOO_LARGE_431 = _reply("431 Request Header Fields Too Large", "The request head is too large.")
CONTINUE_100 = b"HTTP/1.1 100 Continue\r\n\r\n"


def chunked_end(body: bytes | bytearray, limit: int) -> int | None:
    """Where a chunked body (RFC 9112 section 7.1) ends in `body`: its length, None if incomplete.

    Raises ValueError for framing that is not chunked coding; the caller then leaves the request to
    gunicorn's parser, which answers it with 400.
    """
    pos = 0
    while True:
        eol = body.find(b"\r\n", pos)
        if eol < 0:
            if len(body) - pos > 1024:
                raise ValueError("chunk size line too long")
            return None
        size_text = bytes(body[pos:eol]).split(b";", 1)[0].strip()
        if not size_text or any(c not in b"0123456789abcdefABCDEF" for c in size_text):
            raise ValueError("bad chunk size")
        size = int(size_text, 16)
        if size > limit:
            raise OverflowError("chunk larger than the body limit")
        pos = eol + 2
        if size == 0:                     # last chunk, then trailer fields, then an empty line
            while True:
                eol = body.find(b"\r\n", pos)
                if eol < 0:
                    return None
                if eol == pos:
                    return eol + 2
                pos = eol + 2
        if len(body) < pos + size + 2:
            return None
        if body[pos + size:pos + size + 2] != b"\r\n":
            raise ValueError("chunk not followed by CRLF")
        pos += size + 2


class _Pending:
    """A request being read by the main thread: bytes so far, where the head ends, the deadline."""

    __slots__ = ("data", "deadline", "head_end", "body_len", "chunked", "registered")

    def __init__(self, data: bytes, deadline: float):
        self.data = bytearray(data)
        self.deadline = deadline
        self.head_end: int | None = None      # index just past the blank line ending the head
        self.body_len = 0                     # Content-Length, when the body has one
        self.chunked = False
        self.registered = False


class BufferingThreadWorker(ThreadWorker):
    """gunicorn's gthread worker, except that no thread is given a request until it has fully arrived.

    The limits are class attributes: a subclass named as `worker_class` may change them.
    """

    #: Seconds a client has to send a whole request head: from the connection's accept, or, on a
    #: kept-alive connection, from the first byte of its next request. As nginx's client_header_timeout.
    head_timeout = 10.0
    #: Seconds, after the head, to send the whole body. 64 KiB in 30 s is 2 KiB/s.
    body_timeout = 30.0
    #: Largest request head read in the poller (request line and fields); larger gets 431.
    max_head = 64 * 1024
    #: Largest body read in the poller: the portal's MAX_CONTENT_LENGTH. Larger gets 413 at once.
    max_body = 64 * 1024
    #: Seconds one send() of a response may block on a client that does not read (then it is closed).
    send_timeout = 30.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pending: dict = {}          # TConn -> _Pending; touched by the main thread only
        protocols = [str(p).lower() for p in (getattr(self.cfg, "http_protocols", None) or ["h1"])]
        self._passthrough = bool(self.cfg.is_ssl) or protocols != ["h1"] \
            or getattr(self.cfg, "protocol", "http") != "http"

    # -- main thread: read whole requests in the poller --------------------------------------------

    def enqueue_req(self, conn):
        """Called (on the main thread) for every new, kept-alive or pipelined request: read it first."""
        if self._passthrough or conn.__dict__.pop("_grenselos_ready", False):
            return super().enqueue_req(conn)
        leftover = b""
        if conn.parser is not None:       # bytes of a pipelined request read ahead by the parser
            leftover = conn.parser.unreader.buf.getvalue()
            conn.parser.unreader.buf.seek(0)
            conn.parser.unreader.buf.truncate()
        self._pending[conn] = _Pending(leftover, time.monotonic() + self.head_timeout)
        conn.sock.setblocking(False)
        self._read_available(conn)

    def _on_readable(self, conn, _sock):
        self._read_available(conn)

    def _read_available(self, conn):
        """Read what the socket has; hand over, wait for more, or close. Never raises: it runs in the
        worker's main loop, where an exception would end the whole process."""
        try:
            self._read_and_decide(conn)
        except Exception:
            self.log.exception("Error while reading a request from %s", conn.client)
            if conn in self._pending:
                self._drop(conn)

    def _read_and_decide(self, conn):
        state = self._pending[conn]
        cap = self.max_head + self.max_body + 16 * 1024     # pipelined surplus beyond that waits
        ended = False
        try:
            while len(state.data) < cap:
                chunk = conn.sock.recv(65536)
                if not chunk:             # the client closed, or only shut its sending side
                    ended = True
                    break
                state.data += chunk
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            self._drop(conn)
            return
        verdict = self._examine(conn, state)
        if ended and verdict is not _READY:
            self._drop(conn)              # gave up before the request was complete: nothing to answer
            return
        if verdict is _WAIT:
            if not state.registered:
                self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))
                state.registered = True
        elif verdict is _READY:
            self._hand_over(conn)
        else:
            self._drop(conn, verdict)

    def _examine(self, conn, state: _Pending):
        """_READY, _WAIT, or the bytes of an error response to send before closing."""
        data = state.data
        if state.head_end is None:
            start = 0
            while data.startswith(b"\r\n", start):  # empty lines before a request line are ignored
                start += 2
            end = data.find(b"\r\n\r\n", start)
            bare = data.find(b"\n\n", start)
            if bare >= 0 and (end < 0 or bare < end):
                return _READY             # not valid HTTP/1.1 framing: gunicorn's parser answers 400
            if end < 0:
                return HEAD_TOO_LARGE_431 if len(data) - start > self.max_head else _WAIT
            if end + 4 - start > self.max_head:
                return HEAD_TOO_LARGE_431
            state.head_end = end + 4
            framing = self._framing(conn, state, start)
            if framing is not None:
                return framing
            if state.body_len or state.chunked:
                state.deadline = time.monotonic() + self.body_timeout
        body = len(data) - state.head_end
        if state.chunked:
            try:
                if chunked_end(memoryview(data)[state.head_end:].tobytes(), self.max_body) is not None:
                    return _READY
            except OverflowError:
                return TOO_LARGE_413
            except ValueError:
                return _READY             # the parser answers 400
            return TOO_LARGE_413 if body > self.max_body + 8 * 1024 else _WAIT
        return _READY if body >= state.body_len else _WAIT

    def _framing(self, conn, state: _Pending, start: int):
        """Read Content-Length / Transfer-Encoding / Expect from the head; None, _READY or an error."""
        head = bytes(state.data[start:state.head_end - 4])
        lines = head.split(b"\r\n")
        lengths, codings, expect_at = [], [], None
        for number, line in enumerate(lines[1:], start=1):
            name, sep, value = line.partition(b":")
            if not sep or name != name.strip():
                return _READY             # malformed field: let the parser reject it
            name = name.lower()
            if name == b"content-length":
                lengths.append(value.strip())
            elif name == b"transfer-encoding":
                codings.append(value.strip().lower())
            elif name == b"expect" and value.strip().lower() == b"100-continue":
                expect_at = number
        if codings:
            if lengths or codings != [b"chunked"]:
                return _READY             # ambiguous or unknown framing: the parser answers 400/501
            state.chunked = True
        elif lengths:
            if len(set(lengths)) != 1 or not lengths[0].isdigit():
                return _READY
            state.body_len = int(lengths[0])
            if state.body_len > self.max_body:
                return TOO_LARGE_413
        if expect_at is not None and (state.chunked or state.body_len) \
                and lines[0].endswith(b" HTTP/1.1") and len(state.data) == state.head_end:
            # The client waits for "100 Continue" before it sends the body: say it here, and drop the
            # field so that gunicorn does not say it a second time.
            try:
                conn.sock.send(CONTINUE_100)
            except OSError:
                pass
            del lines[expect_at]
            new_head = b"\r\n".join(lines) + b"\r\n\r\n"
            state.data[start:state.head_end] = new_head
            state.head_end = start + len(new_head)
        return None

    def _hand_over(self, conn):
        state = self._pending.pop(conn)
        if state.registered:
            self.poller.unregister(conn.sock)
        conn._grenselos_request = bytes(state.data)
        conn._grenselos_ready = True
        self.enqueue_req(conn)

    def _drop(self, conn, reply: bytes | None = None):
        state = self._pending.pop(conn, None)
        if state is not None and state.registered:
            try:
                self.poller.unregister(conn.sock)
            except (KeyError, ValueError, OSError):
                pass
        if reply:
            try:
                conn.sock.send(reply)     # best effort, non-blocking: a client that does not read gets nothing
            except OSError:
                pass
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self):
        """Also close requests past their deadline (gthread calls this once a loop, at most 1 s apart)."""
        super().murder_pending()
        now = time.monotonic()
        for conn, state in [(c, s) for c, s in self._pending.items() if s.deadline <= now]:
            self._drop(conn, TIMEOUT_408 if state.data.strip() else None)

    # -- worker threads: serve a request that is already here -------------------------------------

    def handle(self, conn):
        data = conn.__dict__.pop("_grenselos_request", None)
        if data is not None:
            conn.data_ready = True        # gthread must not wait for the socket: the bytes are here
            conn.sock.setblocking(True)
            conn.init()
            conn.parser.unreader.unread(data)
        return super().handle(conn)

    def handle_request(self, req, conn):
        # A client that stops reading the response may hold this thread for send_timeout per send().
        conn.sock.settimeout(self.send_timeout)
        try:
            return super().handle_request(req, conn)
        except TimeoutError:
            self.log.info("Closing connection from %s: response not read for %s s", conn.client,
                          self.send_timeout)
            raise StopIteration() from None
