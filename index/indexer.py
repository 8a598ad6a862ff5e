"""Keeps a search backend in step with the documents: only what changed, in batches, resumable.

Each batch goes to the backend and is committed there before its `index_state` rows are written, so a
backend that fails mid-run leaves committed batches recorded and the rest unrecorded: the next run
sends those again (every write is idempotent by id). A document whose work changed (re-clustered) is
deleted under its old key, which on Solr is a different shard route.

An outage (`SearchUnavailable`: a Solr node restarting, a shard without a leader) is waited out: the
batch is sent again, with growing pauses, for up to `patience` seconds, so a node that comes back
within that time costs a pause, not a failed run. Past it the run stops as failed; nothing of the
unsent batches was recorded, so the next run finds them changed and sends them. A batch that went
through only after an outage is sent once more when the backend has settled (`backend.settled()`):
a Solr node still coming back acknowledges updates it may then lose (a test that kills a node while
indexing found a delete undone that way).

Memory does not grow with the collection: documents come from an iterator and are held a batch at a
time. `commit_every` lets a large build commit less often than it sends batches (each tantivy commit
writes a segment and starts merges, so a commit per 20,000 documents costs a million-document build a
third of its time); the state of the batches since the last commit is kept (a few short strings per
document) and written after that commit. Those batches are no longer in hand, so an outage then is not
waited out: the run fails and the next one sends them again, which suits the embedded index (it has no
outages) and full builds. What a complete run saw is kept as 8-byte hashes of the ids, not the ids.
"""

from __future__ import annotations

import hashlib
import heapq
import logging
import time
from array import array
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable, Iterator

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Engine

from core.clock import now
from core.db import chunks
from index.backend import SearchBackend
from index.document import Document
from index.errors import BackendError, SearchUnavailable
from index.tables import index_runs, index_state

#: The status of a full run that did not finish (see `Indexer.last_success`).
FAILED_FULL = "failed_full"
#: Ids per SQL statement on `index_state` (below SQLite's limit on bound parameters).
SQL_CHUNK = 10_000

log = logging.getLogger(__name__)


@dataclass
class Summary:
    target: str
    indexed: int = 0
    unchanged: int = 0
    deleted: int = 0
    errors: int = 0
    batches: int = 0
    seconds: float = 0.0
    failed: str | None = None
    problems: list[str] = field(default_factory=list)
    #: Seconds spent waiting out an unavailable search index (see Indexer._patiently).
    waited: float = 0.0

    def line(self) -> str:
        rate = self.indexed / self.seconds if self.seconds else 0.0
        state = f"FAILED: {self.failed}" if self.failed else "ok"
        if self.waited:
            state += f" (waited {self.waited:.0f} s for the search index)"
        return (f"index {self.target}: {self.indexed} indexed, {self.unchanged} unchanged, {self.deleted} deleted, "
                f"{self.errors} errors in {self.seconds:.1f} s ({rate:.0f} docs/s) — {state}")


def _id_hash(doc_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(doc_id.encode(), digest_size=8).digest(), "big", signed=True)


class _Seen:
    """The ids a complete run saw, as sorted runs of 64-bit hashes (8 bytes an id, where a set of the ids
    would hold ~110 bytes each): merged into one sorted array when asked. Two ids sharing a hash (odds
    about 1 in 10^7 at a billion pairs) would keep a removed document until the next complete run."""

    def __init__(self):
        self._runs: list[array] = []
        self._merged: array | None = None

    def add_all(self, ids: Iterable[str]) -> None:
        self._runs.append(array("q", sorted(_id_hash(i) for i in ids)))

    def __contains__(self, doc_id: str) -> bool:
        if self._merged is None:
            self._merged = array("q", heapq.merge(*self._runs))
            self._runs = []
        h = _id_hash(doc_id)
        i = bisect_left(self._merged, h)
        return i < len(self._merged) and self._merged[i] == h


