"""The graph outbox (`graph_outbox`): every write the graph store must take, in the transaction of its change;
and when the applier last replayed it (`graph_outbox_applied`, one row: readers reopen the store after it).

Revision ID: to001_graph_outbox
Revises: t0008_deposits
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "to001_graph_outbox"
down_revision = "t0008_deposits"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "graph_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("op", sa.String(8), nullable=False),
        sa.Column("graphs", sa.Text, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "graph_outbox_applied",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
    )


def downgrade():
    op.drop_table("graph_outbox_applied")
    op.drop_table("graph_outbox")
