"""Search documents built from the SQL truth every index is derived from.

One way from a stored record to its search document, used by `grenselos index` (`index.pipeline`) and
by the portal when the index cannot answer (`RecordDocuments`): a record page rebuilt from the record
store and the transform stage's tables is the page the index would have served, because it is the
same document. The document is a projection of the record's BIBFRAME description (`index.projection`),
which the transform stage keeps packed in SQL (`transform.descriptions`; reading a graph back from
Oxigraph costs a string-table lookup per term, ~1.5 ms a record, unpacking ~0.03 ms), read from the
graph store for a record converted before descriptions were packed; holdings come from the copies table.
A record the transform stage has not converted has no description and no document. Public ids are `{source}-{record_id}`, record_id as the transform stage minted it
(`transform_records.record_id`, the instance URI's tail); before the transform stage has run,
`transform.pipeline.local_id`'s collision-free form stands in (`fallback_record_id`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Iterable
from urllib.parse import quote, unquote

from sqlalchemy import distinct, func, inspect as sa_inspect, select

from harvest.marcdata import from_stored
from index.copies import holdings_from_copies
from index.document import Document
from index.holdings import holdings_of
from index.projection import Description, default as default_projection, work_id_of
from transform import holdings as holdings_profile
from transform.graphstore import GraphStore
from vocab import libraries as libraries_vocab

CHUNK = 500


def document_id(source: str, record_id: str) -> str:
    """The public id of a record: `{source}-{record_id}` (the instance URI's last segment)."""
    return f"{source}-{record_id}"


def fallback_record_id(identifier: str) -> str:
    """The record id before the transform stage has minted one: `local_id`'s collision-free form (the
    whole identifier, percent-encoded), which needs no memory of the ids already given. Once the
    transform stage mints the short id, the next run re-indexes the record under it and drops this one."""
    return quote(identifier, safe="") or "record"


def record_id(source: str, identifier: str) -> str:
    """The document id before record ids were minted (`source:identifier`); documents still carry it as
    `harvest_id`, and `backend.get` resolves it, so old links keep working."""
    return f"{source}:{identifier}".replace("!", "%21")


@dataclass(frozen=True)
class Minted:
    record_id: str
    cluster_id: str | None
    status: str


class TransformFacts:
    """What the transform stage knows of each record (minted id, work cluster, detected languages);
    empty answers when it has not run."""

    def __init__(self, engine):
        self.engine = engine
        self.table = self.detections = self.copy_table = None
        self.packed = False
        try:
            names = set(sa_inspect(engine).get_table_names())
        except Exception:  # noqa: BLE001 - without the transform stage the fallbacks serve
            names = set()
        if "transform_records" in names:
            from transform.tables import transform_records
            self.table = transform_records
        if "language_detections" in names:
            self.detections = True
        if "copies" in names:
            from transform import copies as copies_store
            self.copy_table = copies_store
        self.packed = "record_descriptions" in names

    def descriptions(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], bytes]:
        """Each record's description as the transform stage packed it (`transform.descriptions`);
        records converted before it kept them are missing (read from the graph store instead)."""
        if not self.packed or not keys:
            return {}
        from transform import descriptions
        out = {}
        with self.engine.connect() as conn:
            for source in {s for s, _ in keys}:
                found = descriptions.packed_many(conn, source, [i for s, i in keys if s == source])
                out.update({(source, identifier): packed for identifier, packed in found.items()})
        return out

    def minted(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Minted]:
        if self.table is None or not keys:
            return {}
        t, out = self.table, {}
        with self.engine.connect() as conn:
            for source in {s for s, _ in keys}:
                ids = [i for s, i in keys if s == source]
                for start in range(0, len(ids), CHUNK):
                    rows = conn.execute(select(t.c.source, t.c.identifier, t.c.record_id, t.c.cluster_id, t.c.status)
                                        .where(t.c.source == source, t.c.identifier.in_(ids[start:start + CHUNK])))
                    out.update({(r.source, r.identifier): Minted(r.record_id, r.cluster_id, r.status) for r in rows})
        return out

    def identifiers(self, source: str, record_ids: list[str]) -> list[tuple[str, str]]:
        """(source, identifier) of the records the transform stage minted these record ids for."""
        if self.table is None or not record_ids:
            return []
        t = self.table
        with self.engine.connect() as conn:
            return [(source, r[0]) for r in conn.execute(select(t.c.identifier).where(
                t.c.source == source, t.c.record_id.in_(record_ids)))]

    def taken(self, source: str, record_ids: list[str]) -> set[str]:
        """Which of these record ids the transform stage has minted for some record of the source."""
        if self.table is None or not record_ids:
            return set()
        t = self.table
        with self.engine.connect() as conn:
            return {r[0] for start in range(0, len(record_ids), CHUNK) for r in conn.execute(
                select(t.c.record_id).where(t.c.source == source,
                                            t.c.record_id.in_(record_ids[start:start + CHUNK])))}

    def languages(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], object]:
        if not self.detections or not keys:
            return {}
        from transform.languages_store import effective_languages_many
        out = {}
        with self.engine.connect() as conn:
            for source in {s for s, _ in keys}:
                found = effective_languages_many(conn, source, [i for s, i in keys if s == source])
                out.update({(source, identifier): eff for identifier, eff in found.items()})
        return out

    def libraries_per_work(self, cluster_ids: set[str]) -> dict[str, int]:
        """How many sources (libraries) hold any edition of each work: the ranking's popularity signal."""
        if self.table is None or not cluster_ids:
            return {}
        t, ids, out = self.table, sorted(cluster_ids), {}
        with self.engine.connect() as conn:
            for start in range(0, len(ids), CHUNK):
                out.update(conn.execute(select(t.c.cluster_id, func.count(distinct(t.c.source))).where(
                    t.c.cluster_id.in_(ids[start:start + CHUNK]), t.c.status != "deleted")
                    .group_by(t.c.cluster_id)).all())
        return out

    def members(self, cluster_ids: set[str]) -> list[tuple[str, str]]:
        """The records of the given works (not deleted)."""
        if self.table is None or not cluster_ids:
            return []
        t, ids, out = self.table, sorted(cluster_ids), []
        with self.engine.connect() as conn:
            for start in range(0, len(ids), CHUNK):
                out += [(r.source, r.identifier) for r in conn.execute(select(t.c.source, t.c.identifier).where(
                    t.c.cluster_id.in_(ids[start:start + CHUNK]), t.c.status != "deleted"))]
        return sorted(out)

    def copies(self, keys: list[tuple[str, str]]):
        """{(source, identifier): [CopyRow]} from the copies table, or None before the table exists."""
        if self.copy_table is None:
            return None
        with self.engine.connect() as conn:
            return self.copy_table.for_records(conn, keys)

    def copies_changed_since(self, since: datetime) -> list[tuple[str, str]]:
        if self.copy_table is None:
            return []
        with self.engine.connect() as conn:
            return self.copy_table.changed_since(conn, since)

    def reclustered_since(self, since: datetime) -> list[tuple[str, str]]:
        if self.table is None:
            return []
        with self.engine.connect() as conn:
            return [(r.source, r.identifier) for r in conn.execute(
                select(self.table.c.source, self.table.c.identifier).where(self.table.c.updated_at > since))]


