"""The libraries package's tables (created by `libraries/migrations/versions/`).

A library (`vocab.libraries` id) has one or more service points; the first, `main`, is the library's own
building and is created for every configured library (`ensure_main_points`). Opening hours are per
service point and weekday within a validity period (summer hours); closed days per library or per service
point. Contacts are per library.
"""

from sqlalchemy import (Boolean, CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer, MetaData,
                        String, Table, Text, Time, UniqueConstraint)

metadata = MetaData()

KINDS = ("main", "branch", "bookbus_stop", "bookboat_stop", "depot", "school")

service_points = Table(
    "service_points", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("library", String(128), nullable=False),          # vocab.libraries id
    Column("code", String(64), nullable=False),              # unique within the library ("main", "HOV", ...)
    Column("kind", String(16), nullable=False),
    Column("name", String(256), nullable=False),
    Column("municipality", String(128), nullable=False, default=""),
    Column("address", Text, nullable=False, default=""),
    Column("latitude", String(16), nullable=False, default=""),
    Column("longitude", String(16), nullable=False, default=""),
    Column("pickup", Boolean, nullable=False, default=True),   # holds may be picked up here
    Column("active", Boolean, nullable=False, default=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("library", "code", name="uq_service_points_code"),
    CheckConstraint("kind IN ('main', 'branch', 'bookbus_stop', 'bookboat_stop', 'depot', 'school')",
                    name="ck_service_points_kind"),
)

opening_hours = Table(
    "opening_hours", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service_point", Integer, ForeignKey("service_points.id", ondelete="CASCADE"), nullable=False),
    Column("weekday", Integer, nullable=False),               # 0 = Monday ... 6 = Sunday
    Column("opens", Time, nullable=False),
    Column("closes", Time, nullable=False),
    Column("valid_from", Date),                               # NULL: always
    Column("valid_to", Date),
    Column("note", Text, nullable=False, default=""),          # "meråpent", "staffed", ...
    CheckConstraint("weekday BETWEEN 0 AND 6", name="ck_opening_hours_weekday"),
    CheckConstraint("opens < closes", name="ck_opening_hours_order"),
    Index("ix_opening_hours_point", "service_point", "weekday"),
)

closed_days = Table(
    "closed_days", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("library", String(128), nullable=False),
    Column("service_point", Integer, ForeignKey("service_points.id", ondelete="CASCADE")),  # NULL: all
    Column("day", Date, nullable=False),
    Column("reason", Text, nullable=False, default=""),
    UniqueConstraint("library", "service_point", "day", name="uq_closed_days"),
    Index("ix_closed_days_library_day", "library", "day"),
)

contacts = Table(
    "library_contacts", metadata,
    Column("library", String(128), primary_key=True),
    Column("email", String(256), nullable=False, default=""),
    Column("phone", String(64), nullable=False, default=""),
    Column("web", String(512), nullable=False, default=""),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
