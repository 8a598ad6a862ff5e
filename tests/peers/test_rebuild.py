"""The graph store and the search index are projections of the SQL truth: `grenselos rebuild` recreates
them equal to the incrementally kept ones, and `status`/`run` notice and repair a store that lost data."""

from __future__ import annotations

import json

from click.testing import CliRunner
from lxml import etree
from sqlalchemy import select

from core import settings as settings_mod
from grenselos.cli import cli
from harvest.files import import_files
from harvest.store import IncomingRecord, RecordStore
from index.backends import open_backend
from index.pipeline import index_changes
from index.tables import index_state
from tests import koha_catalogue
from transform.graphstore import GraphStore
from transform.pipeline import run_transform

KOHA = koha_catalogue.KOHA
LC = "marcxml-lc/dataset/loc_general.xml"
MARC = "http://www.loc.gov/MARC21/slim"


def write_config(tmp_path, db_url):
    return koha_catalogue.write_config(tmp_path, db_url, more='''[[sources]]
id = "alta"
name = "Alta bibliotek"
municipality = "Alta"
''')


def snapshot(settings, store):
    """Every quad of the graph store, and every indexed document, as text."""
    with GraphStore.open(settings, read_only=True) as graph:
        quads = sorted(str(q) for q in graph.store.quads_for_pattern(None, None, None, None))
    with store.engine.connect() as conn:
        ids = sorted(r[0] for r in conn.execute(select(index_state.c.doc_id)))
    backend = open_backend(settings)
    try:
        docs = {i: backend.get(i).to_json() for i in ids}
        total = backend.count()
    finally:
        backend.close()
    return quads, docs, total


def retitle(store, source, count):
    """A library corrects some titles: the records come again, changed."""
    changed = []
    for row in store.iter_records(source, record_type="bib"):
        if len(changed) == count:
            break
        if not row.marcxml:
            continue
        tree = etree.fromstring(row.marcxml.encode())
        title = tree.find(f"{{{MARC}}}datafield[@tag='245']/{{{MARC}}}subfield[@code='a']")
        if title is None:
            continue
        title.text = (title.text or "") + " (revidert)"
        changed.append(IncomingRecord(identifier=row.identifier, marcxml=etree.tostring(tree, encoding="unicode"),
                                      control_number=row.control_number, datestamp="2026-12-07"))
    store.upsert(source, changed)
    return [r.identifier for r in changed]


def test_rebuild_equals_the_incremental_stores_and_run_repairs_a_store_that_lost_data(tmp_path, db_url,
                                                                                     shared_data):
    path = write_config(tmp_path, db_url)
    settings = settings_mod.load(path)
    store = RecordStore(db_url)
    import_files(store, settings.source("tromso"), [shared_data / KOHA])
    import_files(store, settings.source("alta"), [shared_data / LC])
    run_transform(settings, store, progress=False)
    index_changes(settings, store)
    # Incremental life: changed titles, deletions, a re-run.
    retitle(store, "tromso", 5)
    store.mark_deleted("alta", [r.identifier for r in store.iter_records("alta", record_type="bib")][:3])
    run_transform(settings, store, progress=False)
    index_changes(settings, store)
    incremental = snapshot(settings, store)
    assert incremental[2] == len(incremental[1]) > 400

    runner = CliRunner()
    result = runner.invoke(cli, ["--config", str(path), "rebuild", "--yes"])
    assert result.exit_code == 0, result.output
    rebuilt = snapshot(settings, store)
    assert rebuilt[0] == incremental[0]                  # the same quads
    assert rebuilt[1] == incremental[1]                  # the same documents, field for field
    assert rebuilt[2] == incremental[2]

    # The stores lose data behind everyone's back: an emptied index, a dropped record graph.
    backend = open_backend(settings)
    backend.clear()
    backend.close()
    with GraphStore.open(settings) as graph:
        victim = next(n for n in graph.store.named_graphs() if "/graph/alta-" in n.value)
        graph.remove([victim])
    status = json.loads(runner.invoke(cli, ["--config", str(path), "status", "--json"]).output)
    assert status["tromso"]["stores_agree"] is False and status["tromso"]["indexed_documents"] == 0
    assert status["alta"]["graph_records_missing"] == 1
    text = runner.invoke(cli, ["--config", str(path), "status"]).output
    assert "differ" in text and "grenselos run" in text

    result = runner.invoke(cli, ["--config", str(path), "run"])
    assert result.exit_code == 0, result.output
    assert snapshot(settings, store) == incremental      # everything back, equal to before
    status = json.loads(runner.invoke(cli, ["--config", str(path), "status", "--json"]).output)
    assert status["tromso"]["stores_agree"] is True and status["alta"]["stores_agree"] is True, {s: {k: v for k, v in e.items() if "doc" in k or "graph" in k or "agree" in k or "error" in k} for s, e in status.items()}
    store.close()
