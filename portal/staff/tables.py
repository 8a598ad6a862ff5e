"""The staff area's tables: server-side sessions and the audit trail.

Defined once here; `portal/migrations/versions/` creates them. Times are UTC.
"""

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table

metadata = MetaData()

#: One row per sign-in. `id_hash` is the SHA-256 of the random id in the cookie: the table alone (a
#: backup, a read-only database user) cannot be turned into a working session cookie.
staff_sessions = Table(
    "staff_sessions", metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("library", String(64), nullable=False),
    Column("principal", String(128), nullable=False),        # who: "token" today, an account later
    Column("credential_stamp", String(64), nullable=False),  # keyed fingerprint of the credential used
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("revoked_reason", String(32)),
    Column("client", String(64)),
    Index("ix_staff_sessions_open", "library", "principal", "revoked_at"),
)

#: Append-only. `session` is the start of the session's hash, enough to follow one session's life.
staff_audit = Table(
    "staff_audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("event", String(32), nullable=False),
    Column("library", String(64)),
    Column("principal", String(128)),
    Column("client", String(64)),
    Column("session", String(16)),
    Column("detail", String(255)),
    Index("ix_staff_audit_client", "event", "client", "at"),
    Index("ix_staff_audit_library", "event", "library", "at"),
)
