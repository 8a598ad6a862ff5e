"""One writer for the graph store: every graph write is a `graph_outbox` row in the SQL transaction of its
change, and one applier replays the rows into Oxigraph (transform.graph_outbox). On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyoxigraph import Literal, NamedNode, Triple
from sqlalchemy import func, select

from grenselos.cli import cli
from tests import koha_catalogue
from transform import copies as copies_store, descriptions, graph_outbox
from transform.graph_outbox import GraphOutbox, graph_outbox as outbox_table
from transform.graphstore import GraphStore
from transform.pipeline import run_transform
from transform.tables import transform_records

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def world(tmp_path, db_url, shared_data):
    path = koha_catalogue.write_config(tmp_path, db_url)
    settings, store = koha_catalogue.build(path, shared_data, transform=False)
    yield path, settings, store
    store.close()


def quads(graph: GraphStore) -> list[str]:
    return sorted(str(q) for q in graph.store.quads_for_pattern(None, None, None, None))


def rows(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(outbox_table)).scalar()


def replay_naively(engine, graph: GraphStore) -> None:
    """What the stages did before the outbox: each write straight into the store, one at a time."""
    with engine.connect() as conn:
        found = conn.execute(select(outbox_table).order_by(outbox_table.c.id)).all()
    for r in found:
        names = [NamedNode(n) for n in json.loads(r.graphs)]
        if r.op == "clear":
            graph.clear()
        elif r.op == "remove":
            graph.remove(names)
        else:
            by_graph: dict = {n: [] for n in names}
            for q in graph_outbox.unpack_quads(r.payload):
                by_graph[q.graph_name].append(q.triple)
            graph.replace(by_graph)


def test_a_request_transform_writes_rows_not_the_store_and_the_applier_makes_the_same_graph(world):
    path, settings, store = world
    engine = store.engine
    # A portal request's way: convert, but leave the graph store alone (it is not even created).
    summaries = run_transform(settings, store, progress=False, apply=False)
    assert summaries[0].converted > 40
    assert not (settings.data_dir / "graph").exists()
    pending, oldest = graph_outbox.pending(engine)
    assert pending == rows(engine) > 0 and oldest is not None

    runner = CliRunner()
    status = json.loads(runner.invoke(cli, ["--config", str(path), "status", "--json"]).output)
    assert status["tromso"]["outbox"]["graph"]["pending"] == pending
    assert status["tromso"]["outbox"]["graph"]["oldest_seconds"] >= 0
    assert "graph outbox: " in runner.invoke(cli, ["--config", str(path), "status"]).output

    # The old direct writes, replayed one by one into a store of their own, are the reference.
    reference = GraphStore(None, settings.base_uri)
    replay_naively(engine, reference)

    result = runner.invoke(cli, ["--config", str(path), "apply", "--once"])
    assert result.exit_code == 0, result.output
    assert f"graph outbox: {pending} rows applied" in result.output
    assert rows(engine) == 0
    with GraphStore.open(settings, read_only=True) as graph:
        applied = quads(graph)
        assert applied == quads(reference) and len(applied) > 1000
        # every record graph carries what the SQL truth's packed description says
        with engine.connect() as conn:
            ids = dict(conn.execute(select(transform_records.c.identifier, transform_records.c.record_id)
                                    .where(transform_records.c.status == "ok")).all())
            packed = descriptions.packed_many(conn, "tromso", list(ids))
        assert set(packed) == set(ids)
        for identifier, record_id in ids.items():
            triples = graph.record_triples("tromso", record_id)
            assert descriptions.unpack(descriptions.pack(triples)) == descriptions.unpack(packed[identifier])
    status = json.loads(runner.invoke(cli, ["--config", str(path), "status", "--json"]).output)
    assert status["tromso"]["outbox"]["graph"] == {"pending": 0, "oldest_seconds": None}


def test_a_rollback_leaves_neither_the_change_nor_its_row(world, monkeypatch):
    _path, settings, store = world

    def fails(*_args, **_kwargs):
        raise RuntimeError("the database went away mid-batch")

    # copies are written after the batch's graph rows, in the same transaction
    monkeypatch.setattr(copies_store, "sync", fails)
    with pytest.raises(RuntimeError):
        run_transform(settings, store, progress=False, apply=False)
    assert rows(store.engine) == 0
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(transform_records)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(descriptions.record_descriptions)).scalar() == 0
    monkeypatch.undo()
    run_transform(settings, store, progress=False)          # the CLI's way: applied as it goes and at the end
    assert rows(store.engine) == 0
    with GraphStore.open(settings, read_only=True) as graph:
        assert graph.counts()["record_graphs"] > 40


def test_an_applier_killed_between_the_store_write_and_the_delete_redoes_its_rows(world):
    _path, settings, store = world
    run_transform(settings, store, progress=False, apply=False)
    pending = rows(store.engine)
    reference = GraphStore(None, settings.base_uri)
    replay_naively(store.engine, reference)
    # A real process, SIGKILLed after Oxigraph flushed its first chunk and before the rows were deleted.
    code = textwrap.dedent(f"""
        import os, signal
        from core.db import engine_for
        from transform import graph_outbox
        from transform.graphstore import GraphStore
        graph_outbox.APPLY_ROWS = 1
        graph = GraphStore({str(settings.data_dir / 'graph')!r}, {settings.base_uri!r})
        graph_outbox.apply(engine_for({settings.database_url!r}), graph,
                           after_write=lambda rows: os.kill(os.getpid(), signal.SIGKILL))
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == -9, done.stderr
    assert rows(store.engine) == pending                    # nothing marked done
    with GraphStore.open(settings) as graph:
        assert 0 < len(graph.store) < len(reference.store)   # the first chunk reached the store
        assert graph_outbox.apply(store.engine, graph) == pending
        assert quads(graph) == quads(reference)
    assert rows(store.engine) == 0


