"""Curated lists: lists, their owners (co-owning libraries), their titles, views per day, and
when the lists graph was last written.

Revision ID: li0001
Revises:
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "li0001"
down_revision = None
branch_labels = ("lists",)
depends_on = None


def _ts(name, nullable=True):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade():
    op.create_table(
        "lists",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("languages", sa.String(64), nullable=False, server_default="nb"),
        sa.Column("titles", sa.JSON, nullable=False),
        sa.Column("blurbs", sa.JSON, nullable=False),
        sa.Column("audiences", sa.String(256), nullable=False, server_default=""),
        sa.Column("themes", sa.String(512), nullable=False, server_default=""),
        sa.Column("campaign", sa.String(256), nullable=False, server_default=""),
        sa.Column("campaign_date", sa.Date),
        _ts("publish_at"),
        _ts("unpublish_at"),
        sa.Column("saved_search", sa.Text, nullable=False, server_default=""),
        sa.Column("origin", sa.Integer, sa.ForeignKey("lists.id", ondelete="SET NULL")),
        sa.Column("origin_library", sa.String(128), nullable=False, server_default=""),
        _ts("created_at", nullable=False),
        _ts("updated_at", nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=False, server_default=""),
        sqlite_autoincrement=True,    # a deleted list's id is never reused: feeds and widgets link to it
    )
    op.create_index("ix_lists_publish", "lists", ["publish_at", "unpublish_at"])
    op.create_table(
        "list_owners",
        sa.Column("list_id", sa.Integer, sa.ForeignKey("lists.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("library", sa.String(128), primary_key=True),
    )
    op.create_index("ix_list_owners_library", "list_owners", ["library"])
    op.create_table(
        "list_items",
        sa.Column("list_id", sa.Integer, sa.ForeignKey("lists.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("record_id", sa.String(512), nullable=False),
        sa.Column("blurbs", sa.JSON, nullable=False),
        _ts("added_at", nullable=False),
        sa.UniqueConstraint("list_id", "record_id", name="uq_list_items_record"),
    )
    op.create_index("ix_list_items_order", "list_items", ["list_id", "position"])
    op.create_table(
        "list_views",
        sa.Column("list_id", sa.Integer, sa.ForeignKey("lists.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("views", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "list_graph_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        _ts("written_at", nullable=False),
        sa.Column("lists", sa.Integer, nullable=False, server_default="0"),
        sa.Column("triples", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade():
    for name in ("list_graph_runs", "list_views", "list_items", "list_owners", "lists"):
        op.drop_table(name)
