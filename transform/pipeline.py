"""`grenselos transform`: new, changed and deleted records → clusters → BIBFRAME graphs.

Incremental by checksum: a bibliographic record is converted again when its own checksum, the digest
of its holdings records' checksums, or its work cluster changed since the last run; a deleted record
loses its graph and leaves its work. `--full` re-keys, re-clusters and re-converts everything (cluster
ids stay: a record that still fits its work keeps it). Each batch is one database transaction that also
holds its graph writes as a row of the graph outbox (`transform.graph_outbox`), so a killed run leaves
nothing half-recorded: the next run redoes the batch. The pipeline never writes Oxigraph itself; the CLI's
`run_transform` applies the outbox as it goes (under the writer lock), a portal request leaves it to the
applier (`apply=False`).

Record ids in URIs: the part of the OAI identifier after the last ':' (`oai:koha:123` → `123`) when
it is URI-safe and not yet used by another record of the source, else the whole identifier
percent-encoded (`oai%3Ax%3Aa%2Fb`). Once minted, a record's id is kept in `transform_records` and
never changes, so its URIs are stable even if a later identifier would have clashed.
"""

from __future__ import annotations

import gc
import hashlib
import re
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable
from urllib.parse import quote

from sqlalchemy import bindparam, insert, select, tuple_, update

from core.clock import now
from core.db import chunks
from core.locks import writer_lock
from harvest.marcdata import from_stored, to_slim
from transform import changes as change_log, descriptions, library_graph
from transform.cluster_keys import keys_for
from transform.cluster_rules import load_ignore_list
from transform.clusters import CHUNK, ClusterChanges, Clusterer, Member
from transform import graph_outbox
from transform.graph_outbox import GraphOutbox, reading_view
from transform.graphstore import GraphStore
from transform import languages_store
from transform import copies as copies_store, copy_cataloguing, overlays, statistics as stats
from transform.holdings import library_iri
from transform.record_conversion import ConversionPool, convert_record, workers_for
from transform.tables import clusters, transform_records, transform_state
from libraries import calendar as library_calendar
from vocab import libraries as libraries_vocab, licences

BATCH = 200
STATE_PAGE = 500        # bib records read with their transform state at once
_SAFE = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]*")


@dataclass
class TransformSummary:
    source: str
    converted: int = 0
    new: int = 0
    changed: int = 0
    deleted: int = 0
    unchanged: int = 0
    errors: int = 0
    reclustered: int = 0
    rebuilt: int = 0                      # unchanged records converted again by --full
    triples: int = 0
    seconds: float = 0.0
    error_list: list[str] = field(default_factory=list)

    def line(self) -> str:
        rate = f", {self.converted / self.seconds:.0f} records/s" if self.seconds and self.converted else ""
        return (f"transform {self.source}: {self.converted} converted ({self.new} new, {self.changed} changed, "
                f"{self.reclustered} re-clustered" + (f", {self.rebuilt} rebuilt" if self.rebuilt else "")
                + f"), {self.deleted} deleted, {self.unchanged} unchanged, "
                f"{self.errors} errors, {self.triples} triples{rate}")


def _first_choices(identifier: str) -> tuple[str, str]:
    """The ids `local_id` tries first: the identifier's tail if URI-safe, and the whole one encoded."""
    tail = identifier.rsplit(":", 1)[-1]
    whole = quote(identifier, safe="")
    return (tail if _SAFE.fullmatch(tail) else whole), whole


def local_id(identifier: str, used: set[str]) -> str:
    """A URI-safe id for a record, unique within its source (see the module docstring)."""
    candidate = _first_choices(identifier)[0]
    if candidate in used or not candidate:
        candidate = quote(identifier, safe="") or "record"
    base, n = candidate, 1
    while candidate in used:
        n += 1
        candidate = f"{base}~{n}"
    used.add(candidate)
    return candidate


