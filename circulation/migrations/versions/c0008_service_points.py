"""Circulation: a hold's pickup may be a service point (a book-bus or book-boat stop, `libraries`' service
points, on a route's `route_stops.stop`): `holds.pickup_point` holds its code.

Revision ID: c0008_service_points
Revises: c0004_holds
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "c0008_service_points"
down_revision = "c0004_holds"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("holds") as batch:
        batch.add_column(sa.Column("pickup_point", sa.String(128)))


def downgrade():
    with op.batch_alter_table("holds") as batch:
        batch.drop_column("pickup_point")
