"""Circulation: notices (one row per unique notice key, with its delivery state) and notice_templates (the
libraries' own wording over the shipped defaults).

Revision ID: c0005_notices
Revises: c0003
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "c0005_notices"
down_revision = "c0003"
branch_labels = None
depends_on = None


def _ts(name, nullable=True):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade():
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(255), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("patron_id", sa.Integer, sa.ForeignKey("patrons.id", ondelete="CASCADE"), nullable=False),
        sa.Column("loan_id", sa.Integer),
        sa.Column("hold_id", sa.Integer),
        sa.Column("claim_id", sa.Integer),
        sa.Column("step", sa.String(32), nullable=False, server_default=""),
        sa.Column("library", sa.String(128), nullable=False, server_default=""),
        sa.Column("params", sa.Text, nullable=False, server_default="{}"),
        sa.Column("status", sa.String(16), nullable=False, server_default="queued"),
        sa.Column("channel", sa.String(8), nullable=False, server_default=""),
        sa.Column("address", sa.String(256), nullable=False, server_default=""),
        sa.Column("language", sa.String(8), nullable=False, server_default=""),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        _ts("next_attempt_at", nullable=False),
        _ts("claimed_at"),
        sa.Column("claimed_by", sa.String(64)),
        _ts("sent_at"),
        sa.Column("message_id", sa.String(255)),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        _ts("created_at", nullable=False),
        _ts("updated_at", nullable=False),
        sa.CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed', 'undeliverable', 'uncertain', "
                           "'obsolete')", name="ck_notices_status"),
    )
    op.create_index("ix_notices_due", "notices", ["status", "next_attempt_at"])
    op.create_index("ix_notices_patron", "notices", ["patron_id"])
    op.create_table(
        "notice_templates",
        sa.Column("library", sa.String(128), primary_key=True),
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("language", sa.String(8), primary_key=True),
        sa.Column("part", sa.String(16), primary_key=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False, server_default=""),
        _ts("updated_at", nullable=False),
    )


def downgrade():
    op.drop_table("notice_templates")
    op.drop_table("notices")
