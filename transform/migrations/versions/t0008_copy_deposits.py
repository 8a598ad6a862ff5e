"""Copies on deposit (`circulation.deposits`): until when and at which service point, for search and pages.

Revision ID: t0008_deposits
Revises: t0007i
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "t0008_deposits"
down_revision = "t0007i"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("copies") as batch:
        batch.add_column(sa.Column("deposit_until", sa.String(10), nullable=False, server_default=""))
        batch.add_column(sa.Column("deposit_place", sa.String(256), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("copies") as batch:
        batch.drop_column("deposit_place")
        batch.drop_column("deposit_until")
