"""Circulation: offline_transactions, the desk's and kiosks' offline transactions and their conflicts.

Revision ID: c0101_offline
Revises: c0002
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "c0101_offline"
down_revision = "c0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "offline_transactions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client_id", sa.String(128), nullable=False, unique=True),
        sa.Column("library", sa.String(128), nullable=False),
        sa.Column("desk", sa.String(64), nullable=False, server_default=""),
        sa.Column("channel", sa.String(16), nullable=False, server_default="desk"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("card", sa.String(32), nullable=False, server_default=""),
        sa.Column("barcode", sa.String(128), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False, server_default=""),
        sa.Column("loan_id", sa.Integer),
        sa.Column("resolved_by", sa.String(64), nullable=False, server_default=""),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_offline_transactions_open", "offline_transactions", ["library", "outcome"])


def downgrade():
    op.drop_index("ix_offline_transactions_open", "offline_transactions")
    op.drop_table("offline_transactions")
