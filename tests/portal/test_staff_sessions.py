"""Staff sessions end on the server: sign-out, token rotation, idle and lifetime limits; sign-in is
throttled per address and per library; every step is in the audit trail. Each attack of the penetration
test is replayed through the real app against SQLite and a real PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select, update

from tests.portal import sample

TOKEN = "karasjok-staff-token-for-tests-0123"
ROTATED = "karasjok-rotated-staff-token-4567"
KEY = "staff-session-tests-" + "0123456789abcdef" * 2
JSON = "/staff/languages.json"


@pytest.fixture
def make_app(tmp_path, db_url):
    """A portal over one database; calling it again with another token is the same portal restarted."""
    from core.settings import from_dict
    from harvest.store import RecordStore
    from portal.app import create_app
    RecordStore(db_url).close()                         # the database as the harvest stage leaves it

    def make(token: str = TOKEN, **staff):
        settings = from_dict({"data_dir": str(tmp_path / "data"), "database_url": db_url,
                              "sources": sample.SOURCES, "staff": staff})
        return create_app(settings, {"TESTING": True, "SECRET_KEY": KEY, "STAFF_TOKENS": {"karasjok": token}})
    yield make


@pytest.fixture
def engine(db_url):
    engine = create_engine(db_url)
    yield engine
    engine.dispose()


def _csrf(client, path="/staff/login"):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def sign_in(client, token: str = TOKEN, library: str = "karasjok"):
    return client.post("/staff/login", data={"library": library, "token": token, "csrf_token": _csrf(client)})


def _sessions(engine):
    from portal.staff.tables import staff_sessions
    with engine.connect() as conn:
        return conn.execute(select(staff_sessions)).all()


def _audit(engine):
    from portal.staff.tables import staff_audit
    with engine.connect() as conn:
        return [(r.event, r.library, r.client, r.detail) for r in
                conn.execute(select(staff_audit).order_by(staff_audit.c.id))]


def test_a_cookie_saved_before_sign_out_opens_nothing_after_it(make_app, engine):
    client = make_app().test_client()
    assert sign_in(client).status_code == 303
    saved = client.get_cookie("session").value
    assert client.get(JSON).status_code == 200
    page = client.get("/staff").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/staff/logout", data={"csrf_token": token}).status_code == 303
    assert client.get(JSON).status_code == 403
    client.set_cookie("session", saved)                    # the attacker's copy of the cookie
    assert client.get(JSON).status_code == 403
    [row] = _sessions(engine)
    assert row.revoked_at is not None and row.revoked_reason == "signed_out"
    assert [e[0] for e in _audit(engine)] == ["sign_in", "sign_out"]


def test_the_cookie_carries_only_a_random_id_whose_hash_alone_is_stored(make_app, engine):
    app = make_app()
    client = app.test_client()
    sign_in(client)
    cookie = app.session_interface.get_signing_serializer(app).loads(client.get_cookie("session").value)
    assert set(cookie) <= {"staff_session", "csrf_token"} and len(cookie["staff_session"]) >= 40
    [row] = _sessions(engine)
    assert cookie["staff_session"] not in (row.id_hash, row.credential_stamp) and TOKEN not in row.credential_stamp
    from portal.staff.sessions import hash_id
    assert row.id_hash == hash_id(cookie["staff_session"]) and row.library == "karasjok"


def test_rotating_the_token_revokes_every_session_made_with_the_old_one(make_app, engine):
    before = make_app()
    first, second = before.test_client(), before.test_client()
    sign_in(first), sign_in(second)
    saved = first.get_cookie("session").value
    after = make_app(token=ROTATED).test_client()           # the portal restarted with the new token
    after.set_cookie("session", saved)
    assert after.get(JSON).status_code == 403
    assert sign_in(after, TOKEN).status_code == 403          # the old token no longer signs in either
    assert sign_in(after, ROTATED).status_code == 303 and after.get(JSON).status_code == 200
    reasons = sorted(r.revoked_reason or "open" for r in _sessions(engine))
    assert reasons == ["credential_changed", "credential_changed", "open"]   # the unused one too
    assert [e for e in _audit(engine) if e[0] == "session_revoked"] == [
        ("session_revoked", "karasjok", "127.0.0.1", "credential_changed")] * 2


def test_idle_sessions_end_after_the_configured_minutes(make_app, engine):
    from portal.staff.tables import staff_sessions
    client = make_app(idle_minutes=5).test_client()
    sign_in(client)
    assert client.get(JSON).status_code == 200
    [row] = _sessions(engine)
    with engine.begin() as conn:
        conn.execute(update(staff_sessions).values(last_seen_at=row.last_seen_at - timedelta(minutes=6)))
    assert client.get(JSON).status_code == 403
    assert _sessions(engine)[0].revoked_reason == "idle"


def test_a_sign_in_ends_the_library_s_sessions_nobody_came_back_to(make_app, engine):
    from portal.staff.tables import staff_sessions
    app = make_app()
    abandoned, today = app.test_client(), app.test_client()
    sign_in(abandoned)
    with engine.begin() as conn:
        conn.execute(update(staff_sessions).values(last_seen_at=_sessions(engine)[0].last_seen_at
                                                   - timedelta(hours=2)))
    sign_in(today)
    assert sorted(r.revoked_reason or "open" for r in _sessions(engine)) == ["idle", "open"]


def test_sessions_end_after_their_lifetime_however_busy(make_app, engine):
    from portal.staff.tables import staff_sessions
    client = make_app().test_client()
    sign_in(client)
    [row] = _sessions(engine)
    with engine.begin() as conn:                            # signed in 13 hours ago, used a minute ago
        conn.execute(update(staff_sessions).values(created_at=row.created_at - timedelta(hours=13),
                                                   last_seen_at=row.last_seen_at - timedelta(minutes=1)))
    assert client.get(JSON).status_code == 403
    assert _sessions(engine)[0].revoked_reason == "lifetime"
    assert _audit(engine)[-1] == ("session_revoked", "karasjok", "127.0.0.1", "lifetime")


def test_guessing_tokens_is_throttled_per_client_address(make_app, engine):
    client = make_app().test_client()
    answers = [sign_in(client, f"guess-{n:04d}-{'x' * 24}").status_code for n in range(40)]
    assert answers[:5] == [403] * 5 and set(answers[5:]) == {429}
    refused = sign_in(client)                              # even the right token waits out the lock-out
    assert refused.status_code == 429 and 14 * 60 <= int(refused.headers["Retry-After"]) <= 15 * 60
    assert "For mange mislykkede innlogginger. Prøv igjen om 15 min." in refused.get_data(as_text=True)
    events = [e[0] for e in _audit(engine)]
    assert events.count("sign_in_failed") == 5 and events.count("sign_in_throttled") == 36
    other = make_app().test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.7"         # another address is not locked out
    assert sign_in(other).status_code == 303


def test_many_addresses_guessing_one_library_are_throttled_together(make_app, engine):
    app = make_app(client_failures=2, library_failures=3)
    for n in range(3):
        guesser = app.test_client()
        guesser.environ_base["REMOTE_ADDR"] = f"198.51.100.{n}"
        assert sign_in(guesser, "wrong-" + "y" * 30).status_code == 403
    staff = app.test_client()
    staff.environ_base["REMOTE_ADDR"] = "192.0.2.50"
    assert sign_in(staff).status_code == 429
    assert _audit(engine)[-1] == ("sign_in_throttled", "karasjok", "192.0.2.50", None)


def test_a_successful_sign_in_starts_the_count_afresh(make_app):
    client = make_app(client_failures=3).test_client()
    for _ in range(2):
        assert sign_in(client, "wrong-" + "z" * 30).status_code == 403
    assert sign_in(client).status_code == 303
    for _ in range(2):
        assert sign_in(client, "wrong-" + "z" * 30).status_code == 403
    assert sign_in(client).status_code == 303


def test_every_attempt_is_audited_with_library_and_address(make_app, engine):
    client = make_app().test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    sign_in(client, "wrong-" + "w" * 30)
    sign_in(client, TOKEN, library="no-such-library")
    sign_in(client)
    assert _audit(engine) == [("sign_in_failed", "karasjok", "203.0.113.9", None),
                              ("sign_in_failed", None, "203.0.113.9", "no staff access for the library named"),
                              ("sign_in", "karasjok", "203.0.113.9", None)]


def test_the_sign_in_form_names_the_libraries_with_staff_access(make_app):
    html = make_app().test_client().get("/staff/login?lang=en").get_data(as_text=True)
    assert '<option value="karasjok">Kárášjoga gielda girjerádju</option>' in html
    assert 'value="tromso"' not in html


def test_the_portal_migration_makes_the_tables_the_code_defines(make_app, engine):
    """`portal/staff/tables.py` and `portal/migrations/` say the same thing (on SQLite and PostgreSQL)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from portal.staff.tables import metadata
    ours = set(metadata.tables)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "include_name": lambda name, kind, _parent: kind != "table" or name in ours})
        assert compare_metadata(context, metadata) == []
