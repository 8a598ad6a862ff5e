"""The harvest stage's tables: raw records, quarantined input, harvest checkpoints and attempts.

Defined once here; `harvest/migrations/versions/` creates them. The record row keeps the raw MARCXML
exactly as harvested so that every later stage can be re-run from it.
"""

from sqlalchemy import (Boolean, Column, DateTime, Index, Integer, LargeBinary, MetaData, String, Table,
                        Text, UniqueConstraint)

metadata = MetaData()

records = Table(
    "records", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("identifier", String(512), nullable=False),
    Column("record_type", String(16), nullable=False, default="bib"),
    Column("control_number", String(128)),
    Column("parent", String(128)),
    Column("datestamp", String(32)),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("checksum", String(64)),
    Column("marcxml", Text),
    Column("error", Text),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("source", "identifier", name="uq_records_source_identifier"),
    Index("ix_records_source_control", "source", "control_number"),
    Index("ix_records_source_parent", "source", "parent"),
    Index("ix_records_changed_at", "changed_at"),
)

quarantine = Table(
    "quarantine", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("stage", String(32), nullable=False),
    Column("identifier", String(512)),
    Column("location", Text),
    Column("cause", Text, nullable=False),
    Column("raw", LargeBinary),
    Column("fingerprint", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("fingerprint", name="uq_quarantine_fingerprint"),
    Index("ix_quarantine_source", "source"),
)

harvest_state = Table(
    "harvest_state", metadata,
    Column("source", String(64), primary_key=True),
    Column("status", String(16), nullable=False, default="idle"),
    Column("metadata_prefix", String(64)),
    Column("set_spec", String(256)),
    Column("window_from", String(32)),
    Column("window_until", String(32)),
    Column("token", Text),
    Column("next_from", String(32)),
    Column("started_at", DateTime(timezone=True)),
    Column("last_harvest", DateTime(timezone=True)),
    Column("pages", Integer, nullable=False, default=0),
    Column("records_seen", Integer, nullable=False, default=0),
    Column("last_error", Text),
)

#: One row per harvest or import of a source: what a librarian and `grenselos status` read to tell a
#: source that works from one that has failed since Tuesday. The checkpoint above says where to resume;
#: this says what happened, and is never overwritten.
harvest_attempts = Table(
    "harvest_attempts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("kind", String(16), nullable=False, default="harvest"),
    Column("started", DateTime(timezone=True), nullable=False),
    Column("finished", DateTime(timezone=True)),
    Column("outcome", String(16), nullable=False),
    Column("records", Integer, nullable=False, default=0),
    Column("deletes", Integer, nullable=False, default=0),
    Column("quarantined", Integer, nullable=False, default=0),
    Column("error", Text),
    Column("alerted", Boolean, nullable=False, default=False),
    Index("ix_harvest_attempts_source_started", "source", "started"),
)
