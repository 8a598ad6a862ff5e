"""Items and languages per converted record (statistics_facts), the rows behind the statistics graph.

Revision ID: t0004
Revises: t0003
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "t0004"
down_revision = "t0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "statistics_facts",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("identifier", sa.String(512), primary_key=True),
        sa.Column("library", sa.String(600), primary_key=True),
        sa.Column("language", sa.String(300), primary_key=True),
        sa.Column("items", sa.Integer, nullable=False),
    )


def downgrade():
    op.drop_table("statistics_facts")
