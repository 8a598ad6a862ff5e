"""A real HTTP server on loopback that plays an SMS gateway: it keeps every request (method, headers, body)
and answers 200 with an id, or the status the test asks for."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class SmsGateway:
    def __init__(self, status: int = 200):
        self.requests: list[dict] = []
        self.status = status
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, body: bytes):
                query = parse_qs(urlsplit(self.path).query)
                gateway.requests.append({"method": self.command, "path": self.path,
                                         "headers": dict(self.headers.items()), "body": body, "query": query})
                answer = json.dumps({"id": f"gw-{len(gateway.requests)}"}).encode()
                self.send_response(gateway.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def do_POST(self):
                self._answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def do_GET(self):
                self._answer(b"")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def json_bodies(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests if r["body"]]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
