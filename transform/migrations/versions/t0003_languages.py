"""Detected languages per record: language_detections.

Revision ID: t0003
Revises: t0002
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "t0003"
down_revision = "t0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "language_detections",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("identifier", sa.String(512), primary_key=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("catalogued", sa.Text, nullable=False),
        sa.Column("effective", sa.String(256), nullable=False),
        sa.Column("effective_is_detected", sa.Boolean, nullable=False),
        sa.Column("detected_code", sa.String(16)),
        sa.Column("confidence", sa.Float),
        sa.Column("evidence", sa.Text),
        sa.Column("problems", sa.Text),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_language_detections_detected", "language_detections", ["detected_code"])


def downgrade():
    op.drop_index("ix_language_detections_detected", table_name="language_detections")
    op.drop_table("language_detections")
