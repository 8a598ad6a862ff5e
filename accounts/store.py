"""Staff accounts in the database: adding, disabling, passwords, sign-in checks, TOTP and API tokens.

One `Accounts` per process (the portal keeps one per app, the CLI makes one per command), over the
shared engine; every change is audited in the same transaction (`accounts.audit`). What the portal needs
to keep a session honest is the account's `stamp`: a random value replaced whenever the password, the
role or the enabled state changes, so every session opened before ends (`portal.staff.sessions`).

Lock-out: after `[staff] account_failures` wrong passwords or codes in a row, the account refuses every
attempt, unchecked, for `[staff] lockout_minutes`. The portal's throttle (per address, per library)
works beside it; this one follows the account, whichever addresses the guesses come from.

API tokens are `gls_` and 43 random URL-safe characters (256 bits); only their SHA-256 is stored, so a
token is shown once, when it is made, and can be revoked but never shown again.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from accounts import audit, passwords, roles, totp
from accounts.errors import AccountError
from accounts.principal import Principal
from accounts.tables import staff_tokens as t, staff_users as u
from core import db
from core.clock import now as now_utc

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
TOKEN_PREFIX = "gls_"
MAX_PASSWORD = 1024
#: `last_used_at` of a token is written at most this often, not on every request.
TOKEN_TOUCH = timedelta(seconds=60)
#: Who acted when no signed-in person did (the command line on the server).
CLI = "cli"

OK = "ok"
BAD = "bad"
LOCKED = "locked"


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class User:
    username: str
    library: str
    role: str
    disabled: bool
    totp: bool
    locked_until: datetime | None
    created_at: datetime
    last_sign_in_at: datetime | None

    @property
    def principal(self) -> Principal:
        return Principal(self.username, self.library, self.role)

    def as_dict(self) -> dict:
        return {"username": self.username, "library": self.library, "role": self.role,
                "disabled": self.disabled, "totp": self.totp,
                "locked_until": self.locked_until.isoformat() if self.locked_until else None,
                "created_at": self.created_at.isoformat(),
                "last_sign_in_at": self.last_sign_in_at.isoformat() if self.last_sign_in_at else None}


def _user(row) -> User:
    return User(row.username, row.library, row.role, bool(row.disabled), bool(row.totp_secret),
                _utc(row.locked_until), _utc(row.created_at), _utc(row.last_sign_in_at))


@dataclass(frozen=True)
class Outcome:
    """A sign-in check: `principal` when it passed; else `reason` (`bad`, `locked`) and, locked, `wait` seconds."""
    principal: Principal | None
    reason: str
    wait: float = 0.0
    stamp: str | None = None

    @property
    def ok(self) -> bool:
        return self.principal is not None


class Accounts:
    def __init__(self, engine, staff_settings, hasher=passwords.HASHER):
        self.engine = engine
        self.settings = staff_settings
        self.hasher = hasher

    @classmethod
    def open(cls, database_url: str, staff_settings, hasher=passwords.HASHER) -> "Accounts":
        """Over a new engine for `database_url`, its tables brought up to date (for the CLI and tests)."""
        engine = db.engine_for(database_url)
        db.migrate(engine)
        return cls(engine, staff_settings, hasher)

    # -- reading -------------------------------------------------------------------------------------

    def get(self, username: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(u).where(u.c.username == (username or "").lower())).first()
        return _user(row) if row else None

    def users(self, libraries: list[str] | None = None) -> list[User]:
        """Every account (of `libraries` when given), by library then name."""
        query = select(u).order_by(u.c.library, u.c.username)
        if libraries is not None:
            query = query.where(u.c.library.in_(libraries))
        with self.engine.connect() as conn:
            return [_user(r) for r in conn.execute(query)]

    def current_stamp(self, username: str) -> str | None:
        """The account's stamp now; None when it is gone or disabled (its sessions end)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(u.c.stamp, u.c.disabled).where(u.c.username == username)).first()
        return row.stamp if row is not None and not row.disabled else None

    # -- changing ------------------------------------------------------------------------------------

    def check_password(self, password: str) -> None:
        minimum = self.settings.password_min_length
        if not isinstance(password, str) or len(password) < minimum:
            raise AccountError(f"the password must have at least {minimum} characters", "password_short")
        if len(password) > MAX_PASSWORD:
            raise AccountError(f"the password must have at most {MAX_PASSWORD} characters", "password_long")

    def add(self, username: str, library: str, role: str, password: str, *, actor: Principal | None = None,
            client: str | None = None, known_libraries=None) -> User:
        username = (username or "").strip().lower()
        if not USERNAME.match(username):
            raise AccountError(f"{username!r} is not a usable username (2-64 of a-z, 0-9, '.', '_', '-', '@', "
                               "starting with a letter or digit)", "bad_username")
        if role not in roles.ROLES:
            raise AccountError(f"unknown role {role!r} (one of {', '.join(roles.ROLES)})", "bad_role")
        if known_libraries is not None and library not in set(known_libraries):
            raise AccountError(f"unknown library {library!r} (configured: {', '.join(sorted(known_libraries))})",
                               "unknown_library")
        if actor is not None and not roles.may_grant(actor, role, library):
            raise AccountError(f"{actor.username} may not give the role {role} at {library}", "not_allowed")
        self.check_password(password)
        now = now_utc()
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(u).values(username=username, library=library, role=role,
                                              password_hash=passwords.hash_password(password, self.hasher),
                                              stamp=secrets.token_hex(16), disabled=False, failures=0,
                                              created_at=now, password_changed_at=now))
                audit.record(conn, audit.USER_ADDED, now, library=library, principal=_who(actor), client=client,
                             target=username, detail=role)
        except IntegrityError:
            raise AccountError(f"there is already a user {username!r}", "exists") from None
        return self.get(username)

    def _change(self, username: str, values: dict, event: str, actor: Principal | None, client: str | None,
                detail: str | None = None) -> User:
        user = self.get(username)
        if user is None:
            raise AccountError(f"no user {username!r}", "no_user")
        if actor is not None and actor.username != user.username \
                and not roles.may_manage_staff(actor, user.library):
            raise AccountError(f"{actor.username} may not change {user.username}", "not_allowed")
        if actor is not None and user.role == roles.COUNTY_ADMIN and actor.role != roles.COUNTY_ADMIN:
            raise AccountError(f"{actor.username} may not change a county administrator", "not_allowed")
        now = now_utc()
        with self.engine.begin() as conn:
            conn.execute(update(u).where(u.c.username == user.username).values(**values))
            audit.record(conn, event, now, library=user.library, principal=_who(actor), client=client,
                         target=user.username, detail=detail)
        return self.get(user.username)

    def set_disabled(self, username: str, disabled: bool, *, actor: Principal | None = None,
                     client: str | None = None) -> User:
        """Disable (every session and token stops working at once) or enable an account."""
        return self._change(username, {"disabled": disabled, "stamp": secrets.token_hex(16), "failures": 0,
                                       "locked_until": None},
                            audit.USER_DISABLED if disabled else audit.USER_ENABLED, actor, client)

    def set_password(self, username: str, password: str, *, actor: Principal | None = None,
                     client: str | None = None) -> User:
        """A new password; ends every session of the account (its stamp changes) and lifts a lock-out."""
        self.check_password(password)
        return self._change(username, {"password_hash": passwords.hash_password(password, self.hasher),
                                       "stamp": secrets.token_hex(16), "password_changed_at": now_utc(),
                                       "failures": 0, "locked_until": None},
                            audit.PASSWORD_CHANGED, actor, client)

    def set_totp(self, username: str, secret: str | None, *, actor: Principal | None = None,
                 client: str | None = None) -> User:
        """Turn the second factor on with `secret` (or off with None)."""
        return self._change(username, {"totp_secret": secret, "totp_last_step": None,
                                       "stamp": secrets.token_hex(16)},
                            audit.TOTP_ENROLLED, actor, client, detail="on" if secret else "off")

    # -- signing in ----------------------------------------------------------------------------------

    def authenticate(self, username: str, password: str, code: str | None = None, *, client: str | None = None,
                     now: datetime | None = None, allow_totp: bool = True) -> Outcome:
        """Check a sign-in; failures are counted and audited here, the success is the caller's to audit
        (it opens a session, or serves one API request). `allow_totp=False` (HTTP Basic): an account with a
        second factor cannot be used without its code, so it must use an API token instead."""
        now = now or now_utc()
        name = (username or "").strip().lower()[:64]
        with self.engine.connect() as conn:
            row = conn.execute(select(u).where(u.c.username == name)).first()
        if row is not None and _utc(row.locked_until) and _utc(row.locked_until) > now:
            with self.engine.begin() as conn:
                audit.record(conn, audit.SIGN_IN_THROTTLED, now, library=row.library, principal=name,
                             client=client, detail="account locked")
            return Outcome(None, LOCKED, (_utc(row.locked_until) - now).total_seconds())
        good = passwords.verify(row.password_hash if row is not None else passwords.dummy_hash(),
                                password or "", self.hasher) and row is not None and not row.disabled
        step = None
        if good and row.totp_secret:
            step = totp.matching_step(row.totp_secret, code or "", row.totp_last_step, now.timestamp()) \
                if allow_totp else None
            good = step is not None
        if not good:
            self._failed(row, name, client, now)
            return Outcome(None, BAD)
        values = {"failures": 0, "locked_until": None, "last_sign_in_at": now}
        if step is not None:
            values["totp_last_step"] = step
        if passwords.needs_rehash(row.password_hash, self.hasher):
            values["password_hash"] = passwords.hash_password(password, self.hasher)
        with self.engine.begin() as conn:
            # the step condition makes a code good once even when two sign-ins race with it
            query = update(u).where(u.c.username == name)
            if step is not None:
                query = query.where((u.c.totp_last_step.is_(None)) | (u.c.totp_last_step < step))
            if not conn.execute(query.values(**values)).rowcount:
                self._failed(row, name, client, now)
                return Outcome(None, BAD)
        return Outcome(Principal(row.username, row.library, row.role), OK, stamp=row.stamp)

    def _failed(self, row, name: str, client: str | None, now: datetime) -> None:
        with self.engine.begin() as conn:
            audit.record(conn, audit.SIGN_IN_FAILED, now, library=row.library if row is not None else None,
                         principal=name or None, client=client,
                         detail=None if row is not None else "no such user")
            if row is None:
                return
            failures = (row.failures or 0) + 1
            if failures >= self.settings.account_failures:
                until = now + timedelta(minutes=self.settings.lockout_minutes)
                conn.execute(update(u).where(u.c.username == row.username).values(failures=0, locked_until=until))
                audit.record(conn, audit.ACCOUNT_LOCKED, now, library=row.library, principal=row.username,
                             client=client, target=row.username, detail=f"{failures} failures")
            else:
                conn.execute(update(u).where(u.c.username == row.username).values(failures=u.c.failures + 1))

    # -- API tokens ----------------------------------------------------------------------------------

    def create_token(self, username: str, name: str, *, actor: Principal | None = None,
                     client: str | None = None) -> tuple[str, dict]:
        """A new token for `username`'s own use: (the token, shown this once; its listing entry)."""
        user = self.get(username)
        if user is None:
            raise AccountError(f"no user {username!r}", "no_user")
        if actor is not None and actor.username != user.username:
            raise AccountError("a token is made by its owner", "not_allowed")
        name = (name or "").strip()[:128] or "token"
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = now_utc()
        with self.engine.begin() as conn:
            new_id = conn.execute(insert(t).values(username=user.username, name=name, hash=token_hash(raw),
                                                   prefix=raw[:10], created_at=now)).inserted_primary_key[0]
            audit.record(conn, audit.TOKEN_CREATED, now, library=user.library, principal=_who(actor) or CLI,
                         client=client, target=user.username, detail=f"{new_id}: {name}")
        return raw, next(x for x in self.tokens(user.username) if x["id"] == new_id)

    def tokens(self, username: str) -> list[dict]:
        """The account's tokens, newest first, revoked ones too (marked): never the token itself."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.username == (username or "").lower())
                                .order_by(t.c.id.desc())).all()
        iso = lambda v: _utc(v).isoformat() if v else None  # noqa: E731
        return [{"id": r.id, "name": r.name, "prefix": r.prefix, "created_at": iso(r.created_at),
                 "last_used_at": iso(r.last_used_at), "revoked_at": iso(r.revoked_at),
                 "active": r.revoked_at is None} for r in rows]

    def revoke_token(self, username: str, token_id: int, *, actor: Principal | None = None,
                     client: str | None = None) -> bool:
        """Revoke one of `username`'s tokens; False when it has no such open token."""
        user = self.get(username)
        if user is None:
            return False
        if actor is not None and actor.username != user.username \
                and not roles.may_manage_staff(actor, user.library):
            raise AccountError(f"{actor.username} may not revoke {user.username}'s tokens", "not_allowed")
        now = now_utc()
        with self.engine.begin() as conn:
            done = conn.execute(update(t).where(t.c.id == token_id, t.c.username == user.username,
                                                t.c.revoked_at.is_(None)).values(revoked_at=now)).rowcount
            if done:
                audit.record(conn, audit.TOKEN_REVOKED, now, library=user.library, principal=_who(actor) or CLI,
                             client=client, target=user.username, detail=str(token_id))
        return bool(done)

    def principal_for_token(self, raw: str, now: datetime | None = None) -> Principal | None:
        """Who `raw` belongs to, if it is an open token of an enabled account."""
        if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 128:
            return None
        now = now or now_utc()
        with self.engine.connect() as conn:
            row = conn.execute(select(t.c.id, t.c.last_used_at, u.c.username, u.c.library, u.c.role)
                               .join(u, u.c.username == t.c.username)
                               .where(t.c.hash == token_hash(raw), t.c.revoked_at.is_(None),
                                      u.c.disabled.is_(False))).first()
        if row is None:
            return None
        if row.last_used_at is None or now - _utc(row.last_used_at) >= TOKEN_TOUCH:
            with self.engine.begin() as conn:
                conn.execute(update(t).where(t.c.id == row.id).values(last_used_at=now))
        return Principal(row.username, row.library, row.role)


def _who(actor: Principal | None) -> str:
    return actor.username if actor is not None else CLI
