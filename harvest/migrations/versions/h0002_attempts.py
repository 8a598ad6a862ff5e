"""Every harvest and import of a source, with its outcome: harvest_attempts.

Revision ID: h0002_attempts
Revises: h0001
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "h0002_attempts"
down_revision = "h0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "harvest_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("started", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished", sa.DateTime(timezone=True)),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("records", sa.Integer, nullable=False),
        sa.Column("deletes", sa.Integer, nullable=False),
        sa.Column("quarantined", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("alerted", sa.Boolean, nullable=False),
    )
    op.create_index("ix_harvest_attempts_source_started", "harvest_attempts", ["source", "started"])


def downgrade():
    op.drop_index("ix_harvest_attempts_source_started", "harvest_attempts")
    op.drop_table("harvest_attempts")
