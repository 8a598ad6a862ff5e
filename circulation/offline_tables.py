"""The offline transactions table: every transaction a desk or kiosk did without the server, as it arrived.

One row per client-generated id (`client_id`, unique), so a resend is answered from the row instead of being
applied twice. A row is `applied`, a `conflict` (not applied: staff decide), or, once staff have decided,
`resolved` (applied after all) or `dismissed`. The card is cleared from rows that were applied or
dismissed: only an open conflict needs to say who was at the desk.
"""

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table

metadata = MetaData()

OUTCOMES = ("applied", "conflict", "resolved", "dismissed")
KINDS = ("checkout", "checkin")

offline_transactions = Table(
    "offline_transactions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(128), nullable=False, unique=True),
    Column("library", String(128), nullable=False),          # the library the desk or kiosk belongs to
    Column("desk", String(64), nullable=False, default=""),
    Column("channel", String(16), nullable=False, default="desk"),
    Column("kind", String(16), nullable=False),               # checkout | checkin
    Column("card", String(32), nullable=False, default=""),
    Column("barcode", String(128), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),    # the original time at the desk
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("reason", String(32), nullable=False, default=""),
    Column("loan_id", Integer),
    Column("resolved_by", String(64), nullable=False, default=""),
    Column("resolved_at", DateTime(timezone=True)),
    Index("ix_offline_transactions_open", "library", "outcome"),
)
