"""Portal fixtures: an app over the illustrative sample indexed into a real tantivy index in its
data_dir (as `grenselos index` leaves it), with a real SQLite record store for counts."""

from __future__ import annotations

import shutil

import pytest

from tests.portal import sample


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory):
    """The sample indexed once per session; each test's data_dir gets a copy of it."""
    from core.settings import from_dict
    data = tmp_path_factory.mktemp("sample-index")
    sample.build_index(from_dict({"data_dir": str(data), "sources": sample.SOURCES}))
    return data / "index"


@pytest.fixture
def settings(tmp_path, sample_index):
    from core.settings import from_dict
    shutil.copytree(sample_index, tmp_path / "data" / "index")
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
    return create_app(settings, {"TESTING": True, "SECRET_KEY": "test-only-key-" + "x" * 32})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def demo_settings(tmp_path_factory):
    """The demo's libraries harvested over loopback OAI-PMH, transformed and indexed: the real pipeline."""
    from grenselos.demo import build
    settings, store = build(tmp_path_factory.mktemp("demo"), "http://127.0.0.1:5000", say=lambda *_: None)
    store.close()
    return settings


@pytest.fixture(scope="session")
def demo_app(demo_settings):
    """The demo's portal, with a librarian of Kautokeino (`tests.staff_signin.USER`)."""
    from portal.app import create_app
    from tests import staff_signin
    app = create_app(demo_settings, {"TESTING": True, "SECRET_KEY": "demo-test-key-" + "d" * 32})
    staff_signin.add(demo_settings.database_url)
    return app


@pytest.fixture
def demo_client(demo_app):
    return demo_app.test_client()
