"""Circulation: patron categories, item types, patrons, copy types, the rules matrix, loans (one open loan
per copy: a partial unique index), holds, PIN-guess counter; seeded with the categories, item types and
one county-wide default rule.

Revision ID: c0001
Revises:
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "c0001"
down_revision = None
branch_labels = ("circulation",)
depends_on = None

CATEGORIES = [("adult", "Adult"), ("child", "Child"), ("pupil", "Pupil"), ("staff", "Staff"),
              ("ill-library", "Library (inter-library loan)")]
ITEM_TYPES = [("book", "Book"), ("audiobook", "Audiobook"), ("music", "Music"), ("film", "Film"),
              ("game", "Game"), ("magazine", "Magazine"), ("equipment", "Equipment"),
              ("reference", "Reference"), ("short-loan", "Short loan")]


def _ts(name, nullable=True):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade():
    categories = op.create_table(
        "patron_categories",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
    )
    types = op.create_table(
        "item_types",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
    )
    op.create_table(
        "patrons",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("card", sa.String(32), nullable=False, unique=True),
        sa.Column("pin_hash", sa.Text, nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("email", sa.String(256), nullable=False, server_default=""),
        sa.Column("phone", sa.String(64), nullable=False, server_default=""),
        sa.Column("language", sa.String(8), nullable=False, server_default="nb"),
        sa.Column("library", sa.String(128), nullable=False),
        sa.Column("category", sa.String(32), sa.ForeignKey("patron_categories.code"), nullable=False),
        sa.Column("birth_year", sa.Integer),
        sa.Column("guardian_id", sa.Integer, sa.ForeignKey("patrons.id", ondelete="SET NULL")),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("block_reason", sa.String(255), nullable=False, server_default=""),
        sa.Column("keep_history", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("expires_on", sa.Date),
        sa.Column("pin_failures", sa.Integer, nullable=False, server_default="0"),
        _ts("locked_until"),
        sa.Column("tx_seq", sa.Integer, nullable=False, server_default="0"),
        _ts("created_at", nullable=False),
        _ts("updated_at", nullable=False),
        sa.CheckConstraint("status IN ('active', 'blocked', 'expired')", name="ck_patrons_status"),
        sa.CheckConstraint("language IN ('nb', 'nn', 'se', 'en')", name="ck_patrons_language"),
    )
    op.create_index("ix_patrons_library", "patrons", ["library"])
    op.create_table(
        "copy_types",
        sa.Column("copy_id", sa.Integer, primary_key=True),
        sa.Column("item_type", sa.String(32), sa.ForeignKey("item_types.code"), nullable=False),
    )
    rules = op.create_table(
        "circulation_rules",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("library", sa.String(128)),
        sa.Column("category", sa.String(32)),
        sa.Column("item_type", sa.String(32)),
        sa.Column("loan_days", sa.Integer, nullable=False),
        sa.Column("renewals", sa.Integer, nullable=False),
        sa.Column("loan_limit", sa.Integer, nullable=False),
        sa.Column("hold_limit", sa.Integer, nullable=False),
        sa.Column("fees", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("note", sa.String(255), nullable=False, server_default=""),
        sa.UniqueConstraint("library", "category", "item_type", name="uq_circulation_rules_match"),
    )
    op.create_table(
        "loans",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("copy_id", sa.Integer, nullable=False),
        sa.Column("barcode", sa.String(128), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("identifier", sa.String(512), nullable=False),
        sa.Column("patron_id", sa.Integer, sa.ForeignKey("patrons.id", ondelete="SET NULL")),
        sa.Column("patron_category", sa.String(32), nullable=False),
        sa.Column("patron_library", sa.String(128), nullable=False),
        sa.Column("item_type", sa.String(32), nullable=False),
        sa.Column("library", sa.String(128), nullable=False),
        sa.Column("desk", sa.String(64), nullable=False, server_default=""),
        sa.Column("channel", sa.String(16), nullable=False, server_default="desk"),
        _ts("out_at", nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("renewals", sa.Integer, nullable=False, server_default="0"),
        _ts("returned_at"),
        sa.Column("return_library", sa.String(128)),
    )
    op.create_index("uq_loans_open_copy", "loans", ["copy_id"], unique=True,
                    sqlite_where=sa.text("returned_at IS NULL"), postgresql_where=sa.text("returned_at IS NULL"))
    op.create_index("ix_loans_patron_open", "loans", ["patron_id", "returned_at"])
    op.create_table(
        "holds",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("patron_id", sa.Integer, sa.ForeignKey("patrons.id", ondelete="CASCADE"), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("identifier", sa.String(512), nullable=False),
        sa.Column("pickup_library", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="waiting"),
        _ts("placed_at", nullable=False),
    )
    op.create_index("ix_holds_record", "holds", ["source", "identifier", "status"])
    op.create_table(
        "patron_pin_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client", sa.String(64), nullable=False),
        _ts("at", nullable=False),
    )
    op.create_index("ix_patron_pin_failures_client", "patron_pin_failures", ["client", "at"])
    op.bulk_insert(categories, [{"code": c, "name": n} for c, n in CATEGORIES])
    op.bulk_insert(types, [{"code": c, "name": n} for c, n in ITEM_TYPES])
    op.bulk_insert(rules, [
        {"library": None, "category": None, "item_type": None, "loan_days": 28, "renewals": 2,
         "loan_limit": 50, "hold_limit": 20, "fees": False, "note": "county default"},
        {"library": None, "category": None, "item_type": "film", "loan_days": 14, "renewals": 1,
         "loan_limit": 50, "hold_limit": 20, "fees": False, "note": "films: two weeks"},
        {"library": None, "category": None, "item_type": "short-loan", "loan_days": 7, "renewals": 0,
         "loan_limit": 50, "hold_limit": 20, "fees": False, "note": "short loan"},
        {"library": None, "category": None, "item_type": "reference", "loan_days": 0, "renewals": 0,
         "loan_limit": 0, "hold_limit": 0, "fees": False, "note": "reference: not for loan"},
    ])


def downgrade():
    for name in ("patron_pin_failures", "holds", "loans", "circulation_rules", "copy_types", "patrons",
                 "item_types", "patron_categories"):
        op.drop_table(name)
