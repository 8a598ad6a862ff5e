"""Circulation: county-wide holds (work, record or copy; pickup library; queue; suspension; the copy chosen
and its lender; pickup number and shelf expiry; staff who placed it), hold events for notices, an index of
loans by record (expected dates), and the transport routes (book bus, book boat, van) with the libraries
they serve.

The old minimal holds rows ("waiting" = someone waits for the record) become `placed` record holds.

Revision ID: c0004_holds
Revises: c0003
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "c0004_holds"
down_revision = "c0003"
branch_labels = None
depends_on = None

NEW_COLUMNS = (
    ("level", sa.String(8), dict(nullable=False, server_default="record")),
    ("work_id", sa.String(600), {}),
    ("copy_id", sa.Integer, {}),
    ("languages", sa.String(128), dict(nullable=False, server_default="")),
    ("queue_key", sa.String(700), dict(nullable=False, server_default="")),
    ("suspended_until", sa.Date, {}),
    ("assigned_copy_id", sa.Integer, {}),
    ("lender_library", sa.String(128), {}),
    ("expected_on", sa.Date, {}),
    ("pickup_number", sa.String(16), dict(nullable=False, server_default="")),
    ("shelf_expires_on", sa.Date, {}),
    ("placed_by", sa.String(128), {}),
    ("updated_at", sa.DateTime(timezone=True), {}),
)


OPEN_ASSIGNED = "assigned_copy_id IS NOT NULL AND status IN ('placed', 'in_transit', 'waiting')"


def upgrade():
    with op.batch_alter_table("holds") as batch:
        for name, kind, options in NEW_COLUMNS:
            batch.add_column(sa.Column(name, kind, **options))
        batch.alter_column("status", existing_type=sa.String(16), server_default="placed")
    op.execute("UPDATE holds SET status = 'placed' WHERE status = 'waiting'")
    op.execute("UPDATE holds SET queue_key = source || ':' || identifier WHERE queue_key = ''")
    op.create_index("ix_holds_queue", "holds", ["queue_key", "status", "placed_at"])
    op.create_index("ix_holds_patron", "holds", ["patron_id", "status"])
    op.create_index("ix_holds_assigned", "holds", ["assigned_copy_id"])
    op.create_index("uq_holds_assigned_open", "holds", ["assigned_copy_id"], unique=True,
                    sqlite_where=sa.text(OPEN_ASSIGNED), postgresql_where=sa.text(OPEN_ASSIGNED))
    op.create_index("ix_holds_work", "holds", ["work_id", "status"])
    op.create_index("ix_loans_record", "loans", ["source", "identifier"])
    op.create_table(
        "hold_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("hold_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_hold_events_kind", "hold_events", ["kind", "id"])
    op.create_table(
        "routes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False, server_default="van"),
        sa.Column("weekdays", sa.String(32), nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "route_stops",
        sa.Column("route_id", sa.Integer, sa.ForeignKey("routes.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("n", sa.Integer, primary_key=True),
        sa.Column("library", sa.String(128), nullable=False),
        sa.Column("stop", sa.String(128), nullable=False, server_default=""),
    )
    op.create_index("ix_route_stops_library", "route_stops", ["library"])


def downgrade():
    op.drop_table("route_stops")
    op.drop_table("routes")
    op.drop_table("hold_events")
    op.drop_index("ix_loans_record", "loans")
    for name in ("ix_holds_work", "uq_holds_assigned_open", "ix_holds_assigned", "ix_holds_patron", "ix_holds_queue"):
        op.drop_index(name, "holds")
    with op.batch_alter_table("holds") as batch:
        for name, _, _ in reversed(NEW_COLUMNS):
            batch.drop_column(name)
