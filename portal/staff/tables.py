"""The staff area's table: server-side sessions (the audit trail is `accounts.tables.staff_events`).

Defined once here; `portal/migrations/versions/` creates it. Times are UTC.
"""

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table

metadata = MetaData()

#: One row per sign-in. `id_hash` is the SHA-256 of the random id in the cookie: the table alone (a
#: backup, a read-only database user) cannot be turned into a working session cookie.
staff_sessions = Table(
    "staff_sessions", metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("library", String(64), nullable=False),
    Column("principal", String(128), nullable=False),        # the username
    Column("credential_stamp", String(64), nullable=False),  # the account's stamp when the session opened
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("revoked_reason", String(32)),
    Column("client", String(64)),
    Index("ix_staff_sessions_open", "library", "principal", "revoked_at"),
)
