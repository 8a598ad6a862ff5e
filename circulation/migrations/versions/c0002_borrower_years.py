"""Circulation: borrower_years, the pseudonymous "was an active borrower at this library this year" rows
that the annual statistics count after loans have been anonymised.

Revision ID: c0002
Revises: c0001
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "c0002"
down_revision = "c0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "borrower_years",
        sa.Column("library", sa.String(128), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("borrower", sa.String(32), primary_key=True),
        sa.Column("age_group", sa.String(16), nullable=False),
    )


def downgrade():
    op.drop_table("borrower_years")
