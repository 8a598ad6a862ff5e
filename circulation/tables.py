"""The circulation core's tables: patrons, loans, the rules matrix, item types, patron categories, holds
waiting on a title, and the PIN-guess counter.

Defined once here; `circulation/migrations/versions/` creates them. Copies themselves are the transform
stage's `copies` rows (`transform.copies`): a loan names its copy by id and keeps the barcode, record and
the facts statistics need (patron category, item type, libraries) so that anonymising a loan at return
(`patron_id` set to NULL) loses nothing a report asks for.

The invariants live in the database, not in code: one open loan per copy is a partial unique index
(`returned_at IS NULL`) on SQLite and PostgreSQL alike, as Evergreen's
`only_one_concurrent_checkout_per_copy`.
"""

from sqlalchemy import (Boolean, CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer, MetaData,
                        String, Table, Text, UniqueConstraint, text)

from vocab import patron_categories

metadata = MetaData()

#: Patron categories are `vocab.patron_categories`' (the Mikromarc borrower groups map onto these there;
#: `ill-library` is a library borrowing for inter-library loan).
CATEGORIES = patron_categories.CATEGORIES
#: Patron states: `blocked` carries a reason; `expired` is a card past its end (the register's states).
PATRON_STATES = ("active", "blocked", "expired")
#: Item types are `vocab.item_types` codes (Mikromarc's media groups and Koha's 952 $y land on these; a copy
#: with none is a `book`); the `item_types` table holds them for the foreign key of `copy_types`.

patron_categories = Table(
    "patron_categories", metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(128), nullable=False),
)

item_types = Table(
    "item_types", metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(128), nullable=False),
)

