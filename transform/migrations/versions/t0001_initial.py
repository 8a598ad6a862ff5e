"""The transform stage's first tables: transform_records, cluster_keys, clusters, cluster_overrides,
transform_state.

Revision ID: t0001
Revises:
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "t0001"
down_revision = None
branch_labels = ("transform",)
depends_on = "h0001"


def _ts(name, nullable=True):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade():
    op.create_table(
        "transform_records",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("identifier", sa.String(512), primary_key=True),
        sa.Column("record_id", sa.String(512), nullable=False),
        sa.Column("checksum", sa.String(64)),
        sa.Column("holdings_checksum", sa.String(64)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("cluster_id", sa.String(600)),
        sa.Column("converted_cluster", sa.String(600)),
        sa.Column("keys", sa.Text),
        sa.Column("explanation", sa.Text),
        sa.Column("triples", sa.Integer, nullable=False),
        _ts("updated_at", False),
        sa.UniqueConstraint("source", "record_id", name="uq_transform_records_record_id"),
    )
    op.create_index("ix_transform_records_cluster", "transform_records", ["cluster_id"])
    op.create_table(
        "cluster_keys",
        sa.Column("key", sa.String(512), primary_key=True),
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("identifier", sa.String(512), primary_key=True),
        sa.Column("title_key", sa.String(512), nullable=False),
    )
    op.create_index("ix_cluster_keys_record", "cluster_keys", ["source", "identifier"])
    op.create_table(
        "clusters",
        sa.Column("cluster_id", sa.String(600), primary_key=True),
        sa.Column("translation_of", sa.String(600)),
        _ts("created_at", False), _ts("updated_at", False),
    )
    op.create_table(
        "cluster_overrides",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("identifier", sa.String(512), nullable=False),
        sa.Column("other_source", sa.String(64)),
        sa.Column("other_identifier", sa.String(512)),
        sa.Column("note", sa.Text),
        _ts("created_at", False),
    )
    op.create_index("ix_cluster_overrides_record", "cluster_overrides", ["source", "identifier"])
    op.create_table(
        "transform_state",
        sa.Column("source", sa.String(64), primary_key=True),
        _ts("last_run"),
        sa.Column("last_summary", sa.Text),
    )


def downgrade():
    op.drop_table("transform_state")
    op.drop_table("cluster_overrides")
    op.drop_table("clusters")
    op.drop_table("cluster_keys")
    op.drop_table("transform_records")