def holdings_records(store, source, row) -> tuple:
    """The separate holdings records (marcxchange type Holdings) of a bibliographic row, parsed."""
    if source.holdings != "marcxchange-holdings" or not row.control_number:
        return ()
    return tuple(from_stored(h.marcxml) for h in store.holdings_for(source.id, row.control_number) if h.marcxml)


def public_id(row, minted: Minted | None) -> str:
    """The document id of a stored record: the minted record id, else the fallback one."""
    return document_id(row.source, minted.record_id if minted else fallback_record_id(row.identifier))


def buildable(row, source, minted: Minted | None) -> bool:
    """Whether a stored row has a search document at all: not deleted, of a configured source, converted
    by the transform stage (a record kept with a harvest warning is indexed as it was converted)."""
    return not (row.deleted or not row.marcxml or source is None or minted is None or minted.status != "ok")


def open_graph(settings) -> GraphStore:
    """The graph store read-only (for descriptions not packed in SQL), or an empty one when the transform
    stage never ran."""
    path = Path(settings.data_dir) / "graph"
    if not path.is_dir():
        return GraphStore(None, settings.base_uri)
    return GraphStore(path, settings.base_uri, read_only=True)


def description_of(packed: bytes | None, graph: GraphStore, source: str, record_id: str) -> Description:
    """A record's description: as the transform stage packed it, else read from its named graph."""
    if packed is not None:
        return Description.from_packed(packed)
    triples = graph.record_triples(source, record_id)
    if not triples:
        raise LookupError("the graph store holds no description of it (run `grenselos transform`)")
    return Description.from_triples(triples)


