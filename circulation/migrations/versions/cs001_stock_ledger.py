"""Circulation statistics: stock_ledger, when each copy was first seen at a library and when it went
(the annual statistics' additions and withdrawals).

Revision ID: cs001
Revises: c0002
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "cs001"
down_revision = "c0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stock_ledger",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("copy_id", sa.Integer, nullable=False),
        sa.Column("library", sa.String(128), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True)),
        sa.Column("removed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_stock_ledger_copy", "stock_ledger", ["copy_id", "removed_at"])
    op.create_index("ix_stock_ledger_library", "stock_ledger", ["library"])


def downgrade():
    op.drop_table("stock_ledger")
