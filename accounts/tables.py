"""The accounts tables: staff users, their personal API tokens, and the audit trail of staff actions.

Defined once here; `accounts/migrations/versions/` creates them. Times are UTC. No secret is stored in a
form that works as a credential: passwords as argon2id hashes, API tokens as their SHA-256, TOTP
secrets as given (they must be read to check a code; the database is the secret's home, as for any
TOTP server).
"""

from sqlalchemy import (Boolean, CheckConstraint, Column, DateTime, ForeignKey, Index, Integer, MetaData,
                        String, Table, Text)

metadata = MetaData()

ROLE_CHECK = "role IN ('librarian', 'library-admin', 'county-admin')"

staff_users = Table(
    "staff_users", metadata,
    Column("username", String(64), primary_key=True),
    Column("library", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text, nullable=False),
    #: Random; replaced whenever the password, role, library or enabled state changes, which ends every
    #: session opened before (sessions keep the stamp they were opened with).
    Column("stamp", String(64), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("totp_secret", String(64)),
    #: The last TOTP time step accepted: a code is good once, never again (no replay within its window).
    Column("totp_last_step", Integer),
    Column("failures", Integer, nullable=False, default=0),
    Column("locked_until", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("password_changed_at", DateTime(timezone=True), nullable=False),
    Column("last_sign_in_at", DateTime(timezone=True)),
    CheckConstraint(ROLE_CHECK, name="ck_staff_users_role"),
    Index("ix_staff_users_library", "library"),
)

#: A personal API token: `hash` is the SHA-256 of the whole token; `prefix` (its first characters) is
#: what a list shows so its owner can tell tokens apart.
staff_tokens = Table(
    "staff_tokens", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), ForeignKey("staff_users.username", ondelete="CASCADE"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Index("ix_staff_tokens_user", "username"),
)

#: Append-only: every staff action (sign-ins, account changes, and what other stages report through
#: `accounts.audit.record`). `session` is the start of a session's hash, enough to follow one session.
staff_events = Table(
    "staff_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("event", String(48), nullable=False),
    Column("library", String(64)),
    Column("principal", String(128)),
    Column("client", String(64)),
    Column("session", String(16)),
    Column("target", String(128)),
    Column("detail", String(255)),
    Index("ix_staff_events_client", "event", "client", "at"),
    Index("ix_staff_events_library", "event", "library", "at"),
    Index("ix_staff_events_at", "library", "at"),
)
