"""The `grenselos` command: one verb per stage, each safe to re-run.

Stage packages are imported inside the verbs, so `grenselos status` does not pay for loading the
transform or search engines, and a broken optional stage never stops the others from running.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from core import settings as settings_mod
from core.errors import FatalError, GrenselosError, reason
from grenselos.circulation_cli import circulation, deposits, patrons, rules
from grenselos.ill_cli import ill
from grenselos.holds_cli import holds, open_holds
from grenselos.migrate_cli import migrate
from grenselos.notices_cli import notices
from grenselos.cli_values import accept_config_everywhere, allowed, http_url, ui_language
from grenselos.staff_cli import staff


class Context:
    def __init__(self, config: str):
        self.config_path = config
        self._settings = None
        self._store = None

    @property
    def settings(self):
        if self._settings is None:
            from transform import setting_values
            self._settings = setting_values.load(self.config_path)
        return self._settings

    def sources(self, source_ids) -> list[str]:
        """`source_ids` as given, after checking each is configured (a misspelt --source stops the verb
        with "did you mean" rather than doing nothing, or writing an empty dump, under a name nobody has)."""
        return [self.settings.source(source_id).id for source_id in source_ids]

    @property
    def store(self):
        if self._store is None:
            from sqlalchemy.engine import make_url
            from sqlalchemy.exc import SQLAlchemyError
            from harvest.store import RecordStore
            try:
                self._store = RecordStore.from_settings(self.settings)
            except (SQLAlchemyError, OSError) as exc:
                url = make_url(self.settings.database_url).render_as_string(hide_password=True)
                raise FatalError(f"cannot open the record store {url}: {reason(exc)}") from None
        return self._store


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config", default="grenselos.toml", show_default=True, envvar="GRENSELOS_CONFIG",
              help="Configuration file (TOML).")
@click.version_option(package_name="grenselos")
@click.pass_context
def cli(ctx, config):
    """Grenseløs: one catalogue for the libraries of Troms og Finnmark."""
    ctx.obj = Context(config)


@cli.command()
@click.option("--source", "source_ids", multiple=True, help="Harvest only this source (repeatable).")
@click.option("--full", is_flag=True, help="Ignore the last harvest date and fetch everything again.")
@click.option("--quiet", "-q", is_flag=True, help="No progress line, only the summary.")
@pass_ctx
def harvest(ctx, source_ids, full, quiet):
    """Harvest MARC records over OAI-PMH into the record store (resumes an interrupted run)."""
    from harvest.oai import harvest_sources
    summaries = harvest_sources(ctx.settings, ctx.store, ctx.sources(source_ids) or None, full=full,
                                progress=not quiet)
    if not summaries:
        click.echo("nothing to harvest: no configured source has an oai_url")
    _upgrade_short_records(ctx)
    failed = [s for s in summaries if s.failed]
    sys.exit(1 if failed else 0)


@cli.command("import")
@click.option("--source", "source_id", required=True, help="Source the records belong to.")
@click.option("--encoding", default=None, callback=lambda c, p, v: allowed(p, v, "character sets"),
              help="Override the character set of ISO 2709 files (cp1251, ...).")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@pass_ctx
def import_(ctx, source_id, encoding, files):
    """Import ISO 2709 or MARCXML files (e.g. a Mikromarc export) into the record store."""
    from harvest.files import import_files
    source = ctx.settings.source(source_id)
    summary = import_files(ctx.store, source, [Path(f) for f in files], encoding=encoding)
    click.echo(summary.line())
    empty = [f for f in summary.files if not f.records]
    for f in empty:
        what = f"{f.unreadable} unreadable piece(s) quarantined (see `grenselos quarantine`)" if f.unreadable \
            else "the file holds nothing that looks like a record"
        click.echo(f"grenselos: {f.path}: no MARC record could be read ({f.format}): {what}", err=True)
    _upgrade_short_records(ctx)
    sys.exit(1 if empty else 0)


def _upgrade_short_records(ctx) -> None:
    """Short records made at the desk take the national record for their ISBN once one has arrived."""
    from transform.copy_cataloguing import upgrade
    for source_id, identifier in upgrade(ctx.settings, ctx.store):
        click.echo(f"{source_id}: short record {identifier} upgraded from the national bibliography")


@cli.command()
@click.option("--library", "source_id", required=True, help="Source (library) receiving the delivery.")
@click.option("--dry-run", is_flag=True, help="Report what would match and be added; store nothing.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable receipt.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@pass_ctx
def receive(ctx, source_id, dry_run, as_json, file):
    """Receive a shelf-ready delivery file: match records to works or add them, register every copy."""
    from transform.receiving import receive as receive_file
    receipt = receive_file(ctx.settings, ctx.store, source_id, file, dry_run=dry_run)
    click.echo(json.dumps(receipt.as_json(), ensure_ascii=False, indent=1) if as_json else receipt.text(), nl=False)
    sys.exit(0 if receipt.records and not receipt.count("unreadable") else 1)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def status(ctx, as_json):
    """Counts per source: records, deleted, quarantined, last success, last attempt and its outcome."""
    counts = ctx.store.status()
    for source in ctx.settings.sources:
        counts.setdefault(source.id, {"records": 0, "deleted": 0, "quarantined": 0, "holdings": 0,
                                      "last_harvest": None, "harvest_status": None})
    for source_id, health in ctx.store.health(counts).items():
        if health["last_attempt"] is not None:
            counts[source_id].update(health)
        else:
            counts[source_id].update(last_attempt=None, last_success=None, failures=0)
    for extra in _status_extras():
        extra(ctx.settings, counts)
    _store_status(ctx.settings, ctx.store, counts)
    if as_json:
        click.echo(json.dumps(counts, indent=2, sort_keys=True, ensure_ascii=False))
        return
    width = max([len(s) for s in counts] + [6])
    outbox = next(iter(counts.values()), {}).get("outbox")
    if outbox and outbox["graph"]["pending"]:
        click.echo(f"graph outbox: {outbox['graph']['pending']} rows pending, oldest "
                   f"{outbox['graph']['oldest_seconds']:.0f} s (`grenselos apply` or `grenselos run` applies them)")
    click.echo(f"{'source':<{width}}  {'records':>8}  {'deleted':>8}  {'quarant.':>8}  last success")
    for source_id in sorted(counts):
        c = counts[source_id]
        click.echo(f"{source_id:<{width}}  {c['records']:>8}  {c['deleted']:>8}  {c['quarantined']:>8}  "
                   f"{c['last_success'] or c['last_harvest'] or 'never'}")
        last = c["last_attempt"]
        if last is not None:
            line = f"last attempt {last['started']} ({last['kind']}): {c['harvest_status'].upper()}"
            if c["failures"] > 1:
                line += f", {c['failures']} failures in a row"
            if last["error"]:
                line += f": {last['error']}"
            click.echo(f"{'':<{width}}  {line}")
        if "converted" in c:
            click.echo(f"{'':<{width}}  transform: {c['converted']} converted, {c['conversion_errors']} errors, "
                       f"{c['clusters']} works, last {c.get('last_transform') or 'never'}")
        pending = (c.get("outbox") or {}).get("index", {})
        if pending.get("pending"):
            click.echo(f"{'':<{width}}  index outbox: {pending['pending']} changes pending, oldest "
                       f"{pending['oldest_seconds']:.0f} s")
        if c.get("stores_agree") is False:
            click.echo(f"{'':<{width}}  warning: the stores differ from the truth (search index: "
                       f"{c.get('indexed_documents', '?')} of {c.get('expected_documents', '?')} documents; "
                       f"record graphs missing: {c.get('graph_records_missing', 0)}); `grenselos run` repairs them")
        if c.get("unknown_library_codes"):
            codes = ", ".join(f"{code} ({n})" for code, n in sorted(c["unknown_library_codes"].items()))
            click.echo(f"{'':<{width}}  warning: copies held under library codes nobody knows (add them to "
                       f"vocab/data/libraries.tsv or configure the library): {codes}")


def _store_status(settings, store, counts: dict) -> None:
    """Per source: what the graph store and the search index hold against the SQL truth (`stores_agree`)."""
    from sqlalchemy import inspect as sa_inspect
    if not sa_inspect(store.engine).has_table("transform_records"):
        return
    from datetime import datetime, timezone
    from index.backends import open_backend
    from index.consistency import expected_documents, indexed_documents, pending_changes
    from index.indexer import Indexer
    from index.pipeline import target_name
    from transform import consistency, graph_outbox
    from transform.graphstore import GraphStore
    now = datetime.now(timezone.utc)

    def age(stamp) -> float | None:
        if stamp is None:
            return None
        return round((now - (stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc))).total_seconds(), 1)

    # The outboxes: graph store rows the applier has not yet replayed (one table for every source), and
    # converted records and copies changed after the last completed index run.
    graph_rows, graph_oldest = graph_outbox.pending(store.engine)
    index_pending = pending_changes(store.engine, Indexer(store.engine, None, target_name(settings)).last_success())
    for source, entry in counts.items():
        n, oldest = index_pending.get(source, (0, None))
        entry["outbox"] = {"graph": {"pending": graph_rows, "oldest_seconds": age(graph_oldest)},
                           "index": {"pending": n, "oldest_seconds": age(oldest)}}
    missing: dict[str, int] = {}
    try:
        with GraphStore.open(settings, read_only=True) as graph:
            found = consistency.difference(store.engine, graph, settings)
        for source, _identifier in found.missing:
            missing[source] = missing.get(source, 0) + 1
    except OSError:
        found = None
    expected = expected_documents(store.engine)
    try:
        backend = open_backend(settings)
        try:
            indexed = indexed_documents(backend, list(counts))
        finally:
            backend.close()
    except Exception as exc:  # noqa: BLE001 - an unreachable index is itself the answer
        indexed = None
        for entry in counts.values():
            entry["index_error"] = reason(exc)
    for source, entry in counts.items():
        entry["expected_documents"] = expected.get(source, 0)
        entry["indexed_documents"] = indexed.get(source, 0) if indexed is not None else None
        entry["graph_records_missing"] = missing.get(source, 0)
        entry["stores_agree"] = (found is not None and indexed is not None and not missing.get(source)
                                 and entry["indexed_documents"] == entry["expected_documents"])


def _status_extras():
    """Later stages add their own counts to `status` (transform errors, index state)."""
    from index import status as index_status
    from transform import status as transform_status
    return [transform_status.add_status, index_status.add_status]


@cli.command()
@pass_ctx
def quarantine(ctx):
    """List everything quarantined, with source, identifier and cause."""
    items = list(ctx.store.quarantined())
    # the transform stage's conversion errors (kept in its own table), unless the harvest listed them
    from transform.status import quarantined as transform_quarantined
    listed = {(i["source"], i.get("identifier")) for i in items}
    items += [i for i in transform_quarantined(ctx.settings) if (i["source"], i["identifier"]) not in listed]
    if not items:
        click.echo("no quarantined records")
        return
    click.echo("source\tstage\tidentifier\tlocation\tcause")
    for item in items:
        click.echo(f"{item['source']}\t{item['stage']}\t{item.get('identifier') or '-'}\t"
                   f"{item.get('location') or '-'}\t{item['cause']}")


@cli.command()
@click.argument("path", default="grenselos.toml", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(path, force):
    """Write a commented starter grenselos.toml (every setting with its default, the demo's sources as
    examples) to PATH; an existing file is kept unless --force."""
    from grenselos.starter_config import starter_config
    target = Path(path)
    if target.exists() and not force:
        raise click.ClickException(f"{target} exists; not overwritten (use --force to replace it)")
    if not target.parent.is_dir():
        raise click.ClickException(f"{target.parent}: no such folder")
    target.write_text(starter_config(), encoding="utf-8")
    click.echo(f"wrote {target}: add your libraries as [[sources]], then `grenselos --config {target} run`")


@cli.command("settings")
def settings_cmd():
    """Print the configuration reference (every key, its default and meaning)."""
    click.echo(settings_mod.reference())


@cli.command()
@click.option("--report", is_flag=True, help="Per source: records by language, coding problems, suggestions "
              "(what the verb does; the flag is kept for scripts that pass it).")
@click.option("--source", "source_ids", multiple=True, help="Only this source (repeatable).")
@click.option("--no-detect", is_flag=True, help="Read codes only; no language detection.")
@click.option("--ui", "ui_lang", default="en", show_default=True, callback=lambda c, p, v: ui_language(p, v),
              help="Label language: nb, nn, se, en.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def languages(ctx, report, source_ids, no_detect, ui_lang, as_json):
    """Language report for librarians: missing, collective and contradicted codes, and suggestions."""
    from transform.language_report import build_report, format_report
    data = build_report(ctx.store, ctx.settings.sources, detect=not no_detect,
                        source_filter=ctx.sources(source_ids) or None)
    if not data and not as_json:
        click.echo("no records to report on")
        return
    click.echo(json.dumps(data, indent=2, ensure_ascii=False) if as_json else format_report(data, ui_lang))


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["nt", "ttl", "jsonld", "xml"]), default="nt",
              show_default=True, help="RDF serialization written to stdout.")
@click.option("--base-uri", default="http://localhost:5000", show_default=True,
              callback=lambda c, p, v: http_url(p, v),
              help="Base of the minted URIs (the config's base_uri in the pipeline).")
@click.option("--source", "source_id", default="local", show_default=True, help="Source id used in URIs.")
@click.option("--holdings", "holdings_profile", default="auto", show_default=True,
              callback=lambda c, p, v: v if v == "auto" else allowed(p, v, "holdings profiles"),
              help="How items are read: a holdings profile (koha-952, marc-852, ...); auto picks by the records.")
@click.option("--stats", is_flag=True,
              help="Print the counts of the constructs a catalogue relies on instead of the RDF.")
@click.option("--encoding", default=None, callback=lambda c, p, v: allowed(p, v, "character sets"),
              help="Character set of ISO 2709 files whose leader cannot be trusted (e.g. latin-1, cp1251).")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True))
def convert(fmt, base_uri, source_id, holdings_profile, stats, encoding, files):
    """Convert MARC files or folders (MARCXML, marcxchange, ISO 2709) to BIBFRAME on stdout; no store
    is touched.

    Bad records are reported on stderr and skipped; the exit status is 1 if any were bad.
    """
    from transform.construct_stats import Tally, table
    from transform.convert import convert_files
    stdout = click.get_binary_stream("stdout")
    tally = Tally(base_uri) if stats else None
    converted, bad = convert_files(files, stdout, sys.stderr, fmt=fmt, base_uri=base_uri,
                                   source_id=source_id, holdings_profile=holdings_profile,
                                   stats=tally, encoding=encoding)
    if tally is not None:
        click.echo(table(tally.result()), nl=False)
    click.echo(f"converted {converted} record(s), {bad} bad", err=True)
    sys.exit(1 if bad else 0)


@cli.command()
@click.option("--full", is_flag=True, help="Re-key, re-cluster and re-convert everything.")
@click.option("--source", "source_ids", multiple=True, help="Transform only this source (repeatable).")
@click.option("--quiet", "-q", is_flag=True, help="No progress lines, only the summary.")
@pass_ctx
def transform(ctx, full, source_ids, quiet):
    """Convert new, changed and deleted records to BIBFRAME and cluster them into works."""
    from transform.pipeline import run_transform
    summaries = run_transform(ctx.settings, ctx.store, ctx.sources(source_ids) or None, full=full,
                              progress=not quiet)
    for summary in summaries:
        click.echo(summary.line())
    failed = [s.source for s in summaries if s.errors and not s.converted]
    if failed:
        click.echo(f"grenselos: no record could be converted for {', '.join(failed)} (causes: "
                   "`grenselos quarantine`)", err=True)
    sys.exit(1 if failed else 0)


@cli.command()
@click.option("--source", "source_ids", multiple=True, help="Dump only this source (repeatable; skips the "
              "whole-dataset dump).")
@pass_ctx
def dump(ctx, source_ids):
    """Write gzipped N-Triples dumps (whole dataset and per source) into data_dir/dumps/."""
    from transform.dumps import write_dumps
    sources = ctx.sources(source_ids)
    if not (ctx.settings.data_dir / "graph").is_dir():
        raise FatalError(f"no graph store in {ctx.settings.data_dir} yet: `grenselos transform` makes it")
    for d in write_dumps(ctx.settings, sources=sources or None, whole=not source_ids):
        click.echo(f"dump {d.name}: {d.triples} triples from {d.graphs} graphs, {d.bytes} bytes, {d.seconds:.1f} s")
    sys.exit(0)


@cli.command("explain-cluster")
@click.argument("ident")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def explain_cluster(ctx, ident, as_json):
    """Why records are one work: IDENT is a work cluster id or a record id (source:identifier)."""
    from transform.explain import explain, explain_text
    with ctx.store.engine.connect() as conn:
        data = explain(conn, ident, ctx.settings.base_uri)
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str) if as_json else explain_text(data))


@cli.group()
def cluster():
    """Manual overrides of work clustering; kept across re-harvests and applied on every transform."""


@cluster.command("join")
@click.argument("record")
@click.argument("other")
@click.option("--note", default="", help="Why (shown by explain-cluster).")
@pass_ctx
def cluster_join(ctx, record, other, note):
    """Put RECORD (source:identifier) in the work of OTHER (a record or a work cluster id)."""
    from transform.explain import add_join
    from transform.pipeline import run_transform
    with ctx.store.engine.begin() as conn:
        number = add_join(conn, record, other, note)
    click.echo(f"override #{number}: join {record} with {other}")
    run_transform(ctx.settings, ctx.store, progress=False)
    _retarget_holds(ctx.settings)


@cluster.command("split")
@click.argument("record")
@click.option("--note", default="", help="Why (shown by explain-cluster).")
@pass_ctx
def cluster_split(ctx, record, note):
    """Make RECORD (source:identifier) a work of its own, whatever its keys say."""
    from transform.explain import add_split
    from transform.pipeline import run_transform
    with ctx.store.engine.begin() as conn:
        number = add_split(conn, record, note)
    click.echo(f"override #{number}: split {record}")
    run_transform(ctx.settings, ctx.store, progress=False)
    _retarget_holds(ctx.settings)


def _retarget_holds(settings) -> None:
    """Open work holds follow their records into the clusters as they are now (never lost, place kept)."""
    if any(s.circulation for s in settings.sources):
        moved = open_holds(settings).retarget()
        click.echo(f"holds: {moved} work hold(s) re-targeted")


@cluster.command("list")
@pass_ctx
def cluster_list(ctx):
    """List the manual overrides."""
    from transform.explain import list_overrides
    with ctx.store.engine.connect() as conn:
        overrides = list(list_overrides(conn))
    if not overrides:
        click.echo("no clustering overrides")
        return
    click.echo("id\tkind\trecord\tnote")
    for o in overrides:
        other = f" {o['other_source']}:{o['other_identifier']}" if o["other_source"] else ""
        click.echo(f"#{o['id']}\t{o['kind']}\t{o['source']}:{o['identifier']}{other}\t{o['note'] or ''}")


@cli.command()
@click.option("--full", is_flag=True, help="Rebuild the whole index.")
@click.option("--batch", default=1000, show_default=True, type=click.IntRange(min=1),
              help="Documents per backend commit.")
@click.option("--quiet", "-q", is_flag=True, help="No progress line, only the summary.")
@pass_ctx
def index(ctx, full, batch=1000, quiet=False):
    """Index what changed since the last run into the search backend (tantivy, or Solr if configured)."""
    from index.pipeline import index_changes
    summary = index_changes(ctx.settings, ctx.store, full=full, batch=batch, progress=not quiet)
    click.echo(summary.line())
    sys.exit(1 if summary.failed else 0)


@cli.group()
def solr():
    """Manage the Solr core or SolrCloud collection named by [search] solr_url."""


@solr.command("init")
@click.option("--url", default=None, help="Core/collection URL (default: [search] solr_url).")
@click.option("--shards", default=2, show_default=True, type=click.IntRange(min=1),
              help="Shards of a new SolrCloud collection.")
@click.option("--replicas", default=1, show_default=True, type=click.IntRange(min=1),
              help="Replicas per shard (SolrCloud).")
@pass_ctx
def solr_init(ctx, url, shards, replicas):
    """Create the core (standalone) or upload the configset and create the collection (SolrCloud)."""
    from index.backend import solr_urls
    from index.solr_admin import init
    url = url or next(iter(solr_urls(ctx.settings.search)), "")
    if not url:
        raise click.UsageError("no Solr URL: set [search] solr_url (or solr_urls) or pass --url")
    click.echo(init(url, shards=shards, replicas=replicas))


@cli.group("lists")
def lists_group():
    """Curated lists (formidling)."""


@lists_group.command("graph")
@pass_ctx
def lists_graph(ctx):
    """(Re)write the published lists into the graph store (graph/lists); idempotent, drops lists taken down."""
    from core import db
    from lists import graph as lists_graph_mod
    from lists.store import ListStore
    from transform.graph_outbox import writing
    engine = db.engine_for(ctx.settings.database_url)
    db.migrate(engine)
    with writing(ctx.settings, engine, kind="lists") as graph:
        written = lists_graph_mod.write(ctx.settings, graph, ListStore(engine))
    click.echo(f"lists graph: {written['lists']} published lists, {written['triples']} triples")
    sys.exit(0)


@cli.command()
@click.option("--full", is_flag=True)
@click.pass_context
def run(ctx, full):
    """Run every stage in order: harvest, transform, index, the lists graph; then repair a graph store or index that lost
    something (they are projections of the SQL truth)."""
    status = 0
    for verb in (harvest, transform, index, lists_graph):
        try:
            ctx.invoke(verb, **({} if verb is lists_graph else {"full": full}))
        except SystemExit as exc:  # each verb exits with its status; the chain goes on
            status = max(status, exc.code or 0)
    status = max(status, _repair(ctx.obj))
    sys.exit(status)


def _repair(ctx) -> int:
    """Compare the graph store and the index with the truth; bring back what they lost."""
    from index.backends import open_backend
    from index.consistency import difference as index_difference
    from index.pipeline import index_changes
    from transform import consistency
    from transform.graph_outbox import writing
    from transform.pipeline import run_transform
    settings, store = ctx.settings, ctx.store
    with writing(settings, store.engine, kind="repair") as graph:
        found = consistency.difference(store.engine, graph, ctx.settings)
        if not found.agrees:
            click.echo(f"graph store: {len(found.missing)} record graphs missing, {len(found.extra)} not owned; "
                       "repairing")
            consistency.repair(store.engine, graph, found)
    if not found.agrees:
        run_transform(settings, store, progress=False)
    backend = open_backend(settings)
    try:
        differs = index_difference(store.engine, backend, [s.id for s in settings.sources])
        if differs:
            click.echo("search index differs from the truth (" + ", ".join(
                f"{s}: {d['indexed']} of {d['expected']}" for s, d in differs.items()) + "); re-indexing")
            summary = index_changes(settings, store, backend, full=True)
            click.echo(summary.line())
            return 1 if summary.failed else 0
    finally:
        backend.close()
    return 0


@cli.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def rebuild(ctx, yes):
    """Recreate the graph store and the search index from the SQL truth (after a disk loss, or to prove
    the incremental stores right: the result equals them)."""
    if not yes and sys.stdin.isatty():
        click.confirm("Empty the graph store and the search index and rebuild both?", abort=True)
    from core.locks import writer_lock
    from index.backends import open_backend
    from index.pipeline import index_changes
    from transform.pipeline import run_transform
    with writer_lock(ctx.settings.data_dir):
        summaries = run_transform(ctx.settings, ctx.store, full=True, progress=False)
        click.echo("; ".join(s.line() for s in summaries))
        backend = open_backend(ctx.settings)
        try:
            backend.clear()
            summary = index_changes(ctx.settings, ctx.store, backend, full=True)
        finally:
            backend.close()
    click.echo(summary.line())
    sys.exit(1 if summary.failed else 0)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--no-apply", is_flag=True, help="Do not keep the graph store and the index up to date from this "
              "process.")
@pass_ctx
def serve(ctx, host, port, no_apply):
    """Serve the portal (threaded; for production run `gunicorn -c deploy/gunicorn.conf.py`, README).

    On the embedded default it also runs the applier (see `grenselos apply`), so search follows copy
    statuses and newly converted records within seconds."""
    from grenselos.applier import Applier
    from portal.serve import serve as serve_portal
    applier = None if no_apply or ctx.settings.search.solr_url else Applier(ctx.settings).start()
    try:
        serve_portal(ctx.settings, host=host, port=port)
    finally:
        if applier is not None:
            applier.stop()


@cli.command()
@click.option("--every", default=2.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds between full looks at what changed (a cheap change check runs every 0.1 s).")
@click.option("--once", is_flag=True, help="One round, then exit.")
@pass_ctx
def apply(ctx, every, once):
    """Keep the graph store (its outbox) and the search index up to the SQL truth as changes land (one process per
    installation)."""
    from grenselos.applier import Applier
    applier = Applier(ctx.settings, every=every)
    if once:
        summary = applier.apply_once()
        if applier.graph_rows:
            click.echo(f"graph outbox: {applier.graph_rows} rows applied")
        click.echo(summary.line() if summary else "nothing to apply" if not applier.busy
                   else "another process is writing; nothing applied")
        sys.exit(1 if summary is not None and summary.failed else 0)
    try:
        applier.run()
    except KeyboardInterrupt:
        pass


@cli.command()
@click.option("--data-dir", default="demo-data", show_default=True, type=click.Path(file_okay=False),
              help="Where the demo keeps its stores (kept between runs; re-running is incremental).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--no-serve", is_flag=True, help="Build everything, then exit instead of serving the portal.")
def demo(data_dir, host, port, no_serve):
    """Serve sample libraries over OAI-PMH on loopback, harvest, convert, index, and serve the portal."""
    from grenselos.demo import run as run_demo
    sys.exit(run_demo(Path(data_dir), host=host, port=port, serve_portal=not no_serve))


@cli.command()
@click.option("--once", is_flag=True, help="Run every source that is due once, then exit.")
@pass_ctx
def scheduler(ctx, once):
    """Harvest, transform and index each source on its schedule_minutes interval (a long-running process;
    one lock per source, so several schedulers never run one source at once)."""
    import logging
    from grenselos.scheduler import Scheduler
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    runner = Scheduler(ctx.settings)
    try:
        if once:
            results = runner.run_once()
            if not results:
                click.echo("scheduler: no source is due")
            sys.exit(1 if any(r.failed for r in results) else 0)
        runner.stop_on_signals()
        runner.run()
    finally:
        runner.close()


@cli.command()
@pass_ctx
def daily(ctx):
    """Run the once-a-day jobs now, each once a day under its own lock: staff retention, and where a library
    lends here the holds' nightly run (after 02:00), the expired cards' retention timers and overdue copies
    marked lost (`grenselos scheduler` runs them itself; ship deploy/systemd/grenselos-daily.timer otherwise)."""
    from core.clock import now
    from grenselos.scheduler import Scheduler
    runner = Scheduler(ctx.settings)
    try:
        lines = runner.run_daily(now())
    finally:
        runner.close()
    if not lines:
        click.echo("daily: nothing to run (another process holds a job's lock)")
    sys.exit(1 if any(": FAILED:" in line for line in lines) else 0)


@cli.command("sip2")
@click.option("--host", default=None, help="Address to listen on (default: [sip2] host).")
@click.option("--port", default=None, type=click.IntRange(0, 65535), help="TCP port (default: [sip2] port).")
@pass_ctx
def sip2(ctx, host, port):
    """Serve SIP2 2.00 to self-service kiosks and door systems ([[sip2.accounts]] in the config; TLS when
    [sip2] tls_cert is set)."""
    from circulation.sip2.run import serve as serve_sip2
    if not ctx.settings.sip2_accounts:
        raise FatalError("no [[sip2.accounts]] in the configuration: add one login per kiosk (README, SIP2)")
    click.echo(f"SIP2 on {host or ctx.settings.sip2.host}:{port if port is not None else ctx.settings.sip2.port}"
               f"{' (TLS)' if ctx.settings.sip2.tls_cert else ''}", err=True)
    serve_sip2(ctx.settings, host=host, port=port)


cli.add_command(staff)
cli.add_command(patrons)
cli.add_command(rules)
cli.add_command(circulation)
cli.add_command(ill)
cli.add_command(deposits)
cli.add_command(holds)
cli.add_command(migrate)
cli.add_command(notices)


def main(argv=None):
    try:
        cli.main(args=argv, prog_name="grenselos", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except GrenselosError as exc:
        click.echo(f"grenselos: {exc}", err=True)
        return 2
    except OSError as exc:              # the machine said no (a folder missing, a disk full, no permission)
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        click.echo(f"grenselos: {where}{reason(exc)}", err=True)
        return 2
    return 0


accept_config_everywhere(cli)


if __name__ == "__main__":
    sys.exit(main())
