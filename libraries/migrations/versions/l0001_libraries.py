"""Service points, opening hours, closed days and contacts of the libraries.

Revision ID: l0001
Revises:
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "l0001"
down_revision = None
branch_labels = ("libraries",)
depends_on = None


def upgrade():
    op.create_table(
        "service_points",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("library", sa.String(128), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("municipality", sa.String(128), nullable=False, server_default=""),
        sa.Column("address", sa.Text, nullable=False, server_default=""),
        sa.Column("latitude", sa.String(16), nullable=False, server_default=""),
        sa.Column("longitude", sa.String(16), nullable=False, server_default=""),
        sa.Column("pickup", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("library", "code", name="uq_service_points_code"),
        sa.CheckConstraint("kind IN ('main', 'branch', 'bookbus_stop', 'bookboat_stop', 'depot', 'school')",
                           name="ck_service_points_kind"),
    )
    op.create_table(
        "opening_hours",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("service_point", sa.Integer, sa.ForeignKey("service_points.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("weekday", sa.Integer, nullable=False),
        sa.Column("opens", sa.Time, nullable=False),
        sa.Column("closes", sa.Time, nullable=False),
        sa.Column("valid_from", sa.Date),
        sa.Column("valid_to", sa.Date),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="ck_opening_hours_weekday"),
        sa.CheckConstraint("opens < closes", name="ck_opening_hours_order"),
    )
    op.create_index("ix_opening_hours_point", "opening_hours", ["service_point", "weekday"])
    op.create_table(
        "closed_days",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("library", sa.String(128), nullable=False),
        sa.Column("service_point", sa.Integer, sa.ForeignKey("service_points.id", ondelete="CASCADE")),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.UniqueConstraint("library", "service_point", "day", name="uq_closed_days"),
    )
    op.create_index("ix_closed_days_library_day", "closed_days", ["library", "day"])
    op.create_table(
        "library_contacts",
        sa.Column("library", sa.String(128), primary_key=True),
        sa.Column("email", sa.String(256), nullable=False, server_default=""),
        sa.Column("phone", sa.String(64), nullable=False, server_default=""),
        sa.Column("web", sa.String(512), nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade():
    for name in ("library_contacts", "closed_days", "opening_hours", "service_points"):
        op.drop_table(name)
