"""Shared fixtures: settings, record stores on SQLite and on a real PostgreSQL, the shared data folder.

A missing peer service skips a test on a developer's machine, with its reason, and fails it in CI
(where `CI` is set): in CI a missing service is a failure, never a skip.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("GRENSELOS_SHARED", ROOT.parent / "shared")) / "data"


def require(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"required peer missing in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    require(SHARED.is_dir(), f"shared test data not found at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    url = os.environ.get("GRENSELOS_TEST_PG_URL", "")
    require(bool(url), "GRENSELOS_TEST_PG_URL is not set (scripts/test.sh starts PostgreSQL)")
    return url


@pytest.fixture
def pg_url(pg_server_url):
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    from sqlalchemy import create_engine, text
    name = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield pg_server_url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """Run a store test twice: on SQLite and on a real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'records.sqlite'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_url):
    from harvest.store import RecordStore
    s = RecordStore(db_url)
    yield s
    s.close()


@pytest.fixture
def write_config(tmp_path):
    """Write a grenselos.toml into tmp_path and return its path."""
    def write(text: str) -> Path:
        path = tmp_path / "grenselos.toml"
        path.write_text(text, encoding="utf-8")
        return path
    return write
