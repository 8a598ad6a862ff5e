"""Running the portal: a threaded WSGI server for `grenselos serve`, the demo and the browser tests.

`PortalServer` runs in a background thread on a loopback port so tests and the demo can start it, learn
its URL, and stop it cleanly; `serve` blocks in the foreground for the CLI.

Werkzeug announces itself as `Server: Werkzeug/3.x Python/3.x`, telling a prober which versions'
advisories to try; `QuietRequestHandler` answers with the product name only.
"""

from __future__ import annotations

import threading

from werkzeug.serving import WSGIRequestHandler, make_server

SERVER_HEADER = "Grenselos"


class QuietRequestHandler(WSGIRequestHandler):
    def version_string(self) -> str:
        return SERVER_HEADER


class PortalServer:
    def __init__(self, app, host: str = "127.0.0.1", port: int = 0):
        self.server = make_server(host, port, app, threaded=True, request_handler=QuietRequestHandler)
        self.server.daemon_threads = True
        self.host, self.port = host, self.server.server_port
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "PortalServer":
        self._thread = threading.Thread(target=self.server.serve_forever, name="portal", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def serve(settings, host: str = "127.0.0.1", port: int = 5000) -> None:
    from portal.app import create_app
    import click
    server = PortalServer(create_app(settings), host, port)
    click.echo(f"Grenseløs portal on {server.url}/  (Ctrl-C stops it)")
    try:
        server.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server.server_close()
