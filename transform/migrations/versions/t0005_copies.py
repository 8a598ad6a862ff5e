"""Copies as data: one row per copy (item), kept by the transform stage and written by circulation.

Revision ID: t0005
Revises: t0004
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "t0005"
down_revision = "t0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "copies",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("identifier", sa.String(512), nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("item_id", sa.String(128), nullable=False, server_default=""),
        sa.Column("library", sa.String(128)),
        sa.Column("library_code", sa.String(128), nullable=False, server_default=""),
        sa.Column("location", sa.String(512), nullable=False, server_default=""),
        sa.Column("call_number", sa.String(256), nullable=False, server_default=""),
        sa.Column("status", sa.String(32), nullable=False, server_default="unknown"),
        sa.Column("due_date", sa.String(10), nullable=False, server_default=""),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("status_source", sa.String(16), nullable=False, server_default="harvest"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("source", "identifier", "n", name="uq_copies_record_place"),
    )
    op.create_index("ix_copies_item", "copies", ["source", "item_id"])
    op.create_index("ix_copies_updated", "copies", ["updated_at"])
    op.create_index("ix_copies_library", "copies", ["library"])


def downgrade():
    op.drop_table("copies")
