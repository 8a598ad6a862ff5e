"""`grenselos index`: from the record store (and the transform stage's work clusters, when it has run)
to search documents, through the Indexer, touching only what changed since the last completed run.

Changed means: a bibliographic record new, changed or deleted in the record store; a separate holdings
record changed (its bibliographic record is rebuilt); or a record the transform stage re-clustered.
The first run, and `--full`, compare against everything and remove what is no longer there.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import replace
from datetime import datetime
from typing import Iterator

from sqlalchemy import distinct, func, inspect as sa_inspect, select

from harvest.marcxml import to_pymarc
from harvest.tables import records
from index.backend import SearchBackend, open_backend
from index.document import Document, Holding
from index.from_marc import document_from_marc, fallback_work_id
from index.indexer import Indexer, Summary


def target_name(settings) -> str:
    """The state key of the configured backend: 'tantivy' or the Solr URL (hashed if very long)."""
    url = settings.search.solr_url
    if not url:
        return "tantivy"
    return url if len(url) <= 200 else "solr:" + hashlib.sha1(url.encode()).hexdigest()


def record_id(source: str, identifier: str) -> str:
    return f"{source}:{identifier}".replace("!", "%21")


class _Clusters:
    """Work cluster ids from the transform stage's table, when the transform stage has run."""

    def __init__(self, engine):
        self.engine = engine
        self.table = None
        try:
            if sa_inspect(engine).has_table("transform_records"):
                from transform.tables import transform_records
                self.table = transform_records
        except Exception:  # noqa: BLE001 - without the transform stage the fallback keys serve
            self.table = None

    def lookup(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
        if self.table is None or not keys:
            return {}
        t = self.table
        out = {}
        with self.engine.connect() as conn:
            for source in {s for s, _ in keys}:
                ids = [i for s, i in keys if s == source]
                rows = conn.execute(select(t.c.source, t.c.identifier, t.c.cluster_id).where(
                    t.c.source == source, t.c.identifier.in_(ids), t.c.cluster_id.is_not(None)))
                out.update({(r.source, r.identifier): r.cluster_id for r in rows})
        return out

    def libraries_per_work(self, cluster_ids: set[str]) -> dict[str, int]:
        """How many sources (libraries) hold any edition of each work: the ranking's popularity signal."""
        if self.table is None or not cluster_ids:
            return {}
        t = self.table
        with self.engine.connect() as conn:
            return dict(conn.execute(select(t.c.cluster_id, func.count(distinct(t.c.source))).where(
                t.c.cluster_id.in_(sorted(cluster_ids)), t.c.status != "deleted").group_by(t.c.cluster_id)).all())

    def reclustered_since(self, since: datetime) -> list[tuple[str, str]]:
        if self.table is None:
            return []
        with self.engine.connect() as conn:
            return [(r.source, r.identifier) for r in conn.execute(
                select(self.table.c.source, self.table.c.identifier).where(self.table.c.updated_at > since))]


def _bib_rows(store, since: datetime | None, clusters: _Clusters) -> Iterator:
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
    extra.update(clusters.reclustered_since(since))
    for source, identifier in sorted(extra):
        row = store.get(source, identifier)
        if row is not None and row.changed_at <= since:
            yield row


def _holdings(store, source, row) -> tuple[Holding, ...] | None:
    if source.holdings != "marcxchange-holdings" or not row.control_number:
        return None
    linked = store.holdings_for(source.id, row.control_number)
    if not linked:
        return None
    return (Holding(source.id, source.municipality, source.kind, items=len(linked)),)


def documents(settings, store, since: datetime | None, summary_errors: list[str]) -> tuple[Iterator[Document], list[str]]:
    """Documents to upsert and ids to delete. Unparseable records are quarantined (stage 'index')."""
    sources = {s.id: s for s in settings.sources}
    clusters = _Clusters(store.engine)
    deletes: list[str] = []

    def generate():
        batch = []
        for row in _bib_rows(store, since, clusters):
            batch.append(row)
            if len(batch) >= 500:
                yield from build(batch)
                batch = []
        yield from build(batch)

    def build(rows):
        lookup = clusters.lookup([(r.source, r.identifier) for r in rows])
        popularity = clusters.libraries_per_work(set(lookup.values()))
        for row in rows:
            rid = record_id(row.source, row.identifier)
            if row.deleted or row.error or not row.marcxml:
                deletes.append(rid)
                continue
            source = sources.get(row.source)
            if source is None:
                continue
            try:
                record = to_pymarc(row.marcxml)
                work = lookup.get((row.source, row.identifier)) or fallback_work_id(record)
                doc = document_from_marc(record, source, rid, work, holdings=_holdings(store, source, row))
                if popularity.get(work, 0) > doc.work_libraries:
                    doc = replace(doc, work_libraries=popularity[work])
                yield doc
            except Exception as exc:  # noqa: BLE001 - one bad record never stops the batch
                cause = f"cannot build search document: {type(exc).__name__}: {exc}"
                summary_errors.append(f"{row.source} {row.identifier}: {cause}")
                store.quarantine(row.source, cause, stage="index", identifier=row.identifier)
                deletes.append(rid)

    return generate(), deletes


def index_changes(settings, store, backend: SearchBackend | None = None, *, full: bool = False,
                  batch: int = 1000, progress: bool = False) -> Summary:
    own = backend is None
    backend = backend or open_backend(settings)

    def show(s: Summary):
        if progress:
            print(f"\rindexed {s.indexed}, unchanged {s.unchanged} ({s.seconds:.0f} s)", end="", file=sys.stderr)

    try:
        indexer = Indexer(store.engine, backend, target_name(settings), batch=batch, progress=show)
        since = None if full else indexer.last_success()
        errors: list[str] = []
        docs, deletes = documents(settings, store, since, errors)

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
        if own:
            backend.close()
