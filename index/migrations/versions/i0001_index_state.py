"""The search stage's first tables: index_state, index_runs.

Revision ID: i0001
Revises:
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "i0001"
down_revision = None
branch_labels = ("index",)
depends_on = "h0001"


def upgrade():
    op.create_table(
        "index_state",
        sa.Column("target", sa.String(255), primary_key=True),
        sa.Column("doc_id", sa.String(600), primary_key=True),
        sa.Column("work_id", sa.String(300), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_index_state_source", "index_state", ["target", "source"])
    op.create_table(
        "index_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("indexed", sa.Integer, nullable=False),
        sa.Column("deleted", sa.Integer, nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("message", sa.Text),
    )
    op.create_index("ix_index_runs_target", "index_runs", ["target", "status"])


def downgrade():
    op.drop_table("index_runs")
    op.drop_table("index_state")
