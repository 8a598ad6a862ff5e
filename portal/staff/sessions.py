"""Server-side staff sessions: a row per sign-in, so a session can end on the server.

A session used to be the library's id inside the signed cookie: a cookie copied before sign-out kept
working, and kept working after the library's token was changed, for as long as the cookie lived. Now
the cookie carries only a random id (256 bits); the row, found by the id's SHA-256, says whether the
session is still good, and each of these ends it for every copy of the cookie at once:

- sign-out (`revoke`);
- no use for `idle` (`last_seen_at` is written at most once a `TOUCH_EVERY`, not on every request);
- `lifetime` after sign-in, however busy;
- a changed credential: the row keeps the account's stamp when it was opened (`accounts.store`: a
  random value replaced at every change of password, role or enabled state), and a session whose stamp
  is no longer the account's current one is revoked.

A session is judged when it is next seen (`find`), and at every sign-in all other sessions of the same
library and principal are judged too (`sweep`), so sessions nobody uses any more do not stay open in
the table: it tells which sessions are open.

Every revocation is audited. "principal" is the account's username; this module only stores and
compares it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from sqlalchemy import insert, select, update

from accounts import audit
from core.clock import now as now_utc
from portal.staff.tables import staff_sessions as s

TOUCH_EVERY = timedelta(seconds=60)
ID_BYTES = 32

IDLE = "idle"
LIFETIME = "lifetime"
CREDENTIAL_CHANGED = "credential_changed"
SIGNED_OUT = "signed_out"


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def hash_id(raw_id: str) -> str:
    return hashlib.sha256(raw_id.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StaffSession:
    id_hash: str
    library: str
    principal: str
    created_at: datetime
    last_seen_at: datetime


class SessionStore:
    def __init__(self, engine, idle: timedelta, lifetime: timedelta):
        self.engine = engine
        self.idle, self.lifetime = idle, lifetime

    def open(self, library: str, principal: str, stamp: str, client: str | None, now: datetime | None = None) -> str:
        """Open a session, audit the sign-in, and return the raw id for the cookie (stored nowhere else)."""
        now = now or now_utc()
        raw_id = secrets.token_urlsafe(ID_BYTES)
        id_hash = hash_id(raw_id)
        with self.engine.begin() as conn:
            self._sweep(conn, library, principal, stamp, client, now)
            conn.execute(insert(s).values(id_hash=id_hash, library=library, principal=principal,
                                          credential_stamp=stamp, created_at=now, last_seen_at=now,
                                          client=(client or "")[:64] or None))
            audit.record(conn, audit.SIGN_IN, now, library=library, principal=principal, client=client,
                         session_hash=id_hash)
        return raw_id

    def find(self, raw_id: str, current_stamp: Callable[[str, str], str | None], client: str | None,
             now: datetime | None = None) -> StaffSession | None:
        """The open session behind `raw_id`, or None; a session found past its end is revoked here.

        `current_stamp(library, principal)` is the stamp of that credential now (None: it no longer exists).
        """
        if not raw_id or len(raw_id) > 128:
            return None
        now = now or now_utc()
        id_hash = hash_id(raw_id)
        with self.engine.connect() as conn:
            row = conn.execute(select(s).where(s.c.id_hash == id_hash)).first()
        if row is None or row.revoked_at is not None:
            return None
        created, seen = _utc(row.created_at), _utc(row.last_seen_at)
        reason = self._ended(row, current_stamp(row.library, row.principal), now)
        if reason:
            with self.engine.begin() as conn:
                self._revoke(conn, row, reason, audit.SESSION_REVOKED, client, now)
            return None
        if now - seen >= TOUCH_EVERY:
            with self.engine.begin() as conn:
                conn.execute(update(s).where(s.c.id_hash == id_hash, s.c.revoked_at.is_(None)).values(last_seen_at=now))
            seen = now
        return StaffSession(id_hash, row.library, row.principal, created, seen)

    def revoke(self, raw_id: str, client: str | None, now: datetime | None = None) -> bool:
        """End the session behind `raw_id` because its holder signed out; False if it was not open."""
        now = now or now_utc()
        with self.engine.begin() as conn:
            row = conn.execute(select(s).where(s.c.id_hash == hash_id(raw_id or ""))).first()
            if row is None or row.revoked_at is not None:
                return False
            self._revoke(conn, row, SIGNED_OUT, audit.SIGN_OUT, client, now)
        return True

    def sweep(self, library: str, principal: str, stamp: str, client: str | None = None,
              now: datetime | None = None) -> int:
        """Revoke every open session of (library, principal) that has ended; how many were."""
        with self.engine.begin() as conn:
            return self._sweep(conn, library, principal, stamp, client, now or now_utc())

    def _ended(self, row, stamp: str | None, now: datetime) -> str | None:
        """Why the session in `row` is over (`stamp`: the credential's current stamp), or None if it is not."""
        if stamp != row.credential_stamp:
            return CREDENTIAL_CHANGED
        if now - _utc(row.created_at) >= self.lifetime:
            return LIFETIME
        if now - _utc(row.last_seen_at) >= self.idle:
            return IDLE
        return None

    def _sweep(self, conn, library, principal, stamp, client, now) -> int:
        open_rows = conn.execute(select(s).where(s.c.library == library, s.c.principal == principal,
                                                 s.c.revoked_at.is_(None))).all()
        ended = 0
        for row in open_rows:
            reason = self._ended(row, stamp, now)
            if reason:
                self._revoke(conn, row, reason, audit.SESSION_REVOKED, client, now)
                ended += 1
        return ended

    @staticmethod
    def _revoke(conn, row, reason: str, event: str, client, now) -> None:
        done = conn.execute(update(s).where(s.c.id_hash == row.id_hash, s.c.revoked_at.is_(None))
                            .values(revoked_at=now, revoked_reason=reason)).rowcount
        if done:                                # another worker may have revoked it a moment ago
            audit.record(conn, event, now, library=row.library, principal=row.principal, client=client,
                         session_hash=row.id_hash, detail=None if event == audit.SIGN_OUT else reason)
