"""The staff audit trail: what happened to staff access, for whom, when, and from which address.

Every event is a row in `staff_audit` (the record an administrator or a data-protection officer reads,
and what `throttle` counts) and a line in the `portal.staff.audit` log at INFO. The events:

| event | when |
|---|---|
| `sign_in` | a credential was accepted and a session opened |
| `sign_in_failed` | a credential was wrong, or named no library that has staff access |
| `sign_in_throttled` | an attempt refused unchecked, because its address or library had failed too often |
| `sign_out` | the librarian signed out (the session is revoked) |
| `session_revoked` | a session ended otherwise; `detail` says why: `idle`, `lifetime`, `credential_changed` |

Nothing secret is written: no token, no session id (only the first characters of its hash).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import insert

from portal.staff.tables import staff_audit

log = logging.getLogger("portal.staff.audit")

SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
SIGN_IN_THROTTLED = "sign_in_throttled"
SIGN_OUT = "sign_out"
SESSION_REVOKED = "session_revoked"
SESSION_PREFIX = 16


def record(conn, event: str, at: datetime, *, library: str | None = None, principal: str | None = None,
           client: str | None = None, session_hash: str | None = None, detail: str | None = None) -> None:
    """Write one event inside the caller's transaction (so it stands or falls with what it describes)."""
    session = session_hash[:SESSION_PREFIX] if session_hash else None
    conn.execute(insert(staff_audit).values(at=at, event=event, library=library, principal=principal,
                                            client=(client or "")[:64] or None, session=session,
                                            detail=(detail or "")[:255] or None))
    log.info("staff %s library=%s principal=%s client=%s session=%s%s", event, library or "-", principal or "-",
             client or "-", session or "-", f" ({detail})" if detail else "")
