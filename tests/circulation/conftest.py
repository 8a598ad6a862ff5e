"""A county with two lending libraries (tromso, alta) and one that does not lend (kautokeino), on SQLite
and on a real PostgreSQL; copies written straight into the transform stage's copies table."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import insert

from accounts.passwords import hash_password
from circulation import patrons as patron_store
from circulation.service import Circulation
from core import settings as core_settings
from core.db import engine_for, migrate
from tests import staff_signin
from transform.copies import copies

CONFIG = {
    "sources": [
        {"id": "tromso", "name": "Tromsø bibliotek", "municipality": "Tromsø", "circulation": True},
        {"id": "alta", "name": "Alta bibliotek", "municipality": "Alta", "circulation": True},
        {"id": "kautokeino", "name": "Guovdageainnu girjerájus", "municipality": "Kautokeino"},
    ],
}



def settings_for(url: str, data_dir, **extra):
    return core_settings.from_dict({**CONFIG, "database_url": url, "data_dir": str(data_dir), **extra})


def add_copies(engine, source: str, count: int, prefix: str = "B", start: int = 1, library: str | None = None):
    now = datetime.now(timezone.utc)
    rows = [{"source": source, "identifier": f"rec{n}", "n": 1, "item_id": f"{prefix}{n:06d}",
             "library": library or source, "library_code": "", "location": "", "call_number": "",
             "status": "available", "due_date": "", "note": "", "status_source": "harvest", "updated_at": now}
            for n in range(start, start + count)]
    with engine.begin() as conn:
        for i in range(0, len(rows), 500):
            conn.execute(insert(copies), rows[i:i + 500])


def add_patron(engine, card: str, pin: str = "1234", library: str = "tromso", category: str = "adult", **kw):
    p = patron_store.PatronInput(card=card, pin=pin, name=kw.pop("name", f"Patron {card}"), library=library,
                                 category=category, **kw)
    assert patron_store.check(p, {"tromso", "alta"}, new=True) == []
    with engine.begin() as conn:
        patron_store.upsert(conn, p, hash_pin=_cheap_hash)


_HASHES: dict[str, str] = {}


def _cheap_hash(pin: str) -> str:
    if pin not in _HASHES:
        _HASHES[pin] = hash_password(pin)
    return _HASHES[pin]


@pytest.fixture
def circ(db_url, tmp_path):
    engine = engine_for(db_url)
    migrate(engine)
    service = Circulation(engine, settings_for(db_url, tmp_path))
    add_copies(engine, "tromso", 20)
    add_copies(engine, "alta", 5, prefix="A")
    add_copies(engine, "kautokeino", 2, prefix="K")
    yield service
    engine.dispose()


@pytest.fixture
def sqlite_county(tmp_path):
    """The county of CONFIG on SQLite in tmp_path/data, migrated: (settings, engine)."""
    settings = core_settings.from_dict({**CONFIG, "data_dir": str(tmp_path / "data")})
    engine = engine_for(settings.database_url)
    migrate(engine)
    yield settings, engine
    engine.dispose()


LIBRARY_STAFF = (("tromso-admin", "tromso", "library-admin"), ("tromso-lib", "tromso", "librarian"),
                 ("alta-admin", "alta", "library-admin"))


def staff_portal(settings, engine, staff=LIBRARY_STAFF):
    """The portal app (testing) with the staff accounts `staff`, (user, library, role) each, all with
    staff_signin.PASSWORD; `app.engine` is `engine`, for the test to look into the database."""
    from portal.app import create_app
    for user, library, role in staff:
        staff_signin.add(settings.database_url, user=user, library=library, role=role)
    app = create_app(settings, {"TESTING": True, "SECRET_KEY": "test-only-key-" + "x" * 32})
    app.engine = engine
    return app
