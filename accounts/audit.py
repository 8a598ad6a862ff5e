"""The staff audit trail: every staff action, by whom, for which library, when, and from which address.

Every event is a row in `staff_events` (what an administrator or a data-protection officer reads, what
`/staff/audit` shows, and what the portal's sign-in throttle counts) and a line in the
`accounts.audit` log at INFO. Sign-in events:

| event | when |
|---|---|
| `sign_in` | a password (and code) was accepted and a session opened |
| `sign_in_failed` | a wrong username, password or code |
| `sign_in_throttled` | an attempt refused unchecked: its address, library or account had failed too often |
| `sign_out` | the person signed out (the session is revoked) |
| `session_revoked` | a session ended otherwise; `detail` says why: `idle`, `lifetime`, `credential_changed` |

Account events (`target` is the account acted on): `user_added`, `user_disabled`, `user_enabled`,
`password_changed`, `account_locked`, `totp_enrolled`, `token_created`, `token_revoked`. Other stages
record their own actions (`list_published`, …) with `record`, in the same transaction as the action.

Nothing secret is written: no password, token or TOTP code, no session id (only its hash's first characters).
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from sqlalchemy import insert, select

from accounts.tables import staff_events
from core.clock import now as now_utc

log = logging.getLogger("accounts.audit")

SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
SIGN_IN_THROTTLED = "sign_in_throttled"
SIGN_OUT = "sign_out"
SESSION_REVOKED = "session_revoked"
USER_ADDED = "user_added"
USER_DISABLED = "user_disabled"
USER_ENABLED = "user_enabled"
PASSWORD_CHANGED = "password_changed"
ACCOUNT_LOCKED = "account_locked"
TOTP_ENROLLED = "totp_enrolled"
TOKEN_CREATED = "token_created"
TOKEN_REVOKED = "token_revoked"
SESSION_PREFIX = 16


def record(conn, event: str, at: datetime | None = None, *, library: str | None = None,
           principal: str | None = None, client: str | None = None, session_hash: str | None = None,
           target: str | None = None, detail: str | None = None) -> None:
    """Write one event inside the caller's transaction (so it stands or falls with what it describes)."""
    at = at or now_utc()
    session = session_hash[:SESSION_PREFIX] if session_hash else None
    conn.execute(insert(staff_events).values(at=at, event=event[:48], library=library, principal=principal,
                                             client=(client or "")[:64] or None, session=session,
                                             target=(target or "")[:128] or None,
                                             detail=(detail or "")[:255] or None))
    log.info("staff %s library=%s principal=%s client=%s session=%s%s%s", event, library or "-",
             principal or "-", client or "-", session or "-", f" target={target}" if target else "",
             f" ({detail})" if detail else "")


def recent(conn, libraries: list[str] | None = None, limit: int = 200, before_id: int | None = None) -> list[dict]:
    """The newest events, newest first; only those of `libraries` unless None (everything, for a county admin)."""
    e = staff_events
    query = select(e).order_by(e.c.id.desc()).limit(limit)
    if libraries is not None:
        query = query.where(e.c.library.in_(libraries))
    if before_id is not None:
        query = query.where(e.c.id < before_id)
    return [{"id": r.id, "at": r.at.replace(tzinfo=timezone.utc).isoformat() if r.at.tzinfo is None
             else r.at.isoformat(), "event": r.event, "library": r.library, "principal": r.principal,
             "client": r.client, "target": r.target, "detail": r.detail} for r in conn.execute(query)]
