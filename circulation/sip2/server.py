"""The SIP2 TCP server: one thread per kiosk connection, optionally TLS.

Kiosks keep one connection open for hours and send one frame at a time, so a thread per connection is the
simple shape that fits (a county has tens of kiosks, not thousands). Frames end in CR; a stray LF after it
is ignored, a frame longer than any SIP2 message is refused with 96 without killing the connection, and an
idle connection is closed after `idle_seconds` so a kiosk that vanished from a mobile link frees its thread.
"""

from __future__ import annotations

import logging
import socket
import socketserver
import ssl
import threading

from circulation.sip2.session import Account, LoginGuard, Session
from circulation.sip2 import codec

log = logging.getLogger(__name__)

#: Longer than any SIP2 frame a kiosk sends (fields are at most 255 bytes, a request has a handful).
MAX_FRAME = 8192


def frames(sock: socket.socket):
    """Each CR-terminated frame from the socket, until it closes; an over-long run of bytes is yielded as
    a frame of its own (and refused), so one bad client line cannot grow memory without bound."""
    buffer = bytearray()
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return
        buffer += chunk
        while True:
            end = buffer.find(b"\r")
            if end < 0:
                if len(buffer) > MAX_FRAME:
                    yield bytes(buffer[:MAX_FRAME]) + b"\x00"
                    del buffer[:]
                break
            frame = bytes(buffer[:end + 1])
            del buffer[:end + 1]
            if buffer[:1] == b"\n":
                del buffer[:1]
            frame = frame.lstrip(b"\n")
            if frame.strip(b"\r"):
                yield frame


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        server = self.server
        sock = self.request
        peer = f"{self.client_address[0]}:{self.client_address[1]}"
        sock.settimeout(server.idle_seconds)
        session = Session(server.service, server.accounts, peer=peer, guard=server.guard)
        try:
            if server.tls is not None:
                sock = server.tls.wrap_socket(sock, server_side=True)
                sock.settimeout(server.idle_seconds)
            for frame in frames(sock):
                sock.sendall(session.handle(frame))
        except (TimeoutError, socket.timeout):
            log.info("sip2 %s: idle, closing", peer)
        except (ConnectionError, ssl.SSLError, OSError) as exc:
            log.info("sip2 %s: connection ended (%s)", peer, exc)


class Sip2Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """`Sip2Server(service, accounts, host, port)`; `serve_forever()` or `start()` for a background thread."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, service, accounts: list[Account] | tuple[Account, ...], host: str = "127.0.0.1",
                 port: int = 6001, tls_cert: str = "", tls_key: str = "", idle_seconds: float = 600):
        self.service = service
        self.accounts = {account.login: account for account in accounts}
        self.idle_seconds = idle_seconds
        self.guard = LoginGuard()
        self.tls = None
        if tls_cert:
            self.tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.tls.load_cert_chain(tls_cert, tls_key or None)
        super().__init__((host, port), _Handler)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.server_address[1]

    def start(self) -> "Sip2Server":
        self._thread = threading.Thread(target=self.serve_forever, name="sip2", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


__all__ = ["Sip2Server", "Account", "Session", "codec", "frames"]
