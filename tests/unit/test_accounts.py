"""Staff accounts without the web: hashing and rehash, TOTP without replay, lock-out, tokens, roles, audit.
Against a real SQLite database (the store's SQL is the same on PostgreSQL; the portal tests run both)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from accounts import Principal, audit, passwords, roles, totp
from accounts.errors import AccountError
from accounts.store import Accounts, TOKEN_PREFIX, token_hash
from accounts.tables import staff_events, staff_tokens, staff_users
from core.clock import now as now_utc
from core.settings import StaffSettings

FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PASSWORD = "correct horse battery"


@pytest.fixture
def accounts(tmp_path):
    store = Accounts.open(f"sqlite:///{tmp_path / 'accounts.sqlite'}", StaffSettings(account_failures=3),
                          hasher=FAST)
    store.add("ann", "kautokeino", "librarian", PASSWORD)
    yield store
    store.engine.dispose()


def _events(store, event=None):
    with store.engine.connect() as conn:
        query = select(staff_events).order_by(staff_events.c.id)
        if event:
            query = query.where(staff_events.c.event == event)
        return conn.execute(query).all()


def _row(store, username="ann"):
    with store.engine.connect() as conn:
        return conn.execute(select(staff_users).where(staff_users.c.username == username)).first()


def test_passwords_are_argon2id_hashes_never_the_password(accounts):
    row = _row(accounts)
    assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash
    assert accounts.authenticate("ann", PASSWORD).principal == Principal("ann", "kautokeino", "librarian")
    assert not accounts.authenticate("ann", PASSWORD + "x").ok


def test_a_hash_with_old_parameters_is_replaced_at_the_next_sign_in(accounts):
    weak = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1)
    from sqlalchemy import update
    with accounts.engine.begin() as conn:
        conn.execute(update(staff_users).values(password_hash=weak.hash(PASSWORD)))
    old = _row(accounts).password_hash
    assert passwords.needs_rehash(old, FAST)
    assert accounts.authenticate("ann", PASSWORD).ok
    new = _row(accounts).password_hash
    assert new != old and "m=1024" in new and not passwords.needs_rehash(new, FAST)
    assert accounts.authenticate("ann", PASSWORD).ok


def test_a_username_that_does_not_exist_is_a_plain_failure_and_audited(accounts):
    outcome = accounts.authenticate("nobody", PASSWORD, client="192.0.2.1")
    assert not outcome.ok and outcome.reason == "bad"
    [event] = _events(accounts, audit.SIGN_IN_FAILED)
    assert (event.principal, event.library, event.client, event.detail) == ("nobody", None, "192.0.2.1", "no such user")


def test_the_account_locks_after_failures_and_refuses_even_the_right_password(accounts):
    for _ in range(3):
        assert accounts.authenticate("ann", "wrong password!").reason == "bad"
    locked = accounts.authenticate("ann", PASSWORD)
    assert locked.reason == "locked" and 14 * 60 < locked.wait <= 15 * 60
    assert len(_events(accounts, audit.ACCOUNT_LOCKED)) == 1
    later = now_utc() + timedelta(minutes=16)
    assert accounts.authenticate("ann", PASSWORD, now=later).ok       # the lock-out ends by itself


def test_a_success_resets_the_failure_count(accounts):
    for _ in range(2):
        accounts.authenticate("ann", "wrong password!")
    assert accounts.authenticate("ann", PASSWORD).ok
    for _ in range(2):
        accounts.authenticate("ann", "wrong password!")
    assert accounts.authenticate("ann", PASSWORD).ok


def test_a_disabled_account_does_not_sign_in_and_its_stamp_changes(accounts):
    stamp = accounts.current_stamp("ann")
    accounts.set_disabled("ann", True)
    assert accounts.current_stamp("ann") is None and not accounts.authenticate("ann", PASSWORD).ok
    accounts.set_disabled("ann", False)
    assert accounts.current_stamp("ann") not in (None, stamp) and accounts.authenticate("ann", PASSWORD).ok


def test_totp_codes_are_good_one_step_either_side_and_only_once(accounts):
    secret = totp.new_secret()
    accounts.set_totp("ann", secret)
    now = now_utc()
    assert not accounts.authenticate("ann", PASSWORD, now=now).ok              # the password alone is not enough
    code = totp.code_at(secret, now.timestamp())
    assert accounts.authenticate("ann", PASSWORD, code, now=now).ok
    assert not accounts.authenticate("ann", PASSWORD, code, now=now).ok        # replayed: refused
    previous = totp.code_at(secret, now.timestamp() - 30)
    assert not accounts.authenticate("ann", PASSWORD, previous, now=now).ok    # older than the last used step
    next_code = totp.code_at(secret, now.timestamp() + 30)
    assert accounts.authenticate("ann", PASSWORD, next_code, now=now).ok       # a clock one step ahead
    far = totp.code_at(secret, now.timestamp() + 120)
    assert not accounts.authenticate("ann", PASSWORD, far, now=now).ok
    assert not accounts.authenticate("ann", PASSWORD, code, now=now, allow_totp=False).ok


def test_the_totp_uri_is_what_authenticator_apps_read():
    secret = totp.new_secret()
    assert len(secret) >= 32
    uri = totp.uri(secret, "ann")
    assert uri.startswith(f"otpauth://totp/Grensel%C3%B8s:ann?secret={secret}") and "issuer=Grensel" in uri


def test_api_tokens_are_random_stored_hashed_listed_and_revocable(accounts):
    raw, entry = accounts.create_token("ann", "nightly lists")
    other, _ = accounts.create_token("ann", "second")
    assert raw.startswith(TOKEN_PREFIX) and len(raw) >= 40 and raw != other
    with accounts.engine.connect() as conn:
        stored = conn.execute(select(staff_tokens.c.hash)).scalars().all()
    assert token_hash(raw) in stored and raw not in stored
    assert accounts.principal_for_token(raw) == Principal("ann", "kautokeino", "librarian")
    listed = accounts.tokens("ann")
    assert [t["name"] for t in listed] == ["second", "nightly lists"] and all("token" not in t for t in listed)
    assert accounts.revoke_token("ann", entry["id"])
    assert accounts.principal_for_token(raw) is None and accounts.principal_for_token(other) is not None
    assert not accounts.revoke_token("ann", entry["id"])                       # already revoked
    assert [t["active"] for t in accounts.tokens("ann")] == [True, False]
    accounts.set_disabled("ann", True)
    assert accounts.principal_for_token(other) is None                         # a disabled account's tokens stop
    assert accounts.principal_for_token("gls_" + "x" * 43) is None
    assert [e.event for e in _events(accounts)][-4:] == ["token_created", "token_created", "token_revoked",
                                                         "user_disabled"]


def test_weak_passwords_bad_names_roles_and_duplicates_are_refused(accounts):
    cases = [(("bob", "kautokeino", "librarian", "short"), "password_short"),
             (("Bad Name!", "kautokeino", "librarian", PASSWORD), "bad_username"),
             (("bob", "kautokeino", "boss", PASSWORD), "bad_role"),
             (("ann", "kautokeino", "librarian", PASSWORD), "exists")]
    for args, code in cases:
        with pytest.raises(AccountError) as caught:
            accounts.add(*args)
        assert caught.value.code == code
    with pytest.raises(AccountError) as caught:
        accounts.add("bob", "atlantis", "librarian", PASSWORD, known_libraries=["kautokeino", "tromso"])
    assert caught.value.code == "unknown_library"


def test_admins_grant_no_more_than_they_hold_and_only_at_their_library(accounts):
    admin = Principal("kari", "kautokeino", roles.LIBRARY_ADMIN)
    accounts.add("bob", "kautokeino", roles.LIBRARIAN, PASSWORD, actor=admin)
    for args in (("eve", "kautokeino", roles.COUNTY_ADMIN), ("eve", "tromso", roles.LIBRARIAN)):
        with pytest.raises(AccountError):
            accounts.add(*args, PASSWORD, actor=admin)
    with pytest.raises(AccountError):
        accounts.add("eve", "kautokeino", roles.LIBRARIAN, PASSWORD, actor=Principal("ann", "kautokeino",
                                                                                     roles.LIBRARIAN))
    county = Principal("c", "tromso", roles.COUNTY_ADMIN)
    accounts.add("eve", "karasjok", roles.COUNTY_ADMIN, PASSWORD, actor=county)
    with pytest.raises(AccountError):
        accounts.set_disabled("eve", True, actor=Principal("k", "karasjok", roles.LIBRARY_ADMIN))
    [added] = [e for e in _events(accounts, audit.USER_ADDED) if e.target == "bob"]
    assert (added.principal, added.library, added.detail) == ("kari", "kautokeino", "librarian")


def test_may_act_for_is_own_library_or_county_admin():
    librarian = Principal("a", "kautokeino", roles.LIBRARIAN)
    admin = Principal("b", "kautokeino", roles.LIBRARY_ADMIN)
    county = Principal("c", "tromso", roles.COUNTY_ADMIN)
    assert roles.may_act_for(librarian, "kautokeino") and not roles.may_act_for(librarian, "tromso")
    assert roles.may_act_for(admin, "kautokeino") and not roles.may_act_for(admin, "karasjok")
    assert roles.may_act_for(county, "karasjok") and roles.may_act_for(county, "kautokeino")
    assert not roles.may_act_for(None, "kautokeino") and not roles.may_act_for(county, "")
    assert not roles.may_manage_staff(librarian, "kautokeino") and roles.may_manage_staff(admin, "kautokeino")
    import dataclasses
    with pytest.raises(dataclasses.FrozenInstanceError):
        librarian.library = "tromso"
