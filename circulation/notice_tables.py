"""The notices tables: every notice to a patron, one row per unique key, and the libraries' own templates.

`notices.key` is unique ("kind:subject:step", e.g. `overdue:loan:812:2026-12-01:2`): a notice is queued at
most once, however often a scan or a caller asks, and the row carries it through `queued` → `sending` →
`sent` (or `failed` with the reason and the next try, `undeliverable` with the reason, `uncertain` when a
run died between handing it to the server and hearing back, `obsolete` when the loan was returned first).
"""

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

KINDS = ("hold_ready", "due_soon", "overdue", "claim")
STATES = ("queued", "sending", "sent", "failed", "undeliverable", "uncertain", "obsolete")
PARTS = ("subject", "text", "html", "sms")

notices = Table(
    "notices", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(255), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    #: The migration's foreign key deletes a patron's notices with the patron (retention, GDPR).
    Column("patron_id", Integer, nullable=False),
    Column("loan_id", Integer),
    Column("hold_id", Integer),
    Column("claim_id", Integer),
    Column("step", String(32), nullable=False, default=""),
    Column("library", String(128), nullable=False, default=""),      # whose templates, whose name signs it
    Column("params", Text, nullable=False, default="{}"),             # JSON: what the templates are given
    Column("status", String(16), nullable=False, default="queued"),
    Column("channel", String(8), nullable=False, default=""),         # email | sms, once chosen
    Column("address", String(256), nullable=False, default=""),
    Column("language", String(8), nullable=False, default=""),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("claimed_at", DateTime(timezone=True)),
    Column("claimed_by", String(64)),
    Column("sent_at", DateTime(timezone=True)),
    Column("message_id", String(255)),                                # SMTP Message-ID / gateway reference
    Column("reason", Text, nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_notices_due", "status", "next_attempt_at"),
    Index("ix_notices_patron", "patron_id"),
)

#: A library's own wording of one part of one notice in one language (the shipped files are the default).
notice_templates = Table(
    "notice_templates", metadata,
    Column("library", String(128), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("language", String(8), primary_key=True),
    Column("part", String(16), primary_key=True),
    Column("body", Text, nullable=False),
    Column("updated_by", String(64), nullable=False, default=""),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
