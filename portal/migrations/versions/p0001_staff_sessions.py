"""The portal's first tables: staff_sessions (server-side staff sessions) and staff_audit.

Revision ID: p0001
Revises:
Create Date: 2026-12-08
"""
import sqlalchemy as sa
from alembic import op

revision = "p0001"
down_revision = None
branch_labels = ("portal",)
depends_on = None


def _ts(name, nullable=True):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade():
    op.create_table(
        "staff_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("library", sa.String(64), nullable=False),
        sa.Column("principal", sa.String(128), nullable=False),
        sa.Column("credential_stamp", sa.String(64), nullable=False),
        _ts("created_at", nullable=False),
        _ts("last_seen_at", nullable=False),
        _ts("revoked_at"),
        sa.Column("revoked_reason", sa.String(32)),
        sa.Column("client", sa.String(64)),
    )
    op.create_index("ix_staff_sessions_open", "staff_sessions", ["library", "principal", "revoked_at"])
    op.create_table(
        "staff_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _ts("at", nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("library", sa.String(64)),
        sa.Column("principal", sa.String(128)),
        sa.Column("client", sa.String(64)),
        sa.Column("session", sa.String(16)),
        sa.Column("detail", sa.String(255)),
    )
    op.create_index("ix_staff_audit_client", "staff_audit", ["event", "client", "at"])
    op.create_index("ix_staff_audit_library", "staff_audit", ["event", "library", "at"])


def downgrade():
    op.drop_table("staff_audit")
    op.drop_table("staff_sessions")