class MintedIds:
    """The record ids a source has minted, as `local_id` asks for them: the table answers (the unique
    index on source and record id), so a run does not hold every id of the source (about 100 bytes a
    record). `expect` asks once for the ids a batch will try first; what the batch mints is held until
    it has committed (`committed`)."""

    def __init__(self, engine, source_id: str):
        self.engine, self.source_id = engine, source_id
        self._minted: set[str] = set()
        self._known: dict[str, bool] = {}

    def expect(self, identifiers) -> None:
        """Ask at once about the ids the batch's new records (`identifiers`) will try first."""
        self._ask({c for i in identifiers for c in _first_choices(i)})

    def _ask(self, record_ids) -> None:
        wanted = sorted(set(record_ids) - self._known.keys())
        with self.engine.connect() as conn:
            for chunk in chunks(wanted, CHUNK):
                taken = {r[0] for r in conn.execute(select(transform_records.c.record_id).where(
                    transform_records.c.source == self.source_id, transform_records.c.record_id.in_(chunk)))}
                self._known.update((c, c in taken) for c in chunk)

    def __contains__(self, record_id: str) -> bool:
        if record_id in self._minted:
            return True
        if record_id not in self._known:           # a clash's `~n` ids: rare
            self._ask([record_id])
        return self._known[record_id]

    def add(self, record_id: str) -> None:
        self._minted.add(record_id)

    def committed(self) -> None:
        """The batch's ids are in the table now: forget what was held for it."""
        self._minted.clear()
        self._known.clear()


class RunChanges(ClusterChanges):
    """What a run acts on after its batches: clusters to redraw, drop or check for bridges. A batch's
    assignments and moves serve that batch alone (and `_apply_overrides` its own), so they are not
    kept: on a first run they would hold an entry for every record."""

    def merge(self, other: ClusterChanges) -> None:
        super().merge(ClusterChanges(dirty=other.dirty, removed=other.removed, shrunk=other.shrunk))


