"""Copies carry their item type (vocab.item_types, from 952 $y or the record's leader) and the code as sent.

Revision ID: t0007i
Revises: t0006
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "t0007i"
down_revision = "t0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("copies") as batch:
        batch.add_column(sa.Column("item_type", sa.String(32), nullable=False, server_default=""))
        batch.add_column(sa.Column("item_type_code", sa.String(64), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("copies") as batch:
        batch.drop_column("item_type_code")
        batch.drop_column("item_type")
