"""Circulation: deposit loans (crates of copies lent to another library for months) and their copies.

Revision ID: c0007_deposits
Revises: c0003
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "c0007_deposits"
down_revision = "c0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "deposits",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("from_library", sa.String(128), nullable=False),
        sa.Column("to_library", sa.String(128), nullable=False),
        sa.Column("place", sa.String(256), nullable=False, server_default=""),
        sa.Column("until", sa.Date, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        sa.Column("created_by", sa.String(128), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("called_at", sa.DateTime(timezone=True)),
        sa.Column("returned_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("status IN ('open', 'called', 'returned')", name="ck_deposits_status"),
    )
    op.create_index("ix_deposits_status_until", "deposits", ["status", "until"])
    op.create_table(
        "deposit_copies",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("deposit_id", sa.Integer, sa.ForeignKey("deposits.id", ondelete="CASCADE"), nullable=False),
        sa.Column("copy_id", sa.Integer, nullable=False),
        sa.Column("barcode", sa.String(128), nullable=False),
        sa.Column("home_library", sa.String(128), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("uq_deposit_copies_open", "deposit_copies", ["copy_id"], unique=True,
                    sqlite_where=sa.text("removed_at IS NULL"), postgresql_where=sa.text("removed_at IS NULL"))
    op.create_index("ix_deposit_copies_deposit", "deposit_copies", ["deposit_id"])


def downgrade():
    op.drop_table("deposit_copies")
    op.drop_table("deposits")
