"""Circulation: replacement claims for lost copies, the replacement fee a rule may set, and the item types
vocab/item_types.tsv added (sheet music, video games, e-book readers).

Revision ID: c0003
Revises: c0002
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "c0003"
down_revision = "c0002"
branch_labels = None
depends_on = None


NEW_TYPES = [("sheet-music", "Sheet music"), ("videogame", "Video game"), ("ebook-reader", "E-book reader")]


def upgrade():
    with op.batch_alter_table("circulation_rules") as batch:
        batch.add_column(sa.Column("replacement_fee", sa.Integer, nullable=False, server_default="0"))
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("copy_id", sa.Integer, nullable=False),
        sa.Column("barcode", sa.String(128), nullable=False),
        sa.Column("loan_id", sa.Integer),
        sa.Column("patron_id", sa.Integer, sa.ForeignKey("patrons.id", ondelete="SET NULL")),
        sa.Column("library", sa.String(128), nullable=False),
        sa.Column("amount", sa.Integer, nullable=False, server_default="0"),
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_claims_copy_open", "claims", ["copy_id", "status"])
    op.create_index("ix_claims_patron", "claims", ["patron_id"])
    types = sa.table("item_types", sa.column("code", sa.String), sa.column("name", sa.String))
    op.bulk_insert(types, [{"code": c, "name": n} for c, n in NEW_TYPES])


def downgrade():
    op.execute(sa.text("DELETE FROM item_types WHERE code IN ('sheet-music', 'videogame', 'ebook-reader')"))
    op.drop_table("claims")
    with op.batch_alter_table("circulation_rules") as batch:
        batch.drop_column("replacement_fee")
