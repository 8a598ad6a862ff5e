"""The change log (feed of Create/Update/Delete per resource), record languages for OAI sets, and an
index on transform_records.updated_at for the OAI-PMH provider's keyset paging.

Revision ID: t0002
Revises: t0001
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "t0002"
down_revision = "t0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "change_log",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activity", sa.String(8), nullable=False),
        sa.Column("uri", sa.String(1024), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("source", sa.String(64)),
        sa.Column("record_id", sa.String(512)),
    )
    op.create_index("ix_change_log_uri", "change_log", ["uri"])
    op.create_table(
        "record_languages",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("identifier", sa.String(512), primary_key=True),
        sa.Column("language", sa.String(16), primary_key=True),
    )
    op.create_index("ix_record_languages_language", "record_languages", ["language"])
    op.create_index("ix_transform_records_updated", "transform_records", ["updated_at", "source", "identifier"])


def downgrade():
    op.drop_index("ix_transform_records_updated", table_name="transform_records")
    op.drop_table("record_languages")
    op.drop_table("change_log")
