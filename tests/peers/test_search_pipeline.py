"""`grenselos index` end to end: real Koha records imported into the record store, indexed into tantivy
(and Solr, when configured), changed, deleted, re-indexed incrementally; the CLI verbs."""

from __future__ import annotations

import json

from lxml import etree

from core import settings as settings_mod
from harvest.files import import_files
from harvest.store import RecordStore
from index.pipeline import index_changes
from index.query import Facet, Filter, Query
from index.tantivy_backend import TantivyBackend

KOHA = "koha-misc4dev/koha_sample_biblios_with_952_items.marcxml"


def config(tmp_path, db_url, extra=""):
    path = tmp_path / "grenselos.toml"
    path.write_text(f'''data_dir = "{tmp_path / 'data'}"
database_url = "{db_url}"
{extra}
[[sources]]
id = "tromso"
name = "Tromsø bibliotek"
kind = "public"
municipality = "Tromsø"
holdings = "koha-952"
''', encoding="utf-8")
    return path


def test_index_from_the_record_store(shared_data, db_url, tmp_path):
    from transform.pipeline import run_transform
    settings = settings_mod.load(config(tmp_path, db_url))
    store = RecordStore(db_url)
    import_files(store, settings.source("tromso"), [shared_data / KOHA])
    total = sum(1 for r in store.iter_records(record_type="bib", include_deleted=False) if r.marcxml)  # warnings too
    assert total > 400

    backend = TantivyBackend(settings.data_dir / "index", writer_heap=50_000_000, writer_threads=1)
    before = index_changes(settings, store, backend)
    assert before.failed is None and before.indexed == 0       # nothing has a description before transform
    run_transform(settings, store, None, full=False, progress=False)
    first = index_changes(settings, store, backend)
    assert first.failed is None and first.indexed + first.errors == total
    result = backend.search(Query(text="springsteen", facets=(Facet("library"), Facet("municipality"))))
    assert result.total >= 1
    assert result.facets["library"][0].value == "tromso"
    assert result.facets["municipality"][0].value == "Tromsø"

    second = index_changes(settings, store, backend)
    assert (second.indexed, second.deleted) == (0, 0)               # nothing changed, nothing sent

    hit = result.hits[0]
    victim = hit.document.identifier
    assert hit.id == f"tromso-{victim.rsplit(':', 1)[-1]}"          # the record id the transform stage minted
    assert backend.get(hit.id).identifier == victim and backend.get(f"tromso:{victim}").id == hit.id
    store.mark_deleted("tromso", [victim])
    third = index_changes(settings, store, backend)
    assert third.deleted == 1
    assert victim not in [h.document.identifier for h in backend.search(Query(text="springsteen")).hits]
    assert backend.get(hit.id) is None

    full = index_changes(settings, store, backend, full=True)
    assert full.indexed == total - 1 - first.errors and backend.count() == total - 1 - first.errors
    backend.close()
    store.close()


def test_cli_index_and_status(shared_data, tmp_path):
    from click.testing import CliRunner
    from grenselos.cli import cli
    runner = CliRunner()
    path = str(config(tmp_path, f"sqlite:///{tmp_path / 'records.sqlite'}"))
    assert runner.invoke(cli, ["--config", path, "import", "--source", "tromso", str(shared_data / KOHA)]).exit_code == 0
    assert runner.invoke(cli, ["--config", path, "transform", "-q"]).exit_code == 0
    done = runner.invoke(cli, ["--config", path, "index", "-q"])
    assert done.exit_code == 0, done.output
    assert "indexed" in done.output and "ok" in done.output
    status = runner.invoke(cli, ["--config", path, "status", "--json"])
    data = json.loads(status.output[status.output.index("{"):])
    assert data["tromso"]["indexed"] > 400 and data["tromso"]["index_status"] == "ok"
    no_url = runner.invoke(cli, ["--config", path, "solr", "init"])
    assert no_url.exit_code != 0 and "solr_url" in no_url.output


