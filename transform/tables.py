"""The transform stage's tables: per-record transform state with its cluster, the cluster key index,
clusters, and the librarians' manual overrides.

Defined once here; `transform/migrations/versions/` creates them. Everything a later run needs to
decide what changed (checksums) and every fact behind a merge decision (keys, explanation) lives in
these rows, so `explain-cluster` never has to recompute anything.
"""

from sqlalchemy import (Boolean, Column, DateTime, Float, Index, Integer, MetaData, String, Table, Text,
                        UniqueConstraint)

metadata = MetaData()

transform_records = Table(
    "transform_records", metadata,
    Column("source", String(64), primary_key=True),
    Column("identifier", String(512), primary_key=True),
    Column("record_id", String(512), nullable=False),      # URI-safe local id, never changes once minted
    Column("checksum", String(64)),                         # record checksum last converted (or tried)
    Column("holdings_checksum", String(64)),                # digest of its holdings records' checksums
    Column("status", String(16), nullable=False),           # ok | error | deleted
    Column("error", Text),
    Column("cluster_id", String(600)),
    Column("converted_cluster", String(600)),               # work id the stored graph was minted with
    Column("keys", Text),                                   # ClusterKeys as JSON
    Column("explanation", Text),                            # the assignment decision as JSON
    Column("triples", Integer, nullable=False, default=0),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("source", "record_id", name="uq_transform_records_record_id"),
    Index("ix_transform_records_cluster", "cluster_id"),
)

cluster_keys = Table(
    "cluster_keys", metadata,
    Column("key", String(512), primary_key=True),
    Column("source", String(64), primary_key=True),
    Column("identifier", String(512), primary_key=True),
    Column("title_key", String(512), nullable=False, default=""),
    Index("ix_cluster_keys_record", "source", "identifier"),
)

clusters = Table(
    "clusters", metadata,
    Column("cluster_id", String(600), primary_key=True),
    Column("translation_of", String(600)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

cluster_overrides = Table(
    "cluster_overrides", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(8), nullable=False),              # join | split
    Column("source", String(64), nullable=False),
    Column("identifier", String(512), nullable=False),
    Column("other_source", String(64)),                     # join: the record whose work this one joins
    Column("other_identifier", String(512)),
    Column("note", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_cluster_overrides_record", "source", "identifier"),
)

transform_state = Table(
    "transform_state", metadata,
    Column("source", String(64), primary_key=True),
    Column("last_run", DateTime(timezone=True)),
    Column("last_summary", Text),
)

language_detections = Table(
    "language_detections", metadata,
    Column("source", String(64), primary_key=True),
    Column("identifier", String(512), primary_key=True),
    Column("reason", Text, nullable=False),                 # why detection ran (collective smi, Sami letters ...)
    Column("catalogued", Text, nullable=False),             # [[code, role], ...] as JSON, never changed
    Column("effective", String(256), nullable=False),       # the facet's codes, space-separated
    Column("effective_is_detected", Boolean, nullable=False),
    Column("detected_code", String(16)),
    Column("confidence", Float),
    Column("evidence", Text),                               # JSON list of reasons
    Column("problems", Text),                               # JSON list
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_language_detections_detected", "detected_code"),
)
"""Records whose languages the pipeline ran detection on (no usable code, or signs of another language):
what was detected, how sure, why, and what the language facet should use (`transform/languages_store.py`)."""
