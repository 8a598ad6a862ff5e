"""One database for the stores of every stage: SQLite in data_dir by default, PostgreSQL at scale.

Each stage package owns its tables and its Alembic migrations (`<package>/migrations/`, one branch per
package); this module finds them all and upgrades every branch to its head, so a new stage adds a
folder and nothing here changes.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

#: Any fixed number: the PostgreSQL advisory lock that serialises migrations ("grenselos" on a phone keypad).
MIGRATION_LOCK_KEY = 47367356

#: Packages that may own tables, in dependency order.
STAGE_PACKAGES = ("harvest", "transform", "index", "libraries", "accounts", "portal", "circulation", "lists")

_ENV_DIR = Path(__file__).with_name("migrations")


def engine_for(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def version_locations() -> list[str]:
    locations = []
    for name in STAGE_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            continue
        versions = Path(next(iter(spec.submodule_search_locations))) / "migrations" / "versions"
        if versions.is_dir():
            locations.append(str(versions))
    return locations


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_ENV_DIR))
    config.set_main_option("version_locations", " ".join(version_locations()))
    config.set_main_option("path_separator", "space")
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring every stage's tables to their newest version; safe to call on every start, also from several
    processes at once (gunicorn's workers on a fresh installation): one migrates, the others wait for it."""
    with _migration_lock(engine):
        command.upgrade(alembic_config(engine), "heads")


@contextmanager
def _migration_lock(engine: Engine):
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    fd = os.open(database + ".migrate-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def chunks(items: Iterable, size: int) -> Iterator[list]:
    """Lists of at most `size` items, taken lazily: IN (...) lists kept short on SQLite and PostgreSQL
    alike, and batches of a stream that is never held whole."""
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