def build_document(store, source, row, doc_id: str, minted: Minted, languages, directory, *, packed, graph,
                   copies=None, popularity: int = 0, projection=None) -> Document:
    """The search document of one converted bibliographic row, projected from its description.
    `copies`: the record's rows of the copies table (None on a store from before it: then the holdings
    fields of the MARC, nothing else, are read)."""
    description = description_of(packed, graph, row.source, minted.record_id)
    if copies is not None:
        holdings = holdings_from_copies(copies, source, directory)
    else:
        record = from_stored(row.marcxml, tags=holdings_profile.consumed(source.holdings))
        holdings = holdings_of(record, source, holdings_records(store, source, row), directory)
    work = minted.cluster_id or work_id_of(description, graph.base_uri)
    own = len({h.library for h in holdings if h.region})
    return (projection or default_projection()).document(
        description, id=doc_id, work_id=work, source=source.id, identifier=row.identifier, holdings=holdings,
        languages=languages, work_libraries=max(own, popularity),
        instance=graph.instance_uri(row.source, minted.record_id).value, access=directory.digital_access(source))


def with_popularity(docs: list[Document], transform: TransformFacts) -> list[Document]:
    """Each document with the number of libraries holding any edition of its work (ranking's signal)."""
    popularity = transform.libraries_per_work({d.work_id for d in docs})
    return [replace(d, work_libraries=popularity[d.work_id]) if popularity.get(d.work_id, 0) > d.work_libraries
            else d for d in docs]


class RecordDocuments:
    """Documents for the portal straight from the record store, for when the search index is down.

    Slower than the index (a description unpacked and projected per record) but fine for one record page and its work's
    editions; nothing is written (a record that cannot be built is simply not found here)."""

    def __init__(self, settings, store):
        self.settings = settings
        self.sources = {s.id: s for s in settings.sources}
        self.directory = libraries_vocab.directory(settings)
        self.store = store
        self.transform = TransformFacts(store.engine)

    def _keys(self, doc_id: str) -> list[tuple[str, str]]:
        """The (source, identifier) a public id, or an old `source:identifier` id, may name."""
        keys = []
        for source in self.sources:
            if doc_id.startswith(source + "-"):
                rest = doc_id[len(source) + 1:]
                keys += self.transform.identifiers(source, [rest])
                keys.append((source, unquote(rest)))
        source, colon, identifier = doc_id.partition(":")
        if colon and source in self.sources:
            keys.append((source, identifier.replace("%21", "!")))
        return keys

    def _build(self, rows: Iterable) -> list[Document]:
        rows = [r for r in rows if r is not None and r.record_type == "bib"]
        keys = [(r.source, r.identifier) for r in rows]
        minted, languages = self.transform.minted(keys), self.transform.languages(keys)
        rows = [r for r in rows if buildable(r, self.sources.get(r.source), minted.get((r.source, r.identifier)))]
        keys = [(r.source, r.identifier) for r in rows]
        copy_rows, packed = self.transform.copies(keys), self.transform.descriptions(keys)
        docs = []
        graph = open_graph(self.settings) if len(packed) < len(keys) else GraphStore(None, self.settings.base_uri)
        try:
            for row in rows:
                key = (row.source, row.identifier)
                try:
                    docs.append(build_document(
                        self.store, self.sources[row.source], row, public_id(row, minted[key]), minted[key],
                        languages.get(key), self.directory, packed=packed.get(key), graph=graph,
                        copies=None if copy_rows is None else copy_rows.get(key, [])))
                except Exception:  # noqa: BLE001 - quarantined by the next index run, not by a page view
                    continue
        finally:
            graph.close()
        # As the index stores and returns it (a JSON round trip sorts the subject vocabularies, say).
        return [Document.from_json(d.to_json()) for d in with_popularity(docs, self.transform)]

    def get(self, doc_id: str) -> Document | None:
        for source, identifier in self._keys(doc_id):
            found = self._build([self.store.get(source, identifier)])
            if found:
                return found[0]
        return None

    def work(self, work_id: str, limit: int = 200) -> list[Document]:
        """The editions of a work the transform stage clustered (newest first), as the index would list them."""
        members = self.transform.members({work_id})[:limit]
        docs = self._build(self.store.get(s, i) for s, i in members)
        return sorted(docs, key=lambda d: -(d.year or 0))