patrons = Table(
    "patrons", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("card", String(32), nullable=False, unique=True),
    Column("pin_hash", Text, nullable=False),
    Column("name", String(256), nullable=False),
    Column("email", String(256), nullable=False, default=""),
    Column("phone", String(64), nullable=False, default=""),
    Column("language", String(8), nullable=False, default="nb"),
    Column("library", String(128), nullable=False),          # home library (vocab.libraries id)
    Column("category", String(32), ForeignKey("patron_categories.code"), nullable=False),
    Column("birth_year", Integer),                            # never a national identity number
    Column("guardian_id", Integer, ForeignKey("patrons.id", ondelete="SET NULL")),
    Column("status", String(16), nullable=False, default="active"),
    Column("block_reason", String(255), nullable=False, default=""),
    Column("keep_history", Boolean, nullable=False, default=False),   # opted in to loan history
    Column("expires_on", Date),
    Column("pin_failures", Integer, nullable=False, default=0),
    Column("locked_until", DateTime(timezone=True)),
    #: Bumped by every transaction on the patron: its UPDATE is the row lock that serialises a patron's
    #: checkouts (limits hold under concurrency on PostgreSQL; SQLite takes its write lock there).
    Column("tx_seq", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("status IN ('active', 'blocked', 'expired')", name="ck_patrons_status"),
    CheckConstraint("language IN ('nb', 'nn', 'se', 'en')", name="ck_patrons_language"),
    Index("ix_patrons_library", "library"),
)

#: A staff override of a copy's type (the holdings' own reading is `copies.item_type`, transform's).
copy_types = Table(
    "copy_types", metadata,
    Column("copy_id", Integer, primary_key=True),
    Column("item_type", String(32), ForeignKey("item_types.code"), nullable=False),
)

#: The rules matrix: NULL in library, category or item_type means "any"; the most specific row wins
#: (item type, then category, then library weigh in that order, as Koha's circulation_rules).
circulation_rules = Table(
    "circulation_rules", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("library", String(128)),
    Column("category", String(32)),
    Column("item_type", String(32)),
    Column("loan_days", Integer, nullable=False),
    Column("renewals", Integer, nullable=False),
    Column("loan_limit", Integer, nullable=False),
    Column("hold_limit", Integer, nullable=False),
    Column("fees", Boolean, nullable=False, default=False),
    #: Whole kroner a replacement claim asks for a lost copy (only when `fees` is on; 0: a claim without amount).
    Column("replacement_fee", Integer, nullable=False, default=0, server_default="0"),
    Column("note", String(255), nullable=False, default=""),
    UniqueConstraint("library", "category", "item_type", name="uq_circulation_rules_match"),
)

loans = Table(
    "loans", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("copy_id", Integer, nullable=False),
    Column("barcode", String(128), nullable=False),
    Column("source", String(64), nullable=False),
    Column("identifier", String(512), nullable=False),
    Column("patron_id", Integer, ForeignKey("patrons.id", ondelete="SET NULL")),   # NULL once anonymised
    Column("patron_category", String(32), nullable=False),
    Column("patron_library", String(128), nullable=False),
    Column("item_type", String(32), nullable=False),
    Column("library", String(128), nullable=False),          # the lending library
    Column("desk", String(64), nullable=False, default=""),
    Column("channel", String(16), nullable=False, default="desk"),
    Column("out_at", DateTime(timezone=True), nullable=False),
    Column("due_date", Date, nullable=False),
    Column("renewals", Integer, nullable=False, default=0),
    Column("returned_at", DateTime(timezone=True)),
    Column("return_library", String(128)),
    Index("uq_loans_open_copy", "copy_id", unique=True, sqlite_where=text("returned_at IS NULL"),
          postgresql_where=text("returned_at IS NULL")),
    Index("ix_loans_patron_open", "patron_id", "returned_at"),
    Index("ix_loans_record", "source", "identifier"),          # a hold's expected date reads its record's loans
)

#: A hold: on a work (any record of the work's cluster, in the patron's languages), a record (one library's
#: record: any of its copies) or one copy. Statuses and levels are `circulation.hold_states`. `source` and
#: `identifier` name the record the patron asked from (for a work hold: the record whose cluster is the
#: work, so the hold follows that record when clusters join or split); `queue_key` is the queue it stands
#: in (the work id, else `source:identifier`) and `placed_at`, then `id`, its stable place there.
holds = Table(
    "holds", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("patron_id", Integer, ForeignKey("patrons.id", ondelete="CASCADE"), nullable=False),
    Column("level", String(8), nullable=False, default="record"),      # work | record | copy
    Column("source", String(64), nullable=False),
    Column("identifier", String(512), nullable=False),
    Column("work_id", String(600)),                                     # the work (cluster id) of a work hold
    Column("copy_id", Integer),                                         # the copy of a copy hold
    Column("languages", String(128), nullable=False, default=""),       # a work hold's languages, space-separated
    Column("queue_key", String(700), nullable=False, default=""),
    Column("pickup_library", String(128), nullable=False),
    Column("status", String(16), nullable=False, default="placed"),
    Column("placed_at", DateTime(timezone=True), nullable=False),
    Column("suspended_until", Date),                                    # skipped by targeting until then
    Column("assigned_copy_id", Integer),                                # the copy chosen to fill it
    Column("lender_library", String(128)),                              # where that copy is
    Column("expected_on", Date),                                        # the date shown to the patron
    Column("pickup_number", String(16), nullable=False, default=""),    # on the shelf slip, never the name
    Column("pickup_point", String(128)),                                # a service point (book-bus stop) or NULL
    Column("shelf_expires_on", Date),                                   # last day on the hold shelf
    Column("placed_by", String(128)),                                   # staff username, NULL: the patron
    Column("updated_at", DateTime(timezone=True)),
    Index("ix_holds_record", "source", "identifier", "status"),
    Index("ix_holds_queue", "queue_key", "status", "placed_at"),
    Index("ix_holds_patron", "patron_id", "status"),
    #: Finding a copy's holds (the partial index below serves only queries that spell its WHERE literally).
    Index("ix_holds_assigned", "assigned_copy_id"),
    #: One open hold per copy (Evergreen's one capture per hold): a lost race to choose a copy is an error
    #: the chooser takes as "taken", never two patrons promised one book.
    Index("uq_holds_assigned_open", "assigned_copy_id", unique=True,
          sqlite_where=text("assigned_copy_id IS NOT NULL AND status IN ('placed', 'in_transit', 'waiting')"),
          postgresql_where=text("assigned_copy_id IS NOT NULL AND status IN ('placed', 'in_transit', 'waiting')")),
    Index("ix_holds_work", "work_id", "status"),
)

#: What happened to a hold that someone else acts on: `hold_ready` when it waits on the shelf (notices read
#: these, by id, and remember the last id they sent).
hold_events = Table(
    "hold_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("hold_id", Integer, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_hold_events_kind", "kind", "id"),
)

