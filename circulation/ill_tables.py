"""Inter-library loans with libraries outside the county (NCIP, NNCIPP 1.0): one row per request, on the side
that borrows (`role = 'borrowing'`, the patron's home library) or the side that lends (`'lending'`).

A request is known to both sides by the requesting agency's ISIL and its request id (NNCIPP's RequestId);
that pair is unique per role, so a repeated message finds the same row instead of making a second.

States, after Koha's NNCIPP backend (`H_*`/`O_*`):
- borrowing: requested → shipped (the owner sent it) → received (we told the owner) → lent (to the patron)
  → returned (the patron brought it back) → shipped_back → done (the owner got it); or cancelled.
- lending: requested → shipped (we sent it) → received (the borrower has it) → shipped_back (on its way
  home) → done (we got it back); or cancelled.
The lending side lends its copy to an `ill-library` patron standing for the borrowing library (a real loan,
counted as an inter-library loan out); the borrowing side's loan to its patron lives on this row (the copy
is not in our catalogue) and counts as an inter-library loan in.
"""

from sqlalchemy import Column, Date, DateTime, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from circulation.tables import metadata

ROLES = ("borrowing", "lending")
STATES = ("requested", "shipped", "received", "lent", "returned", "shipped_back", "done", "cancelled")
#: States in which the request is still under way.
OPEN_STATES = ("requested", "shipped", "received", "lent", "returned", "shipped_back")

ill_requests = Table(
    "ill_requests", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("role", String(16), nullable=False),
    Column("library", String(128), nullable=False),          # our library (vocab.libraries id)
    Column("peer_agency", String(32), nullable=False),        # the other library's ISIL
    Column("request_agency", String(32), nullable=False),     # RequestId/AgencyId: who made the request
    Column("request_value", String(128), nullable=False),     # RequestId/RequestIdentifierValue
    Column("state", String(16), nullable=False, default="requested"),
    Column("patron_id", Integer, ForeignKey("patrons.id", ondelete="SET NULL")),   # borrowing: our patron
    Column("user_id", String(64), nullable=False, default=""),    # the UserId in the messages
    Column("record", String(512), nullable=False, default=""),   # borrowing: our record's public id
    Column("bibliographic", Text, nullable=False, default=""),   # what was asked for, as "TYPE:value" lines
    Column("title", String(512), nullable=False, default=""),
    Column("barcode", String(128), nullable=False, default=""),  # the lent copy's barcode (the owner's)
    Column("copy_id", Integer),                                   # lending: our copy
    Column("due_date", Date),                                     # the owner's due date
    Column("renewals", Integer, nullable=False, default=0),
    Column("lent_at", DateTime(timezone=True)),                   # borrowing: lent to the patron
    Column("returned_at", DateTime(timezone=True)),               # borrowing: the patron returned it
    Column("note", String(512), nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("role", "request_agency", "request_value", name="uq_ill_requests_request"),
    Index("ix_ill_requests_library_state", "library", "state"),
    Index("ix_ill_requests_patron", "patron_id"),
)
