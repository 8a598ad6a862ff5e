"""Portal fixtures: an app over illustrative documents, with a real SQLite record store for counts."""

from __future__ import annotations

import pytest

from tests.portal import sample


@pytest.fixture
def settings(tmp_path):
    from grenselos.settings import from_dict
    return from_dict({"data_dir": str(tmp_path / "data"), "sources": sample.SOURCES})


@pytest.fixture
def record_store(settings):
    from harvest.store import IncomingRecord, RecordStore
    store = RecordStore(settings.database_url)
    store.upsert("tromso", [IncomingRecord(identifier=f"oai:tromso:{n}", marcxml=f"<record>{n}</record>")
                            for n in range(5)])
    store.upsert("karasjok", [IncomingRecord(identifier="oai:karasjok:1", marcxml="<record/>")])
    yield store
    store.close()


@pytest.fixture
def app(settings, record_store):
    from portal.app import create_app
    from portal.search_service import DocumentSearchService
    return create_app(settings, {"TESTING": True, "SECRET_KEY": "test-only-key-" + "x" * 32,
                                 "SEARCH_SERVICE": DocumentSearchService(sample.documents())})


@pytest.fixture
def client(app):
    return app.test_client()
