"""Incremental indexing: only what changed, deletes, re-clustering, and recovery from a backend that
fails mid-run — against tantivy and the Solr peers, with the state table on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses

import pytest

from core import db
from index.errors import BackendError
from index.indexer import Indexer
from index.query import Query
from index.tantivy_backend import TantivyBackend
from tests.peers.search_backends import BACKENDS, open_test_backend
from tests.peers.search_corpus import ALL


def engine_for(url):
    engine = db.engine_for(url)
    db.migrate(engine)
    return engine


@pytest.mark.parametrize("kind", BACKENDS)
def test_only_changes_are_sent_and_deletes_disappear(kind, tmp_path):
    engine = engine_for(f"sqlite:///{tmp_path / 'state.sqlite'}")
    with open_test_backend(kind, tmp_path) as backend:
        indexer = Indexer(engine, backend, kind, batch=7)
        first = indexer.run(ALL, complete=True)
        assert (first.indexed, first.failed) == (len(ALL), None)
        assert backend.count() == len(ALL)

        again = indexer.run(ALL, complete=True)
        assert (again.indexed, again.unchanged, again.deleted) == (0, len(ALL), 0)

        changed = dataclasses.replace(ALL[0], title="Ođđa namma")
        moved = dataclasses.replace(ALL[1], work_id="w-new-cluster")  # re-clustered: new shard route
        current = [changed, moved] + ALL[2:-1]                       # the last one is gone
        third = indexer.run(current, complete=True)
        assert (third.indexed, third.deleted) == (2, 1)
        assert backend.count() == len(ALL) - 1
        assert [h.id for h in backend.search(Query(text="odda namma")).hits] == [ALL[0].id]
        hits = backend.search(Query(text=ALL[1].title, group=True)).groups
        assert "w-new-cluster" in [g.work_id for g in hits]
        assert ALL[1].work_id not in [g.work_id for g in hits]
        assert backend.search(Query(text=ALL[-1].title)).total == 0 or \
            ALL[-1].id not in [h.id for h in backend.search(Query(text=ALL[-1].title)).hits]

        explicit = indexer.run([], deletes=[ALL[2].id])
        assert explicit.deleted == 1 and backend.count() == len(ALL) - 2
        assert indexer.indexed_count() == len(ALL) - 2


class FailingTantivy(TantivyBackend):
    """A real tantivy index whose commit fails once, after `ok` successful commits (fault injection)."""

    def __init__(self, path, ok: int):
        super().__init__(path, writer_heap=50_000_000, writer_threads=1)
        self.ok = ok

    def commit(self):
        if self.ok == 0:
            self.ok = -1
            self.rollback()
            raise BackendError("injected failure: backend went away")
        self.ok -= 1
        super().commit()


def test_backend_failure_mid_run_is_completed_by_the_next_run(db_url, tmp_path):
    engine = engine_for(db_url)
    backend = FailingTantivy(tmp_path / "idx", ok=2)
    indexer = Indexer(engine, backend, "tantivy", batch=5)
    broken = indexer.run(ALL, complete=True)
    assert broken.failed and "injected failure" in broken.failed
    assert broken.indexed == 10 and backend.count() == 10          # two committed batches, nothing else
    assert indexer.indexed_count() == 10                            # state matches the index exactly
    assert indexer.last_success() is None

    resumed = indexer.run(ALL, complete=True)
    assert resumed.failed is None
    assert (resumed.indexed, resumed.unchanged) == (len(ALL) - 10, 10)
    assert backend.count() == len(ALL) and indexer.indexed_count() == len(ALL)
    assert indexer.last_success() is not None
    backend.close()
    engine.dispose()


def test_commits_less_often_than_batches_and_records_only_what_was_committed(tmp_path):
    """`commit_every`: batches of 5 committed by 12 (so 15 at a time); a commit that fails loses the
    batches since the last one, which are unrecorded and sent by the next run."""
    engine = engine_for(f"sqlite:///{tmp_path / 'state.sqlite'}")
    backend = FailingTantivy(tmp_path / "idx", ok=1)
    indexer = Indexer(engine, backend, "tantivy", batch=5, commit_every=12)
    broken = indexer.run(ALL, complete=True)
    assert broken.failed and "injected failure" in broken.failed
    assert backend.count() == 15 and indexer.indexed_count() == 15
    resumed = indexer.run(ALL, complete=True)
    assert resumed.failed is None and (resumed.indexed, resumed.unchanged) == (len(ALL) - 15, 15)
    assert backend.count() == len(ALL) and indexer.indexed_count() == len(ALL)
    shorter = indexer.run(ALL[3:], complete=True)      # a complete run removes what it did not see
    assert (shorter.deleted, shorter.unchanged) == (3, len(ALL) - 3)
    assert backend.count() == len(ALL) - 3 and indexer.indexed_count() == len(ALL) - 3
    assert all(backend.get(d.id) is None for d in ALL[:3]) and backend.get(ALL[3].id) is not None
    backend.close()
    engine.dispose()


def test_unreachable_solr_fails_the_run_and_records_nothing(tmp_path):
    import socket

    from index.solr_backend import SolrBackend
    with socket.socket() as s:                      # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    engine = engine_for(f"sqlite:///{tmp_path / 'state.sqlite'}")
    pauses: list[float] = []
    indexer = Indexer(engine, SolrBackend(f"http://127.0.0.1:{port}/solr/none", timeout=5), "solr", batch=10,
                      patience=3, pause=pauses.append)
    summary = indexer.run(ALL, complete=True)
    assert summary.failed and "no Solr node answers" in summary.failed
    assert pauses == [1.0, 2.0] and summary.waited == 3.0      # the batch was sent again while patience lasted
    assert summary.indexed == 0 and indexer.indexed_count() == 0 and indexer.last_success() is None
