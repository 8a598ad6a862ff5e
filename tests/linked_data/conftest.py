"""A small real catalogue for the linked-data tests, and the portal serving it on a loopback port.

Three sources: Tromsø with the Library of Congress sample records, the national library with the real
BIBSYS OAI-PMH page (marcxchange with separate holdings records), and Kautokeino with the project's
illustrative Sami records (no public MARC record is coded sme; see grenselos/demo/data/README.md).
Everything is imported with the harvest stage's own importer and transformed by the real pipeline.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from core import settings as settings_mod
from harvest.files import import_files
from harvest.store import IncomingRecord, RecordStore

KAUTOKEINO = "kautokeino"


def make_settings(data_dir: Path, db_url: str | None = None, **sections) -> settings_mod.Settings:
    data = {
        "data_dir": str(data_dir),
        "base_uri": "http://data.grenselos.test",
        "sources": [
            {"id": "tromso", "name": "Tromsø bibliotek", "isil": "NO-1990001", "kind": "public",
             "municipality": "Tromsø"},
            {"id": "nb", "name": "Nasjonalbiblioteket", "isil": "NO-0030000", "kind": "national",
             "municipality": "Oslo", "holdings": "marcxchange-holdings"},
            {"id": KAUTOKEINO, "name": "Guovdageainnu girjerájus", "isil": "NO-1990002", "kind": "public",
             "municipality": "Guovdageaidnu – Kautokeino"},
        ],
        **sections,
    }
    if db_url:
        data["database_url"] = db_url
    return settings_mod.from_dict(data)


def sami_records() -> list[IncomingRecord]:
    from grenselos.demo import samples
    library = next(lib for lib in samples.LIBRARIES if lib.id == KAUTOKEINO)
    return [IncomingRecord(identifier=f"oai:kautokeino:{local}", marcxml=xml, control_number=local,
                           datestamp="2024-01-01")
            for local, xml in samples.illustrative_for(library)]


def build(settings, shared_data: Path) -> RecordStore:
    """Import the three sources and run the transform; returns the open record store."""
    from transform.pipeline import run_transform
    store = RecordStore(settings.database_url)
    import_files(store, settings.source("tromso"), [shared_data / "marcxml-lc" / "dataset" / "loc_general.xml"])
    import_files(store, settings.source("nb"), [shared_data / "php-marc" / "oaipmh-bibsys.xml"])
    store.upsert(KAUTOKEINO, sami_records())
    run_transform(settings, store, progress=False)
    return store


class Server:
    """The real portal on 127.0.0.1 (werkzeug's threaded server in a thread)."""

    def __init__(self, settings, **config):
        from portal.app import create_app
        self.app = create_app(settings, {"TESTING": True, "SECRET_KEY": "linked-data-tests", **config})
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def get(self, path: str, headers: dict | None = None, source: str = "127.0.0.1"):
        """(status, headers, body) of a GET sent from `source`, a loopback address: the endpoint's
        per-client share tells clients apart by address, so another address is another client."""
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.server.server_port, timeout=60,
                                          source_address=(source, 0))
        try:
            conn.request("GET", path, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, dict(resp.headers), resp.read()
        finally:
            conn.close()

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(10)


@pytest.fixture(scope="package")
def catalogue(tmp_path_factory, shared_data):
    """(settings, record store) of the built catalogue on SQLite, shared by the read-only tests."""
    settings = make_settings(tmp_path_factory.mktemp("ld"), sparql={"timeout": 2.0, "max_rows": 500},
                             oai={"page_size": 25})
    store = build(settings, shared_data)
    yield settings, store
    store.close()


@pytest.fixture(scope="package")
def server(catalogue):
    settings, _store = catalogue
    with Server(settings) as srv:
        yield srv