def test_solr_init_and_index_into_solrcloud(shared_data, tmp_path):
    """What a production user runs: `solr init` (configset upload + collection), then `index` into it."""
    import os
    import uuid

    from click.testing import CliRunner

    from grenselos.cli import cli
    from index import solr_admin
    from index.solr_backend import SolrBackend
    from tests.conftest import require
    base = os.environ.get("GRENSELOS_TEST_SOLRCLOUD_URL", "")
    require(bool(base), "GRENSELOS_TEST_SOLRCLOUD_URL is not set (scripts/test.sh starts Solr: start_solr)")
    url = f"{base.rstrip('/')}/cli_{uuid.uuid4().hex[:8]}"
    path = str(config(tmp_path, f"sqlite:///{tmp_path / 'records.sqlite'}", f'[search]\nsolr_url = "{url}"'))
    runner = CliRunner()
    try:
        init = runner.invoke(cli, ["--config", path, "solr", "init", "--shards", "2"])
        assert init.exit_code == 0 and "created collection" in init.output, init.output
        again = runner.invoke(cli, ["--config", path, "solr", "init"])
        assert again.exit_code == 0 and "exists" in again.output
        assert runner.invoke(cli, ["--config", path, "import", "--source", "tromso",
                                   str(shared_data / KOHA)]).exit_code == 0
        assert runner.invoke(cli, ["--config", path, "transform", "-q"]).exit_code == 0
        done = runner.invoke(cli, ["--config", path, "index", "-q"])
        assert done.exit_code == 0, done.output
        solr = SolrBackend(url)
        assert solr.count() > 400
        assert solr.search(Query(text="springsteen")).total >= 1
    finally:
        solr_admin.drop(url)


def test_index_uses_the_transform_stage_work_clusters(shared_data, tmp_path):
    """After `transform`, documents carry its cluster ids and editions group under one work."""
    from sqlalchemy import select

    from transform.pipeline import run_transform
    from transform.tables import transform_records
    db_url = f"sqlite:///{tmp_path / 'records.sqlite'}"
    settings = settings_mod.load(config(tmp_path, db_url))
    store = RecordStore(db_url)
    import_files(store, settings.source("tromso"), [shared_data / KOHA])
    run_transform(settings, store, None, full=False, progress=False)
    with store.engine.connect() as conn:
        rows = conn.execute(select(transform_records.c.source, transform_records.c.record_id,
                                   transform_records.c.cluster_id, transform_records.c.status)).all()
        clusters = {f"{r.source}-{r.record_id}": r.cluster_id for r in rows}
    backend = TantivyBackend(settings.data_dir / "index", writer_heap=50_000_000, writer_threads=1)
    assert index_changes(settings, store, backend).failed is None
    hits = backend.search(Query(limit=50)).hits
    assert hits and all(h.work_id == clusters[h.id] for h in hits)   # ids are the minted `{source}-{record_id}`
    indexed = {h.id for h in backend.search(Query(limit=1000)).hits}
    # Every converted record is searchable, one with a harvest warning (mojibake in 020) too: the graph
    # store has it, so search has it (the warning stays in `grenselos quarantine`).
    assert backend.count() == sum(1 for r in rows if r.status == "ok"), sorted(set(clusters) - indexed)
    assert {"tromso-2609914", "tromso-2609914~2"} <= indexed       # `csc:2609914` and `2609914`: both kept
    grouped = backend.search(Query(group=True, limit=0))
    assert grouped.total_groups == len({clusters[h] for h in clusters if clusters[h]} & {
        h.work_id for h in backend.search(Query(limit=1000)).hits})
    backend.close()
    store.close()


def one_record_file(shared_data, tmp_path, n: int = 0):
    """The n-th Koha sample record alone, as another library would send the same edition."""
    tree = etree.parse(str(shared_data / KOHA))
    records = tree.getroot().findall("{http://www.loc.gov/MARC21/slim}record")
    root = etree.Element(tree.getroot().tag, nsmap=tree.getroot().nsmap)
    root.append(records[n])
    path = tmp_path / f"one-{n}.xml"
    path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    return path