#: Transport routes as data: a book bus, book boat or county van and the weekdays it runs (0 = Monday),
#: seeded from `[[routes]]` in the config and edited by staff as seasons change.
routes = Table(
    "routes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("kind", String(16), nullable=False, default="van"),          # bus | boat | van
    Column("weekdays", String(32), nullable=False, default=""),         # "0 3": Monday and Thursday
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

#: The libraries (and their stops: book-bus and book-boat stops, depots) a route serves, in order.
route_stops = Table(
    "route_stops", metadata,
    Column("route_id", Integer, ForeignKey("routes.id", ondelete="CASCADE"), primary_key=True),
    Column("n", Integer, primary_key=True),
    Column("library", String(128), nullable=False),                     # vocab.libraries id
    Column("stop", String(128), nullable=False, default=""),            # a service point's code, "" the library itself
    Index("ix_route_stops_library", "library"),
)

#: A replacement claim for a lost copy: `open` until the copy is found (`found`) or staff settle it
#: (`settled`); `amount` is in whole kroner, 0 unless the rule that lent the copy has fees on.
claims = Table(
    "claims", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("copy_id", Integer, nullable=False),
    Column("barcode", String(128), nullable=False),
    Column("loan_id", Integer),
    Column("patron_id", Integer, ForeignKey("patrons.id", ondelete="SET NULL")),
    Column("library", String(128), nullable=False),
    Column("amount", Integer, nullable=False, default=0, server_default="0"),
    Column("status", String(16), nullable=False, default="open", server_default="open"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Index("ix_claims_copy_open", "copy_id", "status"),
    Index("ix_claims_patron", "patron_id"),
)

#: Failed PIN checks per client address (the per-card counter is on the patron row).
pin_failures = Table(
    "patron_pin_failures", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_patron_pin_failures_client", "client", "at"),
)

#: One row per borrower, lending library and year: `borrower` is a keyed hash of the patron id (not
#: reversible without the key, different per year), so "active borrowers" survives anonymised loans and
#: deleted patrons without keeping who they were (the National Library's annual statistics ask for it).
borrower_years = Table(
    "borrower_years", metadata,
    Column("library", String(128), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("borrower", String(32), primary_key=True),
    Column("age_group", String(16), nullable=False),          # children | adults | libraries
)

#: When each copy was first seen at a library and when it went (`circulation.statistics.reconcile_stock`):
#: the annual statistics' additions and withdrawals. `first_seen` NULL: there before the ledger began.
stock_ledger = Table(
    "stock_ledger", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("copy_id", Integer, nullable=False),
    Column("library", String(128), nullable=False),
    Column("first_seen", DateTime(timezone=True)),
    Column("removed_at", DateTime(timezone=True)),
    Index("ix_stock_ledger_copy", "copy_id", "removed_at"),
    Index("ix_stock_ledger_library", "library"),
)

#: A deposit loan: a crate of copies lent by one library to another (a school, a depot, a book bus) for
#: months. `status`: open, then `called` once its date has come (on the list of crates due home), `returned`.
DEPOSIT_STATES = ("open", "called", "returned")

deposits = Table(
    "deposits", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("from_library", String(128), nullable=False),     # the lending (owning) library
    Column("to_library", String(128), nullable=False),       # where the crate stands (vocab.libraries id)
    Column("place", String(256), nullable=False, default=""),   # a service point there: school, depot, stop
    Column("until", Date, nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("status", String(16), nullable=False, default="open"),
    Column("created_by", String(128), nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("called_at", DateTime(timezone=True)),
    Column("returned_at", DateTime(timezone=True)),
    CheckConstraint("status IN ('open', 'called', 'returned')", name="ck_deposits_status"),
    Index("ix_deposits_status_until", "status", "until"),
)

#: The copies in a deposit; `removed_at` NULL while the copy is in it. One open deposit per copy is a
#: partial unique index, as one open loan per copy.
deposit_copies = Table(
    "deposit_copies", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("deposit_id", Integer, ForeignKey("deposits.id", ondelete="CASCADE"), nullable=False),
    Column("copy_id", Integer, nullable=False),
    Column("barcode", String(128), nullable=False),
    Column("home_library", String(128), nullable=False),     # where the copy goes back to
    Column("added_at", DateTime(timezone=True), nullable=False),
    Column("removed_at", DateTime(timezone=True)),
    Index("uq_deposit_copies_open", "copy_id", unique=True, sqlite_where=text("removed_at IS NULL"),
          postgresql_where=text("removed_at IS NULL")),
    Index("ix_deposit_copies_deposit", "deposit_id"),
)
