"""`grenselos index`: search documents projected from the BIBFRAME descriptions the transform stage
wrote (`index.projection`), with holdings per library (`index.holdings`), the transform stage's record
ids, work clusters and language detections, touching only what changed since the last completed run.

The transform stage runs first (`grenselos run` is harvest → transform → index): a record's document is
projected from its description — the triples of its named graph in the graph store, which the transform
stage also keeps packed in SQL (`transform.descriptions`: reading a graph back from Oxigraph costs a
string-table lookup per term, about 1.5 ms a record; unpacking the same triples ~0.03 ms) — so the
index shows exactly what the linked data says. A record converted before descriptions were packed is
read from the graph store. A record the transform stage could not convert (or has not converted yet)
has no description and is not indexed; the transform stage quarantined it already.

Changed means: a bibliographic record new, changed or deleted in the record store; a separate holdings
record changed (its bibliographic record is rebuilt); a record the transform stage converted again or
re-clustered; and every other edition of a work that gained or lost an edition (its `work_libraries`,
the popularity signal of ranking, changed). The first run, and `--full`, compare against everything and
remove what is no longer there.

Document ids are the public record ids `{source}-{record_id}`, record_id as the transform stage minted
it (`transform_records.record_id`, the instance URI's tail). Documents an older version indexed under
`transform.pipeline.local_id`'s collision-free form before ids were minted (`fallback_record_id`) are
removed when the record is indexed under its minted id.
"""

from __future__ import annotations

import hashlib
import sys
from urllib.parse import quote
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from sqlalchemy import distinct, func, inspect as sa_inspect, select

from harvest.marcxml import to_pymarc
from harvest.tables import records
from index.backend import SearchBackend, open_backend
from index.copies import holdings_from_copies
from index.document import Document
from index.holdings import holdings_of
from index.indexer import Indexer, Summary
from index.projection import Description, default as default_projection, work_id_of
from core.locks import writer_lock
from index.tables import index_state
from transform import holdings as holdings_profile
from transform.graphstore import GraphStore
from vocab import libraries as libraries_vocab

CHUNK = 500


def target_name(settings) -> str:
    """The state key of the configured backend: 'tantivy' or the Solr URL (hashed if very long)."""
    url = settings.search.solr_url
    if not url:
        return "tantivy"
    return url if len(url) <= 200 else "solr:" + hashlib.sha1(url.encode()).hexdigest()


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


class _Transform:
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
        self.packed = "record_descriptions" in names
        if "copies" in names:
            from transform import copies as copies_store
            self.copy_table = copies_store

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

    def taken(self, source: str, record_ids: list[str]) -> set[str]:
        """Which of these record ids the transform stage has minted for some record of the source."""
        if self.table is None or not record_ids:
            return set()
        t = self.table
        with self.engine.connect() as conn:
            return {r[0] for start in range(0, len(record_ids), CHUNK) for r in conn.execute(
                select(t.c.record_id).where(t.c.source == source,
                                            t.c.record_id.in_(record_ids[start:start + CHUNK])))}

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


def _indexed_works(engine, target: str, doc_ids: list[str]) -> dict[str, str]:
    """Work each document was last indexed under (to refresh the works that lose an edition)."""
    out = {}
    with engine.connect() as conn:
        for start in range(0, len(doc_ids), CHUNK):
            out.update(conn.execute(select(index_state.c.doc_id, index_state.c.work_id).where(
                index_state.c.target == target, index_state.c.doc_id.in_(doc_ids[start:start + CHUNK]))).all())
    return out


def _bib_rows(store, since: datetime | None, transform: _Transform) -> Iterator:
    """Bibliographic rows to (re)build: changed ones, parents of changed holdings, re-clustered ones."""
    yield from store.iter_records(record_type="bib", changed_since=since)
    if since is None:
        return
    extra: set[tuple[str, str]] = set()
    for holding in store.iter_records(record_type="holdings", changed_since=since):
        if holding.parent:
            with store.engine.connect() as conn:
                for r in conn.execute(select(records.c.source, records.c.identifier).where(
                        records.c.source == holding.source, records.c.control_number == holding.parent,
                        records.c.record_type == "bib")):
                    extra.add((r.source, r.identifier))
    extra.update(transform.reclustered_since(since))
    extra.update(transform.copies_changed_since(since))
    for source, identifier in sorted(extra):
        row = store.get(source, identifier)
        if row is not None and _aware(row.changed_at) <= _aware(since):
            yield row


