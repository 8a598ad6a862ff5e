"""The lists package's tables (created by `lists/migrations/versions/`).

A list's texts (title and blurb per language) and each title's blurbs are JSON objects keyed by language
(`{"nb": "…", "se": "…"}`): a list is always read whole, and four languages do not need a join each.
Owners are a table of their own because a list may be co-owned by several libraries and "the lists of
library X" is a query staff pages make. Views are counted per list and day, never per patron.
"""

from sqlalchemy import (JSON, Column, Date, DateTime, ForeignKey, Index, Integer, MetaData, String, Table, Text,
                        UniqueConstraint)

metadata = MetaData()

lists = Table(
    "lists", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("languages", String(64), nullable=False, default="nb"),   # "se,nb": the first is the fallback
    Column("titles", JSON, nullable=False, default=dict),            # {lang: title}
    Column("blurbs", JSON, nullable=False, default=dict),            # {lang: blurb}
    Column("audiences", String(256), nullable=False, default=""),   # space-separated lists.model.AUDIENCES
    Column("themes", String(512), nullable=False, default=""),      # space-separated free tags
    Column("campaign", String(256), nullable=False, default=""),    # "Samefolkets dag", an author's visit
    Column("campaign_date", Date),
    Column("publish_at", DateTime(timezone=True)),                  # NULL: a draft
    Column("unpublish_at", DateTime(timezone=True)),                # NULL: stays up
    Column("saved_search", Text, nullable=False, default=""),       # query string of /search: self-updating
    Column("origin", Integer, ForeignKey("lists.id", ondelete="SET NULL")),   # the list this one copies
    Column("origin_library", String(128), nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(128), nullable=False, default=""),
    Index("ix_lists_publish", "publish_at", "unpublish_at"),
    sqlite_autoincrement=True,        # a deleted list's id is never given to another (its URL is published)
)

list_owners = Table(
    "list_owners", metadata,
    Column("list_id", Integer, ForeignKey("lists.id", ondelete="CASCADE"), primary_key=True),
    Column("library", String(128), primary_key=True),               # vocab.libraries id (a source's library)
    Index("ix_list_owners_library", "library"),
)

list_items = Table(
    "list_items", metadata,
    Column("list_id", Integer, ForeignKey("lists.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),                    # from 1
    Column("record_id", String(512), nullable=False),               # public record id {source}-{record_id}
    Column("blurbs", JSON, nullable=False, default=dict),
    Column("added_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("list_id", "record_id", name="uq_list_items_record"),
    Index("ix_list_items_order", "list_id", "position"),
)

list_views = Table(
    "list_views", metadata,
    Column("list_id", Integer, ForeignKey("lists.id", ondelete="CASCADE"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("views", Integer, nullable=False, default=0),
)

list_graph_runs = Table(
    "list_graph_runs", metadata,
    Column("id", Integer, primary_key=True),                        # one row: 1
    Column("written_at", DateTime(timezone=True), nullable=False),  # readers of the graph store reopen after it
    Column("lists", Integer, nullable=False, default=0),
    Column("triples", Integer, nullable=False, default=0),
)
