"""The search stage's bookkeeping: what each index target holds, and when runs finished.

`index_state` has one row per (target, document): the checksum and work last sent, so a run sends only
what changed and can delete a re-clustered document under its old shard route. A row is written only
after the backend committed the document, so a run that fails half-way is completed by the next one.
"""

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

index_state = Table(
    "index_state", metadata,
    Column("target", String(255), primary_key=True),
    Column("doc_id", String(600), primary_key=True),
    Column("work_id", String(300), nullable=False),
    Column("source", String(64), nullable=False),
    Column("checksum", String(64), nullable=False),
    Column("indexed_at", DateTime(timezone=True), nullable=False),
    Index("ix_index_state_source", "target", "source"),
)

index_runs = Table(
    "index_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("target", String(255), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("status", String(16), nullable=False),
    Column("indexed", Integer, nullable=False, default=0),
    Column("deleted", Integer, nullable=False, default=0),
    Column("errors", Integer, nullable=False, default=0),
    Column("message", Text),
    Index("ix_index_runs_target", "target", "status"),
)