def _aware(stamp: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored as UTC); PostgreSQL aware ones."""
    return stamp.replace(tzinfo=timezone.utc) if stamp.tzinfo is None else stamp


def _holdings_records(store, source, row) -> tuple:
    if source.holdings != "marcxchange-holdings" or not row.control_number:
        return ()
    return tuple(to_pymarc(h.marcxml) for h in store.holdings_for(source.id, row.control_number) if h.marcxml)


def open_graph(settings) -> GraphStore:
    """The graph store read-only (the transform stage, its one writer, has finished), or an empty one
    when the transform stage never ran (nothing has a description yet)."""
    path = Path(settings.data_dir) / "graph"
    if not path.is_dir():
        return GraphStore(None, settings.base_uri)
    return GraphStore(path, settings.base_uri, read_only=True)


def _description(packed: bytes | None, graph: GraphStore, source: str, record_id: str) -> Description:
    """A record's description: as the transform stage packed it, else read from its named graph (a
    record converted before descriptions were packed)."""
    if packed is not None:
        return Description.from_packed(packed)
    triples = graph.record_triples(source, record_id)
    if not triples:
        raise LookupError("the graph store holds no description of it (run `grenselos transform`)")
    return Description.from_triples(triples)


def documents(settings, store, since: datetime | None, summary_errors: list[str],
              target: str = "tantivy", graph: GraphStore | None = None) -> tuple[Iterator[Document], list[str]]:
    """Documents to upsert and ids to delete. A record whose document cannot be built is quarantined
    (stage 'index'). `graph` is the graph store holding the descriptions (`open_graph`)."""
    sources = {s.id: s for s in settings.sources}
    projection = default_projection()
    graph = graph if graph is not None else open_graph(settings)
    directory = libraries_vocab.directory(settings)
    transform = _Transform(store.engine)
    deletes: list[str] = []
    built: set[tuple[str, str]] = set()
    touched_works: set[str] = set()

    def generate():
        batch = []
        for row in _bib_rows(store, since, transform):
            batch.append(row)
            if len(batch) >= CHUNK:
                yield from build(batch)
                batch = []
        yield from build(batch)
        if since is None:
            return  # a full run rebuilt every edition of every work already
        # Works that gained or lost an edition: their other editions' popularity changed.
        others = [key for key in transform.members(touched_works) if key not in built]
        for start in range(0, len(others), CHUNK):
            rows = [store.get(s, i) for s, i in others[start:start + CHUNK]]
            yield from build([r for r in rows if r is not None])

    def build(rows):
        keys = [(r.source, r.identifier) for r in rows]
        minted = transform.minted(keys)
        languages = transform.languages(keys)
        packed = transform.descriptions(keys)
        copy_rows = transform.copies(keys)
        ids, stale = {}, {}
        for row in rows:
            m = minted.get((row.source, row.identifier))
            fallback = fallback_record_id(row.identifier)
            ids[row.source, row.identifier] = document_id(row.source, m.record_id if m else fallback)
            if m and m.record_id != fallback:  # maybe indexed before the transform stage minted its id
                stale.setdefault(row.source, []).append(fallback)
        for source_id, fallbacks in stale.items():  # unless that id is now another record's
            taken = transform.taken(source_id, fallbacks)
            deletes.extend(document_id(source_id, f) for f in fallbacks if f not in taken)
        old_works = _indexed_works(store.engine, target, list(ids.values())) if since is not None else {}
        touched_works.update(old_works.values())
        popularity = transform.libraries_per_work({m.cluster_id for m in minted.values() if m.cluster_id})
        for row in rows:
            key = (row.source, row.identifier)
            built.add(key)
            doc_id = ids[key]
            source = sources.get(row.source)
            m = minted.get(key)
            if row.deleted or not row.marcxml or source is None or m is None or m.status != "ok":
                deletes.append(doc_id)   # deleted, or without a description (a kept record with a warning is indexed)
                continue
            try:
                description = _description(packed.get(key), graph, row.source, m.record_id)
                if copy_rows is not None:    # the copies table, the truth about copies
                    holdings = holdings_from_copies(copy_rows.get(key, []), source, directory)
                else:                        # a store from before it: the holdings fields of the MARC, nothing else
                    record = to_pymarc(row.marcxml, tags=holdings_profile.consumed(source.holdings))
                    holdings = holdings_of(record, source, _holdings_records(store, source, row), directory)
                work = m.cluster_id or work_id_of(description, settings.base_uri)
                own = len({h.library for h in holdings if h.region})
                doc = projection.document(
                    description, id=doc_id, work_id=work, source=source.id, identifier=row.identifier,
                    holdings=holdings, languages=languages.get(key), work_libraries=max(own, popularity.get(work, 0)),
                    instance=graph.instance_uri(row.source, m.record_id).value)
            except Exception as exc:  # noqa: BLE001 - one bad record never stops the batch
                cause = f"cannot build search document: {type(exc).__name__}: {exc}"
                summary_errors.append(f"{row.source} {row.identifier}: {cause}")
                store.quarantine(row.source, cause, stage="index", identifier=row.identifier)
                deletes.append(doc_id)
                continue
            touched_works.add(doc.work_id)
            yield doc

    return generate(), deletes


def index_changes(settings, store, backend: SearchBackend | None = None, *, full: bool = False,
                  batch: int = 1000, progress: bool = False) -> Summary:
    """Index what changed since the last completed run (everything with `full`), under the data
    directory's writer lock (`core.locks`): one writer per index, whoever runs it."""
    with writer_lock(settings.data_dir):
        return _index_changes(settings, store, backend, full=full, batch=batch, progress=progress)


def _index_changes(settings, store, backend, *, full, batch, progress) -> Summary:
    own = backend is None
    backend = backend or open_backend(settings, rebuild=full)

    def show(s: Summary):
        if progress:
            print(f"\rindexed {s.indexed}, unchanged {s.unchanged} ({s.seconds:.0f} s)", end="", file=sys.stderr)

    graph = open_graph(settings)
    try:
        target = target_name(settings)
        indexer = Indexer(store.engine, backend, target, batch=batch, progress=show)
        since = None if full else indexer.last_success()
        errors: list[str] = []
        docs, deletes = documents(settings, store, since, errors, target, graph)

        class _Deletes:  # read after the documents were generated
            def __iter__(self):
                return iter(deletes)

        summary = indexer.run(docs, deletes=_Deletes(), complete=since is None, force=full)
        summary.errors += len(errors)
        summary.problems += errors
        if progress:
            print(file=sys.stderr)
        return summary
    finally:
        graph.close()
        if own:
            backend.close()