class Indexer:
    def __init__(self, engine: Engine, backend: SearchBackend, target: str, *, batch: int = 1000,
                 progress: Callable[[Summary], None] | None = None, patience: float = 120.0,
                 pause: Callable[[float], None] = time.sleep, commit_every: int = 0):
        self.engine, self.backend, self.target = engine, backend, target
        self.batch, self.progress = batch, progress
        self.patience, self.pause = patience, pause
        #: documents sent between commits (0: a commit per batch, each batch waited out on an outage)
        self.commit_every = commit_every
        self._pending: dict[str, tuple[str, str, str]] = {}   # doc id -> (work, source, checksum)

    # -- runs -------------------------------------------------------------------------------

    def last_success(self) -> datetime | None:
        """Start time of the newest completed run: the next incremental run looks from there. None (the
        next run is a full one) when a full run failed after it: that run already recorded the new works of
        what it sent, so an incremental run could no longer tell which works lost an edition."""
        with self.engine.connect() as conn:
            value = conn.execute(select(func.max(index_runs.c.started_at)).where(
                index_runs.c.target == self.target, index_runs.c.status == "ok")).scalar()
            if value is not None and conn.execute(select(index_runs.c.id).where(
                    index_runs.c.target == self.target, index_runs.c.status == FAILED_FULL,
                    index_runs.c.started_at > value)).first() is not None:
                return None
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value

    def indexed_count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(index_state).where(
                index_state.c.target == self.target)).scalar() or 0

    def run(self, documents: Iterable[Document], *, deletes: Iterable[str] = (), complete: bool = False,
            force: bool = False) -> Summary:
        """Send new and changed documents, remove `deletes`; with `complete`, `documents` is the whole
        collection and anything indexed but not in it is removed too. `force` resends unchanged ones."""
        summary = Summary(self.target)
        started, t0 = now(), time.perf_counter()
        with self.engine.begin() as conn:
            run_id = conn.execute(insert(index_runs).values(target=self.target, started_at=started,
                                                            status="running", indexed=0, deleted=0,
                                                            errors=0)).inserted_primary_key[0]
        seen = _Seen() if complete else None
        self._pending = {}
        try:
            for chunk in chunks(documents, self.batch):
                self._upsert_batch(chunk, summary, force, seen)
                summary.seconds = time.perf_counter() - t0
                if self.progress:
                    self.progress(summary)
            self._commit_pending(summary)
            gone = list(deletes)
            if complete:
                gone += [doc_id for doc_id in self._indexed_ids() if doc_id not in seen]
            for chunk in chunks(gone, self.batch):
                self._delete_batch(chunk, summary)
            status, message = "ok", None
        except BackendError as exc:
            summary.failed = str(exc)
            status, message = FAILED_FULL if complete else "failed", str(exc)
            self._pending = {}
        summary.seconds = time.perf_counter() - t0
        with self.engine.begin() as conn:
            conn.execute(update(index_runs).where(index_runs.c.id == run_id).values(
                finished_at=now(), status=status, indexed=summary.indexed, deleted=summary.deleted,
                errors=summary.errors, message=message))
        return summary

    # -- batches ----------------------------------------------------------------------------

    def _patiently(self, write: Callable[[], None], summary: Summary) -> None:
        """`write()` (idempotent), again after pauses of 1, 2, 4 … 15 s while the backend is unavailable,
        until `patience` seconds have passed; then the outage ends the run. A write that went through
        only after an outage is sent once more when the backend has settled: a Solr node accepts updates
        while it is still coming back, and can lose them then."""
        deadline, wait, outage = time.monotonic() + self.patience, 1.0, False
        while True:
            try:
                write()
                if outage:
                    self._await_settled(deadline, summary)
                    write()
                return
            except SearchUnavailable as exc:
                if time.monotonic() + wait > deadline:
                    raise
                outage = True
                log.warning("search index unavailable, batch sent again in %.0f s: %s", wait, str(exc)[:300])
                self.pause(wait)
                summary.waited += wait
                wait = min(wait * 2, 15.0)

    def _await_settled(self, deadline: float, summary: Summary) -> None:
        while not self.backend.settled():
            if time.monotonic() + 1 > deadline:
                raise SearchUnavailable("the search index did not settle after an outage")
            self.pause(1.0)
            summary.waited += 1.0

    def _state(self, ids: list[str]) -> dict[str, tuple[str, str]]:
        out = {}
        with self.engine.connect() as conn:
            for start in range(0, len(ids), SQL_CHUNK):
                rows = conn.execute(select(index_state.c.doc_id, index_state.c.work_id, index_state.c.checksum)
                                    .where(index_state.c.target == self.target,
                                           index_state.c.doc_id.in_(ids[start:start + SQL_CHUNK])))
                out.update((r.doc_id, (r.work_id, r.checksum)) for r in rows)
        return out

    def _indexed_ids(self) -> Iterator[str]:
        """Every indexed id, read a page at a time (by id, so that none is missed or repeated)."""
        after = ""
        while True:
            with self.engine.connect() as conn:
                page = [r[0] for r in conn.execute(
                    select(index_state.c.doc_id).where(index_state.c.target == self.target,
                                                       index_state.c.doc_id > after)
                    .order_by(index_state.c.doc_id).limit(SQL_CHUNK))]
            yield from page
            if len(page) < SQL_CHUNK:
                return
            after = page[-1]

    def _upsert_batch(self, docs: list[Document], summary: Summary, force: bool, seen: _Seen | None) -> None:
        latest = {d.id: d for d in docs}          # a document repeated in one batch: the last one wins
        state = self._state(list(latest))
        if seen is not None:
            seen.add_all(latest)
        send, moved, checksums = [], [], {}
        for doc in latest.values():
            checksum = doc.checksum
            old = state.get(doc.id)
            if old and old[1] == checksum and not force:
                summary.unchanged += 1
                continue
            if old and old[0] != doc.work_id:
                moved.append((doc.id, old[0]))
            send.append(doc)
            checksums[doc.id] = checksum
        if not send:
            return
        if self.commit_every > len(send):   # committed with later batches (see the module docstring)
            if moved:
                self.backend.delete(moved)
            self.backend.add(send)
            self._pending.update((d.id, (d.work_id, d.source, checksums[d.id])) for d in send)
            summary.indexed += len(send)
            summary.batches += 1
            if len(self._pending) >= self.commit_every:
                self._commit_pending(summary)
            return

        def write():
            if moved:
                self.backend.delete(moved)
            self.backend.add(send)
            self.backend.commit()
        self._patiently(write, summary)
        self._record({d.id: (d.work_id, d.source, checksums[d.id]) for d in send})
        summary.indexed += len(send)
        summary.batches += 1

    def _commit_pending(self, summary: Summary) -> None:
        """Commit the batches sent since the last commit, then record them."""
        if not self._pending:
            return
        self.backend.commit()
        pending, self._pending = self._pending, {}
        self._record(pending)

    def _record(self, rows: dict[str, tuple[str, str, str]]) -> None:
        stamp = now()
        ids = list(rows)
        with self.engine.begin() as conn:
            for start in range(0, len(ids), SQL_CHUNK):
                part = ids[start:start + SQL_CHUNK]
                conn.execute(delete(index_state).where(index_state.c.target == self.target,
                                                       index_state.c.doc_id.in_(part)))
                conn.execute(insert(index_state), [
                    {"target": self.target, "doc_id": i, "work_id": rows[i][0], "source": rows[i][1],
                     "checksum": rows[i][2], "indexed_at": stamp} for i in part])

    def _delete_batch(self, ids: list[str], summary: Summary) -> None:
        state = self._state(ids)
        if not state:
            return
        def write():
            self.backend.delete([(doc_id, work) for doc_id, (work, _c) in state.items()])
            self.backend.commit()
        self._patiently(write, summary)
        with self.engine.begin() as conn:
            conn.execute(delete(index_state).where(index_state.c.target == self.target,
                                                   index_state.c.doc_id.in_(list(state))))
        summary.deleted += len(state)