def test_later_rows_win_within_one_chunk_and_a_clear_is_a_barrier(tmp_path):
    from core.db import engine_for, migrate
    engine = engine_for(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine)
    graph = GraphStore(None, "http://x.test")
    out = GraphOutbox(engine, graph)
    a, b = NamedNode("http://x.test/graph/a"), NamedNode("http://x.test/graph/b")
    s, p = NamedNode("http://x.test/s"), NamedNode("http://x.test/p")
    out.replace({a: [Triple(s, p, Literal("a1"))], b: [Triple(s, p, Literal("b1", language="se"))]})
    out.replace({a: [Triple(s, p, Literal("a2"))]})
    out.remove([b])
    out.replace({b: [Triple(s, p, Literal("b2", language="se"))]})
    assert graph_outbox.apply(engine, graph) == 4
    assert quads(graph) == sorted(str(q) for q in [
        *graph_outbox.unpack_quads(graph_outbox.pack_quads({a: [Triple(s, p, Literal("a2"))],
                                                            b: [Triple(s, p, Literal("b2", language="se"))]}))])
    out.replace({a: [Triple(s, p, Literal("a3"))]})
    out.clear()
    out.replace({b: [Triple(s, p, Literal("b3"))]})
    graph_outbox.apply(engine, graph)
    assert [q.object.value for q in graph.store.quads_for_pattern(None, None, None, None)] == ["b3"]


WRITER = """
import sys
from pyoxigraph import Literal, NamedNode, Triple
from core.db import engine_for
from transform.graph_outbox import GraphOutbox
from transform.graphstore import GraphStore
name, count = sys.argv[1], int(sys.argv[2])
out = GraphOutbox(engine_for({url!r}), GraphStore(None, "http://x.test"))
s, p = NamedNode("http://x.test/s"), NamedNode("http://x.test/p")
for n in range(count):
    out.replace({{NamedNode(f"http://x.test/graph/{{name}}-{{n}}"): [Triple(s, p, Literal(str(n)))]}})
"""


def test_two_processes_adding_rows_while_the_applier_runs_lose_nothing(pg_url, tmp_path):
    from core.db import engine_for, migrate
    engine = engine_for(pg_url)
    migrate(engine)
    code = WRITER.format(url=pg_url)
    writers = [subprocess.Popen([sys.executable, "-c", code, name, "150"], cwd=ROOT, stderr=subprocess.PIPE,
                                text=True) for name in ("one", "two")]
    graph = GraphStore(tmp_path / "graph", "http://x.test")
    applied = 0
    while any(w.poll() is None for w in writers):
        applied += graph_outbox.apply(engine, graph)
        time.sleep(0.01)
    assert [w.wait() for w in writers] == [0, 0], [w.stderr.read() for w in writers]
    applied += graph_outbox.apply(engine, graph)
    assert applied == 300 and rows(engine) == 0
    names = {n.value for n in graph.store.named_graphs()}
    assert names == {f"http://x.test/graph/{w}-{n}" for w in ("one", "two") for n in range(150)}
    graph.close()
    engine.dispose()
