"""`grenselos index`: search documents projected from the BIBFRAME descriptions the transform stage
wrote (`index.projection`), with holdings per library from the copies table, the transform stage's record
ids, work clusters and language detections, touching only what changed since the last completed run.

The transform stage runs first (`grenselos run` is harvest → transform → index): a record's document is
its description projected (`index.from_store.build_document`, the one way, which the portal also uses
when the index is down), so the index shows exactly what the linked data says. A record the transform
stage could not convert (or has not converted yet) has no description and is not indexed; the transform
stage quarantined it already.

Changed means: a bibliographic record new, changed or deleted in the record store; a separate holdings
record changed (its bibliographic record is rebuilt); a record the transform stage converted again or
re-clustered; a record whose copies changed (a status write); and every other edition of a work that
gained or lost an edition (its `work_libraries`, the popularity signal of ranking, changed). The first
run, and `--full`, compare against everything and remove what is no longer there.
"""

from __future__ import annotations

import hashlib
import sys
from datetime import datetime
from typing import Iterator

from sqlalchemy import select

from core.clock import aware
from harvest.tables import records
from index.backend import SearchBackend
from index.backends import open_backend
from index.document import Document
from index.from_store import (CHUNK, TransformFacts, build_document, buildable, document_id,  # noqa: F401
                              fallback_record_id, open_graph, public_id)
from index.projection import default as default_projection
from index.indexer import Indexer, Summary
from core.locks import writer_lock
from index.tables import index_state
from vocab import libraries as libraries_vocab


#: Documents per commit of a full build into tantivy (`Indexer.commit_every`).
FULL_COMMIT_EVERY = 100_000


def target_name(settings) -> str:
    """The state key of the configured backend: 'tantivy' or the first Solr URL (hashed if very long),
    so listing more nodes of the same collection in `solr_urls` keeps what was indexed."""
    url = settings.search.solr_url or next(iter(settings.search.solr_urls), "")
    if not url:
        return "tantivy"
    return url if len(url) <= 200 else "solr:" + hashlib.sha1(url.encode()).hexdigest()


def _indexed_works(engine, target: str, doc_ids: list[str]) -> dict[str, str]:
    """Work each document was last indexed under (to refresh the works that lose an edition)."""
    out = {}
    with engine.connect() as conn:
        for start in range(0, len(doc_ids), CHUNK):
            out.update(conn.execute(select(index_state.c.doc_id, index_state.c.work_id).where(
                index_state.c.target == target, index_state.c.doc_id.in_(doc_ids[start:start + CHUNK]))).all())
    return out


def _bib_rows(store, since: datetime | None, transform: TransformFacts) -> Iterator:
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
        if row is not None and aware(row.changed_at) <= aware(since):
            yield row


def documents(settings, store, since: datetime | None, summary_errors: list[str],
              target: str = "tantivy", graph=None) -> tuple[Iterator[Document], list[str]]:
    """Documents to upsert and ids to delete. A record whose document cannot be built is quarantined
    (stage 'index'). `graph` is the graph store holding descriptions not packed in SQL (`open_graph`)."""
    sources = {s.id: s for s in settings.sources}
    projection = default_projection()
    graph = graph if graph is not None else open_graph(settings)
    directory = libraries_vocab.directory(settings)
    transform = TransformFacts(store.engine)
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
            ids[row.source, row.identifier] = public_id(row, m)
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
            if since is not None:                  # a full run needs neither (memory: one entry a record)
                built.add(key)
            doc_id = ids[key]
            source = sources.get(row.source)
            m = minted.get(key)
            if not buildable(row, source, m):      # deleted, or without a description
                deletes.append(doc_id)
                continue
            try:
                doc = build_document(store, source, row, doc_id, m, languages.get(key), directory,
                                     packed=packed.get(key), graph=graph,
                                     copies=None if copy_rows is None else copy_rows.get(key, []),
                                     popularity=popularity.get(m.cluster_id, 0), projection=projection)
            except Exception as exc:  # noqa: BLE001 - one bad record never stops the batch
                cause = f"cannot build search document: {type(exc).__name__}: {exc}"
                summary_errors.append(f"{row.source} {row.identifier}: {cause}")
                store.quarantine(row.source, cause, stage="index", identifier=row.identifier)
                deletes.append(doc_id)
                continue
            if since is not None:
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
        since = None if full else Indexer(store.engine, backend, target).last_success()
        # A full build into the embedded index commits every FULL_COMMIT_EVERY documents, not every batch
        # (a tantivy commit writes a segment and starts merges); Solr, which can have outages to wait
        # out, and incremental runs commit every batch.
        indexer = Indexer(store.engine, backend, target, batch=batch, progress=show,
                          patience=float(settings.search.retry_seconds),
                          commit_every=FULL_COMMIT_EVERY if since is None and backend.name == "tantivy" else 0)
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
