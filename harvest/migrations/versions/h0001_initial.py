"""The harvest stage's first tables: records, quarantine, harvest_state.

Revision ID: h0001
Revises:
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "h0001"
down_revision = None
branch_labels = ("harvest",)
depends_on = None


def _ts(name, nullable=True):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade():
    op.create_table(
        "records",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("identifier", sa.String(512), nullable=False),
        sa.Column("record_type", sa.String(16), nullable=False),
        sa.Column("control_number", sa.String(128)),
        sa.Column("parent", sa.String(128)),
        sa.Column("datestamp", sa.String(32)),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("checksum", sa.String(64)),
        sa.Column("marcxml", sa.Text),
        sa.Column("error", sa.Text),
        _ts("first_seen", False), _ts("last_seen", False), _ts("changed_at", False),
        sa.UniqueConstraint("source", "identifier", name="uq_records_source_identifier"),
    )
    op.create_index("ix_records_source_control", "records", ["source", "control_number"])
    op.create_index("ix_records_source_parent", "records", ["source", "parent"])
    op.create_index("ix_records_changed_at", "records", ["changed_at"])
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("identifier", sa.String(512)),
        sa.Column("location", sa.Text),
        sa.Column("cause", sa.Text, nullable=False),
        sa.Column("raw", sa.LargeBinary),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        _ts("created_at", False),
        sa.UniqueConstraint("fingerprint", name="uq_quarantine_fingerprint"),
    )
    op.create_index("ix_quarantine_source", "quarantine", ["source"])
    op.create_table(
        "harvest_state",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("metadata_prefix", sa.String(64)),
        sa.Column("set_spec", sa.String(256)),
        sa.Column("window_from", sa.String(32)),
        sa.Column("window_until", sa.String(32)),
        sa.Column("token", sa.Text),
        sa.Column("next_from", sa.String(32)),
        _ts("started_at"), _ts("last_harvest"),
        sa.Column("pages", sa.Integer, nullable=False),
        sa.Column("records_seen", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
    )


def downgrade():
    op.drop_table("harvest_state")
    op.drop_table("quarantine")
    op.drop_table("records")
