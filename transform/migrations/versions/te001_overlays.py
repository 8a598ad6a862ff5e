"""Enrichment overlays (record_overlays) and the merged MARC the OAI provider serves (overlaid_records).

Revision ID: te001_overlays
Revises: t0007i
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "te001_overlays"
down_revision = "t0007i"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "record_overlays",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("identifier", sa.String(512), nullable=False),
        sa.Column("group_name", sa.String(32), nullable=False),
        sa.Column("tag", sa.String(3), nullable=False),
        sa.Column("position", sa.String(8), nullable=False, server_default=""),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("from_source", sa.String(64), nullable=False),
        sa.Column("from_identifier", sa.String(512), nullable=False),
        sa.Column("library", sa.String(64), nullable=False),
        sa.Column("principal", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("superseded_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_record_overlays_record", "record_overlays", ["source", "identifier"])
    op.create_table(
        "overlaid_records",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("identifier", sa.String(512), primary_key=True),
        sa.Column("marcxml", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade():
    op.drop_table("overlaid_records")
    op.drop_index("ix_record_overlays_record", table_name="record_overlays")
    op.drop_table("record_overlays")