@contextmanager
def fewer_collections():
    """Run the batches without the cyclic garbage collector re-scanning what lives through the run.

    The mapping tables, vocabularies and code lists are hundreds of thousands of objects; a batch makes
    and drops millions more (terms, tuples, dicts), and each full collection walked all of them again:
    about a quarter of the CPU a record costs. Freezing what exists now keeps it out of those scans; a
    larger first generation makes them rarer. Both are undone afterwards (this may run in a long-lived
    process: the scheduler, `serve`)."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(threshold[0], 50_000), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def holdings_digest(checksums: list[str]) -> str | None:
    if not checksums:
        return None
    return hashlib.sha256("\n".join(sorted(checksums)).encode()).hexdigest()


class Pipeline:
    def __init__(self, settings, record_store, graph: GraphStore | None = None, converter=None,
                 progress: Callable[[str], None] | None = None, workers: int | None = None):
        self.settings = settings
        self.records = record_store
        self.engine = record_store.engine
        # Writes become graph outbox rows; names and reads come from the store as last applied.
        self.graph = GraphOutbox(self.engine, graph if graph is not None else reading_view(settings))
        self._own_graph = graph is None
        self.apply_pending: Callable[[bool], None] | None = None    # run_transform's: apply the outbox now?
        if converter is None:
            from transform.convert import Converter
            converter = Converter(settings.base_uri)
        self.converter = converter
        self.progress = progress
        self.ignored = load_ignore_list(settings.data_dir / "isbn_ignore.txt")
        self.changes = RunChanges()
        self._with_holdings: set[str] | None = None     # bib 001s that have holdings records (this source)
        self._languages: dict[str, dict] = {}             # identifier -> language_detections row (this batch)
        self._overlays: dict[str, tuple] = {}             # identifier -> (applied overlay rows, sources, agents)
        self.workers = workers_for(settings) if workers is None else workers   # 1: convert in this process
        self._pool: ConversionPool | None = None

    def close(self) -> None:
        if self._own_graph:
            self.graph.view.close()

    # -- the run -------------------------------------------------------------------------------

    def run(self, source_ids=None, full: bool = False) -> list[TransformSummary]:
        with self._conversion_pool():
            return self._run(source_ids, full)

    def _run(self, source_ids, full: bool) -> list[TransformSummary]:
        sources = [self.settings.source(s) for s in source_ids] if source_ids else list(self.settings.sources)
        if full and not source_ids:
            self.graph.clear()
        summaries = []
        with fewer_collections():
            for source in sources:
                summaries.append(self._run_source(source, full))
        summaries += self._upgrade_short_records(summaries)
        for source_id, count in self._apply_overrides().items():
            summary = next((s for s in summaries if s.source == source_id), None)
            if summary is None:
                summary = TransformSummary(source_id)
                summaries.append(summary)
            summary.reclustered += count
            summary.converted += count
        if self.apply_pending:
            self.apply_pending(True)                   # the work graphs' change log reads the store
        self._write_work_graphs(full and not source_ids)
        library_graph.write(self.settings, self.graph)
        with self.engine.begin() as conn:              # every library gets its main service point
            library_calendar.ensure_main_points(conn, libraries_vocab.directory(self.settings).libraries())
        self._tell(stats.write(self.engine, self.graph).line())
        self.graph.flush()
        stamp = now()
        with self.engine.begin() as conn:
            for s in summaries:
                values = {"last_run": stamp, "last_summary": s.line()}
                if not conn.execute(update(transform_state).where(transform_state.c.source == s.source)
                                    .values(**values)).rowcount:
                    conn.execute(insert(transform_state).values(source=s.source, **values))
        return summaries

    def _run_source(self, source, full: bool) -> TransformSummary:
        summary = TransformSummary(source.id)
        started = time.monotonic()
        used = MintedIds(self.engine, source.id)
        holdings: dict[str, list[str]] = {}
        for h in self.records.iter_records(source.id, include_deleted=False, record_type="holdings"):
            if h.parent and h.checksum:
                holdings.setdefault(h.parent, []).append(h.checksum)
        self._with_holdings = set(holdings)
        with self.engine.connect() as conn:            # accepted overlays convert the record again
            overlaid = overlays.digests(conn, source.id)
        batch: list[tuple] = []
        seen = 0
        for row, old in self._with_state(source.id):
            seen += 1
            digest = holdings_digest(holdings.get(row.control_number or "", []) + overlaid.get(row.identifier, []))
            if row.deleted:
                if old is not None and old.status != "deleted":
                    batch.append(("delete", row, digest, old))
                continue
            if not full and old is not None and old.checksum == row.checksum and old.status != "deleted" \
                    and old.holdings_checksum == digest and (old.status == "error" or
                                                             old.converted_cluster == old.cluster_id):
                summary.unchanged += 1
                continue
            batch.append(("convert", row, digest, old))
            if len(batch) >= BATCH:
                self._minting(source, batch, used, summary)
                batch = []
                self._tell(f"transform {source.id}: {seen} records read, {summary.converted} converted, "
                           f"{summary.errors} errors")
        if batch:
            self._minting(source, batch, used, summary)
        summary.seconds = time.monotonic() - started
        return summary

    @contextmanager
    def _conversion_pool(self):
        """The worker processes for this run (`[transform] workers` > 1), forked now that the converter and
        the library directory are loaded and before the graph outbox's writer thread starts; always shut
        down at the end of the run. Only a process with no other Python thread forks (the CLI verb): in
        `serve` another thread may hold a lock the child would wait for forever, so there the run converts
        in its own thread."""
        if self.workers > 1 and threading.active_count() == 1:
            libraries_vocab.directory(self.settings)
            self._pool = ConversionPool(self.settings, self.converter, self.workers, self.engine)
        try:
            yield
        finally:
            if self._pool is not None:
                self._pool.close()
                self._pool = None

    def _with_state(self, source_id: str):
        """(bib row, its transform_records row or None) in record order, the state read a page at a
        time: the state of every record at once was ~650 bytes a record held through the run."""
        page = []
        for row in self.records.iter_records(source_id, record_type="bib"):
            page.append(row)
            if len(page) >= STATE_PAGE:
                yield from self._paired(source_id, page)
                page = []
        yield from self._paired(source_id, page)

    def _paired(self, source_id: str, rows: list):
        state = {}
        with self.engine.connect() as conn:
            for chunk in chunks([r.identifier for r in rows], CHUNK):
                state.update((r.identifier, r) for r in conn.execute(
                    select(transform_records.c.identifier, transform_records.c.record_id,
                           transform_records.c.checksum, transform_records.c.holdings_checksum,
                           transform_records.c.status, transform_records.c.cluster_id,
                           transform_records.c.converted_cluster)
                    .where(transform_records.c.source == source_id, transform_records.c.identifier.in_(chunk))))
        for row in rows:
            yield row, state.get(row.identifier)

    def _minting(self, source, batch, used: MintedIds, summary: TransformSummary) -> None:
        """`_batch`, with the ids its new records may take asked of the table first."""
        used.expect(row.identifier for _kind, row, _digest, old in batch if old is None)
        self._batch(source, batch, used, summary)
        used.committed()

    def _tell(self, text: str) -> None:
        if self.progress:
            self.progress(text)

    # -- one batch -----------------------------------------------------------------------------

    def _batch(self, source, batch, used: set[str], summary: TransformSummary, recluster: bool = True) -> None:
        """Convert (or delete) one batch; `recluster=False` keeps each record in its current work."""
        stamp = now()
        self._languages = {}
        self._facts: dict[str, list] = {}                  # identifier -> statistics facts (this batch)
        self._copies: dict[str, list] = {}                 # identifier -> ItemFacts (this batch)
        with self.engine.begin() as conn:
            clusterer = Clusterer(conn, self.ignored)
            ids = {}
            new_rows = []
            for kind, row, digest, old in batch:
                if old is not None:
                    ids[row.identifier] = old.record_id
                else:
                    ids[row.identifier] = local_id(row.identifier, used)
                    new_rows.append({"source": source.id, "identifier": row.identifier,
                                     "record_id": ids[row.identifier], "status": "pending", "triples": 0,
                                     "updated_at": stamp})
            if new_rows:
                conn.execute(insert(transform_records), new_rows)

            gone, parsed, errors = [], [], []
            for kind, row, digest, old in batch:
                if kind == "delete":
                    gone.append((row, digest))
                    continue
                try:
                    if row.marcxml is None:
                        raise ValueError(f"no MARC kept by the harvest ({row.error or 'unknown cause'})")
                    record = from_stored(row.marcxml)
                    keys = keys_for(record)
                except Exception as exc:  # noqa: BLE001 - one bad record never stops the batch
                    errors.append((row, digest, f"could not read the MARC record: {exc}"))
                    continue
                parsed.append((row, digest, old, record, keys))
            parsed = self._merge_overlays(conn, source, parsed, stamp)

            if gone:
                self.changes.merge(clusterer.remove([(source.id, r.identifier) for r, _ in gone],
                                                    "the record was deleted at the source"))
            members = [Member(source.id, row.identifier, ids[row.identifier], keys,
                              old.cluster_id if old is not None else None)
                       for row, digest, old, record, keys in parsed]
            if recluster:
                assigned = clusterer.assign(members)
                self.changes.merge(assigned)
            else:
                assigned = ClusterChanges(assigned={m.key: m.cluster_id for m in members})

            graphs, results, packed = {}, [], {}
            converted = self._convert(source, [(row, ids[row.identifier], record,
                                                assigned.assigned[(source.id, row.identifier)])
                                               for row, digest, old, record, keys in parsed])
            for (row, digest, old, record, keys), done in zip(parsed, converted):
                if done.error is not None:
                    errors.append((row, digest, done.error))
                    continue
                graphs[self.graph.record_graph(source.id, ids[row.identifier])] = done.nquads
                packed[row.identifier] = done.packed
                self._facts[row.identifier] = done.facts
                self._copies[row.identifier] = done.copies
                if done.language is not None:
                    self._languages[row.identifier] = done.language
                results.append((row, digest, old, assigned.assigned[(source.id, row.identifier)], done.triples))
            failed = [(source.id, row.identifier) for row, _, _ in errors]
            if failed:
                self.changes.merge(clusterer.remove(failed, "the record could not be converted"))
            withheld = []
            if not licences.publishable(self.settings, source.id):
                # Not for republication: the description still reaches search (packed below), but the
                # graph store is what SPARQL, dumps, VoID and the RDF views publish, so it never gets there.
                withheld, graphs = list(graphs), {}
            outbox = self.graph.bound(conn, "records")
            outbox.replace_text(graphs)
            outbox.remove([*withheld, *(self.graph.record_graph(source.id, ids[r.identifier])
                                        for r, *_ in [*gone, *errors])])

            records = {row.identifier: record for row, _d, _o, record, _k in parsed}
            change_log.log_records(conn, self.settings.base_uri, source.id,
                                   {r.identifier: (ids[r.identifier], records[r.identifier]) for r, *_ in results},
                                   {r.identifier: ids[r.identifier] for r, *_ in [*gone, *errors]}, stamp)
            overlays.replace_merged(conn, source.id, [row.identifier for _kind, row, *_ in batch],
                                    {r.identifier: to_slim(records[r.identifier])
                                     for r, *_ in results if r.identifier in self._overlays}, stamp)
            languages_store.replace(conn, source.id, [row.identifier for _kind, row, *_ in batch],
                                    [self._languages[r.identifier] for r, *_ in results
                                     if r.identifier in self._languages])
            stats.replace_facts(conn, source.id, [row.identifier for _kind, row, *_ in batch],
                                {r.identifier: self._facts[r.identifier] for r, *_ in results})
            descriptions.replace(conn, source.id, [row.identifier for _kind, row, *_ in batch], packed)
            copies_store.sync(conn, source.id, [row.identifier for _kind, row, *_ in batch],
                              {r.identifier: self._copies[r.identifier] for r, *_ in results},
                              libraries_vocab.directory(self.settings), stamp)
            updates = []
            for row, digest, old, work, count in results:
                if old is None or old.status == "deleted":
                    summary.new += 1
                elif old.checksum != row.checksum or old.holdings_checksum != digest or old.status != "ok":
                    summary.changed += 1
                elif old.converted_cluster != work:
                    summary.reclustered += 1
                else:
                    summary.rebuilt += 1
                summary.converted += 1
                summary.triples += count
                updates.append({"b_source": source.id, "b_identifier": row.identifier, "checksum": row.checksum,
                                "holdings_checksum": digest, "status": "ok", "error": None,
                                "converted_cluster": work, "triples": count, "updated_at": stamp})
            for row, digest, cause in errors:
                summary.errors += 1
                message = f"{source.id}:{row.identifier}: {cause}"
                summary.error_list.append(message)
                self._tell(message)
                updates.append({"b_source": source.id, "b_identifier": row.identifier, "checksum": row.checksum,
                                "holdings_checksum": digest, "status": "error", "error": cause[:4000],
                                "converted_cluster": None, "triples": 0, "updated_at": stamp})
            for row, digest in gone:
                summary.deleted += 1
                updates.append({"b_source": source.id, "b_identifier": row.identifier, "checksum": None,
                                "holdings_checksum": None, "status": "deleted", "error": None,
                                "converted_cluster": None, "triples": 0, "updated_at": stamp})
            if updates:
                conn.execute(update(transform_records)
                             .where(transform_records.c.source == bindparam("b_source"),
                                    transform_records.c.identifier == bindparam("b_identifier"))
                             .values({c: bindparam(c) for c in ("checksum", "holdings_checksum", "status", "error",
                                                                "converted_cluster", "triples", "updated_at")}),
                             updates)
        if self.apply_pending:
            self.apply_pending(False)

    def _convert(self, source, todo: list[tuple]) -> list:
        """(row, record_id, record, work) -> a `record_conversion.Converted` each, in order: in the worker
        pool when there is one (a record with overlays merged stays here: its MARC is no longer the stored
        text), else in this process. Holdings records are read here either way: workers never touch SQL."""
        jobs, results = [], [None] * len(todo)
        for n, (row, record_id, record, work) in enumerate(todo):
            holdings = ()
            if row.control_number and (self._with_holdings is None or row.control_number in self._with_holdings):
                holdings = tuple(h.marcxml for h in self.records.holdings_for(source.id, row.control_number)
                                 if h.marcxml)
            graph = str(self.graph.record_graph(source.id, record_id))
            if self._pool is not None and row.identifier not in self._overlays:
                jobs.append((n, (row.identifier, record_id, row.marcxml, work, holdings, graph)))
                continue
            results[n] = convert_record(self.settings, self.converter, source, row.identifier, record_id, record,
                                        work, holdings, graph, self._overlays.get(row.identifier))
        if jobs:
            for (n, _job), done in zip(jobs, self._pool.convert(source.id, [job for _n, job in jobs])):
                results[n] = done
            if self._pool.broken:      # its chunk's records are errors; the rest of the run converts here
                self._tell(f"transform {source.id}: a conversion worker stopped ({self._pool.broken}); "
                           "converting in this process from now on")
                self._pool.close()
                self._pool = None
        return results

    def _upgrade_short_records(self, summaries: list[TransformSummary]) -> list[TransformSummary]:
        """Once a national record for a short record's ISBN is converted (so clustering knows its ISBN),
        the short record takes its description at once (`copy_cataloguing.upgrade`, copies kept) and its
        library's source is converted again: the next harvest of the national source upgrades it, whether
        the harvest came from the scheduler or the command line."""
        national = {s.id for s in self.settings.sources if s.kind == "national"}
        if not any(s.source in national and (s.new or s.changed) for s in summaries):
            return []
        done = copy_cataloguing.upgrade(self.settings, self.records)
        out = []
        for source_id in sorted({source_id for source_id, _identifier in done}):
            for identifier in [i for s_id, i in done if s_id == source_id]:
                self._tell(f"{source_id}: short record {identifier} upgraded from the national bibliography")
            summary = next((s for s in summaries if s.source == source_id), None)
            again = self._run_source(self.settings.source(source_id), False)
            if summary is None:
                out.append(again)
            else:
                summary.converted += again.converted
                summary.changed += again.changed
        return out

    def _merge_overlays(self, conn, source, parsed: list, stamp: datetime) -> list:
        """Each record with its library's enrichment overlays merged (transform.overlays); a group the
        source now has itself wins over its overlay, which is marked superseded and reported."""
        self._overlays = {}
        found = overlays.rows_for(conn, source.id, [p[0].identifier for p in parsed])
        if not found:
            return parsed
        directory = libraries_vocab.directory(self.settings)
        out = []
        for row, digest, old, record, keys in parsed:
            rows = found.get(row.identifier)
            if rows:
                merged = overlays.merge(record, rows)
                overlays.mark_superseded(conn, merged.superseded, stamp)
                for gone in merged.superseded:
                    self._tell(f"{source.id}:{row.identifier}: the source now has {gone.group_name}; "
                               f"overlay field {gone.tag} superseded")
                if merged.applied:
                    wanted = {(r.from_source, r.from_identifier) for r in merged.applied}
                    sources = {(r.source, r.identifier): self.graph.instance_uri(r.source, r.record_id).value
                               for r in conn.execute(select(transform_records.c.source, transform_records.c.identifier,
                                                            transform_records.c.record_id)
                                                     .where(tuple_(transform_records.c.source,
                                                                   transform_records.c.identifier).in_(wanted)))}
                    agents = {r.library: library_iri(self.settings.base_uri, directory.get(r.library))
                              for r in merged.applied if directory.get(r.library) is not None}
                    self._overlays[row.identifier] = (merged.applied, sources, agents)
                    record = merged.record
            out.append((row, digest, old, record, keys))
        return out

    # -- after all sources ---------------------------------------------------------------------

    def _apply_overrides(self) -> dict[str, int]:
        """Re-apply manual joins and splits, part works whose bridging record left, then re-convert the
        records they moved."""
        with self.engine.begin() as conn:
            clusterer = Clusterer(conn, self.ignored)
            changes = clusterer.apply_overrides()
            changes.merge(clusterer.split_bridges(self.changes.shrunk | changes.dirty))
        self.changes.merge(changes)
        moved = sorted(changes.moved)
        by_source: dict[str, list[str]] = {}
        for source_id, identifier in moved:
            by_source.setdefault(source_id, []).append(identifier)
        counts = {}
        for source_id, identifiers in by_source.items():
            source = self.settings.source(source_id)
            self._with_holdings = None
            summary = TransformSummary(source_id)
            batch = []
            with self.engine.connect() as conn:
                state = {r.identifier: r for r in conn.execute(
                    select(transform_records).where(transform_records.c.source == source_id,
                                                    transform_records.c.identifier.in_(identifiers)))}
            for identifier in identifiers:
                row = self.records.get(source_id, identifier)
                if row is not None and not row.deleted:
                    batch.append(("convert", row, state[identifier].holdings_checksum, state[identifier]))
            for chunk in chunks(batch, BATCH):
                self._batch(source, chunk, set(), summary, recluster=False)
            counts[source_id] = summary.converted
        return counts

    def _write_work_graphs(self, everything: bool) -> None:
        """Redraw the work graphs whose membership or translation link changed (all of them on --full).
        A chunk of works at a time is logged and becomes its own outbox row: a first run redraws every
        work, and one row of them all was held (and loaded into Oxigraph) at once."""
        with self.engine.connect() as conn:
            if everything:
                dirty = {r[0] for r in conn.execute(select(clusters.c.cluster_id))}
            else:
                dirty = set(self.changes.dirty)
        published = licences.published_sources(self.settings)
        for chunk in chunks(sorted(dirty), CHUNK):
            with self.engine.connect() as conn:
                links = dict(conn.execute(select(clusters.c.cluster_id, clusters.c.translation_of)
                                          .where(clusters.c.cluster_id.in_(chunk))).all())
                instances: dict[str, list] = {c: [] for c in links}
                for r in conn.execute(select(transform_records.c.cluster_id, transform_records.c.source,
                                             transform_records.c.record_id)
                                      .where(transform_records.c.cluster_id.in_(chunk),
                                             transform_records.c.status == "ok",
                                             transform_records.c.source.in_(published))):
                    instances[r.cluster_id].append(self.graph.instance_uri(r.source, r.record_id))
            graphs = {self.graph.work_graph(cid): self.graph.work_triples(cid, members, links[cid])
                      for cid, members in instances.items() if members}
            # a work with no record that may be republished (or none left) has no graph
            gone = [c for c in chunk if c not in links or not instances.get(c)]
            change_log.log_works(self.engine, self.graph, graphs, gone, now())
            self._write_works(graphs, gone)
        change_log.log_works(self.engine, self.graph, (), self.changes.removed, now())
        self._write_works({}, self.changes.removed)
        self.changes = RunChanges()

    def _write_works(self, graphs: dict, dropped_clusters) -> None:
        with self.engine.begin() as conn:
            outbox = self.graph.bound(conn, "works")
            outbox.remove([self.graph.work_graph(c) for c in dropped_clusters])
            outbox.replace(graphs)


def run_transform(settings, record_store, source_ids=None, full: bool = False, progress: bool = True,
                  graph: GraphStore | None = None, converter=None, apply: bool = True) -> list[TransformSummary]:
    """The `transform` verb: one summary per source. `apply`: bring the graph store up to the outbox as it
    goes and at the end (the CLI); False in a portal request, which must not open Oxigraph for writing and
    leaves the rows to the applier (`grenselos apply`, or `serve`'s thread). Either way under the writer
    lock, which also keeps two transforms of one source apart. Only the CLI's run uses the conversion
    workers (`[transform] workers`): a portal request converts in its own process, as a web server's
    threads make forking it unsafe and what a request converts is a batch or two."""
    tell = (lambda text: print(text, file=sys.stderr, flush=True)) if progress else None
    if not apply:
        with writer_lock(settings.data_dir):
            pipeline = Pipeline(settings, record_store, graph=graph, converter=converter, progress=tell, workers=1)
            try:
                return pipeline.run(source_ids, full=full)
            finally:
                pipeline.close()
    engine = record_store.engine
    with graph_outbox.writing(settings, engine, graph, "records") as outbox:
        pipeline = Pipeline(settings, record_store, graph=outbox.view, converter=converter, progress=tell)
        applier = graph_outbox.BackgroundApply(engine, outbox.view)    # Oxigraph beside the conversion
        pipeline.apply_pending = lambda now_: applier.drain() if now_ else applier.step()
        try:
            return pipeline.run(source_ids, full=full)
        finally:
            applier.close()
