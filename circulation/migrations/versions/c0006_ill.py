"""Circulation: inter-library loans over NCIP (NNCIPP 1.0) with libraries outside the county.

Revision ID: c0006_ill
Revises: c0003
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "c0006_ill"
down_revision = "c0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ill_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("library", sa.String(128), nullable=False),
        sa.Column("peer_agency", sa.String(32), nullable=False),
        sa.Column("request_agency", sa.String(32), nullable=False),
        sa.Column("request_value", sa.String(128), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("patron_id", sa.Integer, sa.ForeignKey("patrons.id", ondelete="SET NULL")),
        sa.Column("user_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("record", sa.String(512), nullable=False, server_default=""),
        sa.Column("bibliographic", sa.Text, nullable=False, server_default=""),
        sa.Column("title", sa.String(512), nullable=False, server_default=""),
        sa.Column("barcode", sa.String(128), nullable=False, server_default=""),
        sa.Column("copy_id", sa.Integer),
        sa.Column("due_date", sa.Date),
        sa.Column("renewals", sa.Integer, nullable=False, server_default="0"),
        sa.Column("lent_at", sa.DateTime(timezone=True)),
        sa.Column("returned_at", sa.DateTime(timezone=True)),
        sa.Column("note", sa.String(512), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("role", "request_agency", "request_value", name="uq_ill_requests_request"),
    )
    op.create_index("ix_ill_requests_library_state", "ill_requests", ["library", "state"])
    op.create_index("ix_ill_requests_patron", "ill_requests", ["patron_id"])


def downgrade():
    op.drop_table("ill_requests")
