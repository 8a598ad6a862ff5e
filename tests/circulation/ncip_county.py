"""A county for NCIP tests: its own SQLite database and a real portal served on 127.0.0.1 (werkzeug's
threaded server in a thread), so peers talk real HTTP. The app is made after the server has its port, so
each county's `[[ncip.peers]]` can name the other's URL."""

from __future__ import annotations

import io
import threading
from datetime import datetime, timezone

from sqlalchemy import insert
from werkzeug.serving import make_server

from circulation.ill import InterLibraryLoans
from circulation.service import Circulation
from core import settings as core_settings
from core.db import engine_for, migrate
from transform.cluster_keys import ClusterKeys
from transform.tables import cluster_keys, transform_records


class LoopbackServer:
    """A WSGI app on a loopback port; the app may be set after the port is known. Every POST it serves is
    kept as (request body, response body) in `exchanges`, for the schema check of both."""

    def __init__(self, app=None):
        self.app = app
        self.exchanges: list[tuple[bytes, bytes]] = []
        self.server = make_server("127.0.0.1", 0, self._serve, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _serve(self, environ, start_response):
        if environ["REQUEST_METHOD"] != "POST":
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        answer = b"".join(self.app(environ, start_response))
        self.exchanges.append((body, answer))
        return [answer]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def add_record(engine, source: str, identifier: str, record_id: str, isbn: str) -> None:
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        conn.execute(insert(transform_records).values(
            source=source, identifier=identifier, record_id=record_id, status="ok", triples=0, updated_at=now,
            keys=ClusterKeys(isbns=(isbn,) if isbn else ()).to_json()))
        if isbn:
            conn.execute(insert(cluster_keys).values(key=f"isbn:{isbn}", source=source, identifier=identifier,
                                                     title_key=""))


class County:
    """One Grenseløs installation: settings, database, the portal on loopback, and its ILL service."""

    def __init__(self, data_dir, sources: list[dict], peers: list[dict], server: LoopbackServer,
                 database_url: str = ""):
        from portal.app import create_app
        self.settings = core_settings.from_dict({
            "data_dir": str(data_dir), "base_uri": "http://grenselos.test", "sources": sources,
            "database_url": database_url, "ncip": {"enabled": True, "peers": peers}})
        self.engine = engine_for(self.settings.database_url)
        migrate(self.engine)
        self.app = create_app(self.settings, {"TESTING": True, "SECRET_KEY": "ncip-test-" + "x" * 32})
        self.server = server
        server.app = self.app
        self.url = server.url
        self.circ = Circulation(self.engine, self.settings)
        self.ill = InterLibraryLoans(self.circ)

    def close(self):
        self.server.close()
        self.engine.dispose()
