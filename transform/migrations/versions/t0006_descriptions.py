"""Each converted record's description, packed (record_descriptions), for readers of whole records.

Revision ID: t0006
Revises: t0005
Create Date: 2027-01-10
"""
import sqlalchemy as sa
from alembic import op

revision = "t0006"
down_revision = "t0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "record_descriptions",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("identifier", sa.String(512), primary_key=True),
        sa.Column("description", sa.LargeBinary, nullable=False),
    )


def downgrade():
    op.drop_table("record_descriptions")