def test_popularity_follows_editions_joining_and_leaving_a_work(shared_data, tmp_path):
    """When another library's edition joins a work, the editions already indexed get its new
    `work_libraries` (ranking); when it leaves, they drop back."""
    from transform.pipeline import run_transform
    db_url = f"sqlite:///{tmp_path / 'records.sqlite'}"
    extra = """
[[sources]]
id = "alta"
name = "Alta bibliotek"
kind = "public"
municipality = "Alta"
holdings = "koha-952"
"""
    path = config(tmp_path, db_url)
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    settings = settings_mod.load(path)
    store = RecordStore(db_url)
    import_files(store, settings.source("tromso"), [shared_data / KOHA])
    run_transform(settings, store, None, full=False, progress=False)
    backend = TantivyBackend(settings.data_dir / "index", writer_heap=50_000_000, writer_threads=1)
    assert index_changes(settings, store, backend).failed is None

    single = one_record_file(shared_data, tmp_path)
    own = next(h for h in backend.search(Query(limit=1000)).hits
               if h.document.identifier.endswith(etree.parse(str(single)).findtext(
                   ".//{http://www.loc.gov/MARC21/slim}controlfield[@tag='001']")))
    assert own.document.work_libraries == 1

    import_files(store, settings.source("alta"), [single])
    run_transform(settings, store, None, full=False, progress=False)
    joined = index_changes(settings, store, backend)
    assert joined.failed is None and joined.indexed == 2           # the new edition and the one it joined
    mine = backend.get(own.id)
    theirs = [h for h in backend.search(Query(filters=(Filter("source", ("alta",)),))).hits]
    assert len(theirs) == 1 and theirs[0].work_id == mine.work_id
    assert mine.work_libraries == 2 and theirs[0].document.work_libraries == 2

    store.mark_deleted("alta", [theirs[0].document.identifier])
    run_transform(settings, store, None, full=False, progress=False)
    left = index_changes(settings, store, backend)
    assert left.failed is None and left.deleted == 1 and left.indexed == 1
    assert backend.get(own.id).work_libraries == 1 and backend.get(theirs[0].id) is None
    backend.close()
    store.close()


def test_full_run_rebuilds_an_index_written_with_an_older_field_table(shared_data, tmp_path):
    """A new field (the projection's `sort_rank`) changes tantivy's schema: an incremental run refuses the
    old index and says to run --full, and --full makes it anew."""
    import pytest
    import tantivy

    from index.errors import FatalBackendError
    from transform.pipeline import run_transform
    db_url = f"sqlite:///{tmp_path / 'records.sqlite'}"
    settings = settings_mod.load(config(tmp_path, db_url))
    old = tantivy.SchemaBuilder()
    old.add_text_field("id", stored=True)
    (settings.data_dir / "index").mkdir(parents=True)
    tantivy.Index(old.build(), path=str(settings.data_dir / "index"), reuse=False)
    store = RecordStore(db_url)
    import_files(store, settings.source("tromso"), [shared_data / KOHA])
    run_transform(settings, store, None, full=False, progress=False)
    with pytest.raises(FatalBackendError, match="index --full"):
        index_changes(settings, store)
    assert index_changes(settings, store, full=True).indexed > 400
    store.close()


def test_documents_come_from_the_packed_descriptions_or_else_the_graph_store(shared_data, tmp_path):
    """The transform stage keeps each converted record's description packed in SQL; the index reads it
    there, and from the graph store for a record converted before (the same documents either way)."""
    from sqlalchemy import delete, func, select
    from transform.descriptions import record_descriptions
    from transform.pipeline import run_transform
    from transform.tables import transform_records
    db_url = f"sqlite:///{tmp_path / 'records.sqlite'}"
    settings = settings_mod.load(config(tmp_path, db_url))
    store = RecordStore(db_url)
    import_files(store, settings.source("tromso"), [shared_data / KOHA])
    run_transform(settings, store, None, full=False, progress=False)
    with store.engine.connect() as conn:
        converted = conn.execute(select(func.count()).select_from(transform_records)
                                 .where(transform_records.c.status == "ok")).scalar()
        assert conn.execute(select(func.count()).select_from(record_descriptions)).scalar() == converted
    backend = TantivyBackend(settings.data_dir / "index", writer_heap=50_000_000, writer_threads=1)
    assert index_changes(settings, store, backend).failed is None
    packed = {h.id: h.document for h in backend.search(Query(limit=1000)).hits}
    with store.engine.begin() as conn:
        conn.execute(delete(record_descriptions))
    again = index_changes(settings, store, backend, full=True)
    assert again.failed is None and again.errors == 0 and again.indexed == len(packed)
    assert {h.id: h.document for h in backend.search(Query(limit=1000)).hits} == packed
    victim = next(iter(packed.values())).identifier
    store.mark_deleted("tromso", [victim])
    run_transform(settings, store, None, full=False, progress=False)
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(record_descriptions).where(
            record_descriptions.c.identifier == victim)).scalar() == 0
    backend.close()
    store.close()
