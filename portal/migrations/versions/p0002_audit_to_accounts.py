"""The staff audit trail moves to the accounts package (`staff_events`): old rows are copied, the table dropped.

Revision ID: p0002
Revises: p0001
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "p0002"
down_revision = "p0001"
branch_labels = None
depends_on = "a0001"


def upgrade():
    op.execute(sa.text("INSERT INTO staff_events (at, event, library, principal, client, session, detail) "
                       "SELECT at, event, library, principal, client, session, detail FROM staff_audit"))
    op.drop_table("staff_audit")


def downgrade():
    raise NotImplementedError("the audit trail lives in accounts now")
