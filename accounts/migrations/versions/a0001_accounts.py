"""Staff accounts: staff_users, staff_tokens, staff_events (the audit trail, moved here from the portal).

Revision ID: a0001
Revises:
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "a0001"
down_revision = None
branch_labels = ("accounts",)
depends_on = None


def _ts(name, nullable=True):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade():
    op.create_table(
        "staff_users",
        sa.Column("username", sa.String(64), primary_key=True),
        sa.Column("library", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("stamp", sa.String(64), nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("totp_secret", sa.String(64)),
        sa.Column("totp_last_step", sa.Integer),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
        _ts("locked_until"),
        _ts("created_at", nullable=False),
        _ts("password_changed_at", nullable=False),
        _ts("last_sign_in_at"),
        sa.CheckConstraint("role IN ('librarian', 'library-admin', 'county-admin')", name="ck_staff_users_role"),
    )
    op.create_index("ix_staff_users_library", "staff_users", ["library"])
    op.create_table(
        "staff_tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), sa.ForeignKey("staff_users.username", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        _ts("created_at", nullable=False),
        _ts("last_used_at"),
        _ts("revoked_at"),
    )
    op.create_index("ix_staff_tokens_user", "staff_tokens", ["username"])
    op.create_table(
        "staff_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _ts("at", nullable=False),
        sa.Column("event", sa.String(48), nullable=False),
        sa.Column("library", sa.String(64)),
        sa.Column("principal", sa.String(128)),
        sa.Column("client", sa.String(64)),
        sa.Column("session", sa.String(16)),
        sa.Column("target", sa.String(128)),
        sa.Column("detail", sa.String(255)),
    )
    op.create_index("ix_staff_events_client", "staff_events", ["event", "client", "at"])
    op.create_index("ix_staff_events_library", "staff_events", ["event", "library", "at"])
    op.create_index("ix_staff_events_at", "staff_events", ["library", "at"])


def downgrade():
    op.drop_table("staff_events")
    op.drop_table("staff_tokens")
    op.drop_table("staff_users")
