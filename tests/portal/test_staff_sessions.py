"""Staff sessions end on the server: sign-out, a changed password, a disabled account, idle and lifetime
limits; a sign-in gets a new session id (no fixation); sign-in is throttled per address, per library and
per account; every step is in the audit trail. Each attack is replayed through the real app against
SQLite and a real PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, select, update

from tests import staff_signin
from tests.portal import sample

USER, PASSWORD = "karasjok-librarian", "karasjok-staff-password-0123"
KEY = "staff-session-tests-" + "0123456789abcdef" * 2
JSON = "/staff/languages.json"
#: Cheap argon2 for the many wrong guesses here (the parameters are the hash's own business).
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def make_app(tmp_path, db_url):
    """A portal over one database with one librarian of Karasjok; calling it again is the portal restarted."""
    from core.settings import from_dict
    from harvest.store import RecordStore
    from portal.app import create_app
    RecordStore(db_url).close()                         # the database as the harvest stage leaves it
    staff_signin.add(db_url, USER, "karasjok", "librarian", PASSWORD)

    def make(**staff):
        settings = from_dict({"data_dir": str(tmp_path / "data"), "database_url": db_url,
                              "sources": sample.SOURCES, "staff": staff})
        return create_app(settings, {"TESTING": True, "SECRET_KEY": KEY})
    yield make


@pytest.fixture
def engine(db_url):
    engine = create_engine(db_url)
    yield engine
    engine.dispose()


def _csrf(client, path="/staff/login"):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def sign_in(client, password: str = PASSWORD, user: str = USER, code: str = ""):
    return client.post("/staff/login", data={"username": user, "password": password, "code": code,
                                              "csrf_token": _csrf(client)})


def _accounts(app):
    with app.app_context():
        from portal.staff.access import accounts
        return accounts()


def _sessions(engine):
    from portal.staff.tables import staff_sessions
    with engine.connect() as conn:
        return conn.execute(select(staff_sessions)).all()


def _audit(engine, events=("sign_in", "sign_in_failed", "sign_in_throttled", "sign_out", "session_revoked")):
    from accounts.tables import staff_events as e
    with engine.connect() as conn:
        return [(r.event, r.library, r.client, r.detail) for r in
                conn.execute(select(e).where(e.c.event.in_(events)).order_by(e.c.id))]


def test_a_cookie_saved_before_sign_out_opens_nothing_after_it(make_app, engine):
    client = make_app().test_client()
    assert sign_in(client).status_code == 303
    saved = client.get_cookie("session").value
    assert client.get(JSON).status_code == 200
    token = _csrf(client, "/staff")
    assert client.post("/staff/logout", data={"csrf_token": token}).status_code == 303
    assert client.get(JSON).status_code == 401
    client.set_cookie("session", saved)                    # the attacker's copy of the cookie
    assert client.get(JSON).status_code == 401
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
    assert cookie["staff_session"] not in (row.id_hash, row.credential_stamp)
    from portal.staff.sessions import hash_id
    assert row.id_hash == hash_id(cookie["staff_session"]) and row.library == "karasjok" and row.principal == USER


def test_a_sign_in_gets_a_new_session_id_so_a_planted_one_is_worthless(make_app, engine):
    """Session fixation: an attacker's session id, planted in the victim's browser before sign-in, is not
    the one the sign-in opens, and the CSRF token from before the sign-in does not carry over."""
    app = make_app()
    attacker = app.test_client()
    sign_in(attacker)
    planted = attacker.get_cookie("session").value
    victim = app.test_client()
    victim.set_cookie("session", planted)
    before = app.session_interface.get_signing_serializer(app).loads(planted)
    assert sign_in(victim).status_code == 303
    after = app.session_interface.get_signing_serializer(app).loads(victim.get_cookie("session").value)
    assert after["staff_session"] != before["staff_session"]
    assert "csrf_token" not in after                       # the form's token from before the sign-in is gone
    assert attacker.get(JSON).status_code == 401            # the planted session ended at the victim's sign-in
    assert sorted(r.revoked_reason or "open" for r in _sessions(engine)) == ["open", "signed_out"]


def test_a_new_password_revokes_every_session_opened_before(make_app, engine):
    app = make_app()
    first, second = app.test_client(), app.test_client()
    sign_in(first), sign_in(second)
    _accounts(app).set_password(USER, "a-brand-new-password-42")
    assert first.get(JSON).status_code == 401
    assert sign_in(first).status_code == 403                # the old password no longer signs in either
    assert sign_in(first, "a-brand-new-password-42").status_code == 303 and first.get(JSON).status_code == 200
    reasons = sorted(r.revoked_reason or "open" for r in _sessions(engine))
    assert reasons == ["credential_changed", "credential_changed", "open"]   # the unused one too


def test_disabling_an_account_ends_its_sessions_and_sign_ins(make_app, engine):
    app = make_app()
    client = app.test_client()
    sign_in(client)
    _accounts(app).set_disabled(USER, True)
    assert client.get(JSON).status_code == 401
    assert sign_in(client).status_code == 403
    _accounts(app).set_disabled(USER, False)
    assert sign_in(client).status_code == 303


def test_idle_sessions_end_after_the_configured_minutes(make_app, engine):
    from portal.staff.tables import staff_sessions
    client = make_app(idle_minutes=5).test_client()
    sign_in(client)
    assert client.get(JSON).status_code == 200
    [row] = _sessions(engine)
    with engine.begin() as conn:
        conn.execute(update(staff_sessions).values(last_seen_at=row.last_seen_at - timedelta(minutes=6)))
    assert client.get(JSON).status_code == 401
    assert _sessions(engine)[0].revoked_reason == "idle"


def test_a_sign_in_ends_the_account_s_sessions_nobody_came_back_to(make_app, engine):
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
    assert client.get(JSON).status_code == 401
    assert _sessions(engine)[0].revoked_reason == "lifetime"
    assert _audit(engine)[-1] == ("session_revoked", "karasjok", "127.0.0.1", "lifetime")


def test_guessing_passwords_is_throttled_per_client_address(make_app, engine):
    app = make_app(account_failures=100)
    _accounts(app).hasher = FAST
    client = app.test_client()
    answers = [sign_in(client, f"guess-{n:04d}-{'x' * 24}").status_code for n in range(20)]
    assert answers[:5] == [403] * 5 and set(answers[5:]) == {429}
    refused = sign_in(client)                              # even the right password waits out the lock-out
    assert refused.status_code == 429 and 14 * 60 <= int(refused.headers["Retry-After"]) <= 15 * 60
    assert "For mange mislykkede innlogginger. Prøv igjen om 15 min." in refused.get_data(as_text=True)
    events = [e[0] for e in _audit(engine)]
    assert events.count("sign_in_failed") == 5 and events.count("sign_in_throttled") == 16
    other = app.test_client()
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


def test_an_account_locks_after_failures_from_any_addresses(make_app, engine):
    app = make_app(account_failures=3, client_failures=50, library_failures=50)
    for n in range(3):
        guesser = app.test_client()
        guesser.environ_base["REMOTE_ADDR"] = f"198.51.100.{n}"
        assert sign_in(guesser, "wrong-" + "v" * 30).status_code == 403
    staff = app.test_client()
    staff.environ_base["REMOTE_ADDR"] = "192.0.2.60"
    locked = sign_in(staff)                                  # the right password, refused unchecked
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 14 * 60
    assert _accounts(app).get(USER).locked_until is not None
    assert len(_audit(engine, ("account_locked",))) == 1
    _accounts(app).set_password(USER, PASSWORD)              # an administrator's reset lifts the lock
    assert sign_in(staff).status_code == 303


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
    sign_in(client, PASSWORD, user="nobody-here")
    sign_in(client)
    assert _audit(engine) == [("sign_in_failed", "karasjok", "203.0.113.9", None),
                              ("sign_in_failed", None, "203.0.113.9", "no such user"),
                              ("sign_in", "karasjok", "203.0.113.9", None)]


def test_the_sign_in_form_asks_for_username_password_and_code(make_app):
    html = make_app().test_client().get("/staff/login?lang=en").get_data(as_text=True)
    for field in ('name="username"', 'name="password"', 'name="code"', 'name="csrf_token"'):
        assert field in html
    assert 'name="token"' not in html


def test_the_migrations_make_the_tables_the_code_defines(make_app, engine):
    """`portal/staff/tables.py`, `accounts/tables.py` and their migrations say the same thing."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from accounts.tables import metadata as accounts_metadata
    from portal.staff.tables import metadata
    for meta in (metadata, accounts_metadata):
        ours = set(meta.tables)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "include_name": lambda name, kind, _parent, ours=ours: kind != "table" or name in ours})
            assert compare_metadata(context, meta) == []


def test_the_old_portal_audit_trail_moves_into_staff_events(tmp_path, db_url):
    """A database from before accounts keeps its audit history: p0002 copies `staff_audit` into `staff_events`."""
    from alembic import command
    from sqlalchemy import text
    from core import db
    engine = db.engine_for(db_url)
    try:
        command.upgrade(db.alembic_config(engine), "p0001")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO staff_audit (at, event, library, principal, client) "
                              "VALUES ('2026-12-01 10:00:00+00', 'sign_in', 'karasjok', 'token', '192.0.2.1')"))
        db.migrate(engine)
        assert _audit(engine) == [("sign_in", "karasjok", "192.0.2.1", None)]
        with engine.connect() as conn:
            from sqlalchemy import inspect
            assert "staff_audit" not in inspect(conn).get_table_names()
    finally:
        engine.dispose()
