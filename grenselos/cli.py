"""The `grenselos` command: one verb per stage, each safe to re-run.

Stage packages are imported inside the verbs, so `grenselos status` does not pay for loading the
transform or search engines, and a broken optional stage never stops the others from running.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from grenselos import settings as settings_mod
from grenselos.errors import GrenselosError


class Context:
    def __init__(self, config: str):
        self.config_path = config
        self._settings = None
        self._store = None

    @property
    def settings(self):
        if self._settings is None:
            self._settings = settings_mod.load(self.config_path)
        return self._settings

    @property
    def store(self):
        if self._store is None:
            from harvest.store import RecordStore
            self._store = RecordStore.from_settings(self.settings)
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
    summaries = harvest_sources(ctx.settings, ctx.store, source_ids or None, full=full,
                                progress=not quiet)
    failed = [s for s in summaries if s.failed]
    sys.exit(1 if failed else 0)


@cli.command("import")
@click.option("--source", "source_id", required=True, help="Source the records belong to.")
@click.option("--encoding", default=None, help="Override the character set of ISO 2709 files (cp1251, ...).")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@pass_ctx
def import_(ctx, source_id, encoding, files):
    """Import ISO 2709 or MARCXML files (e.g. a Mikromarc export) into the record store."""
    from harvest.files import import_files
    source = ctx.settings.source(source_id)
    summary = import_files(ctx.store, source, [Path(f) for f in files], encoding=encoding)
    click.echo(summary.line())
    sys.exit(0)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def status(ctx, as_json):
    """Counts per source: records, deleted, quarantined, last harvest."""
    counts = ctx.store.status()
    for source in ctx.settings.sources:
        counts.setdefault(source.id, {"records": 0, "deleted": 0, "quarantined": 0, "holdings": 0,
                                      "last_harvest": None, "harvest_status": None})
    for extra in _status_extras():
        extra(ctx.settings, counts)
    if as_json:
        click.echo(json.dumps(counts, indent=2, sort_keys=True, ensure_ascii=False))
        return
    width = max([len(s) for s in counts] + [6])
    click.echo(f"{'source':<{width}}  {'records':>8}  {'deleted':>8}  {'quarant.':>8}  last harvest")
    for source_id in sorted(counts):
        c = counts[source_id]
        click.echo(f"{source_id:<{width}}  {c['records']:>8}  {c['deleted']:>8}  {c['quarantined']:>8}  "
                   f"{c['last_harvest'] or 'never'}")


def _status_extras():
    """Later stages add their own counts to `status` (transform errors, index state)."""
    extras = []
    for module, name in (("transform.status", "add_status"), ("index.status", "add_status")):
        try:
            mod = __import__(module, fromlist=[name])
        except ImportError:
            continue
        extras.append(getattr(mod, name))
    return extras


@cli.command()
@pass_ctx
def quarantine(ctx):
    """List everything quarantined, with source, identifier and cause."""
    for item in ctx.store.quarantined():
        click.echo(f"{item['source']}\t{item['stage']}\t{item.get('identifier') or '-'}\t"
                   f"{item.get('location') or '-'}\t{item['cause']}")


@cli.command("settings")
def settings_cmd():
    """Print the configuration reference (every key, its default and meaning)."""
    click.echo(settings_mod.reference())


def _not_yet(stage: str):
    raise click.ClickException(f"the {stage} stage is not built yet in this version")


@cli.command()
@click.option("--full", is_flag=True, help="Rebuild everything.")
@pass_ctx
def transform(ctx, full):
    """Convert new, changed and deleted records to BIBFRAME and cluster them into works."""
    _not_yet("transform")


@cli.command()
@click.option("--full", is_flag=True, help="Rebuild the whole index.")
@pass_ctx
def index(ctx, full):
    """Index what changed since the last run into the search backend."""
    _not_yet("index")


@cli.command()
@click.option("--full", is_flag=True)
@click.pass_context
def run(ctx, full):
    """Run every stage in order: harvest, transform, index."""
    ctx.invoke(harvest, full=full)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@pass_ctx
def serve(ctx, host, port):
    """Serve the portal."""
    _not_yet("portal")


@cli.command()
@pass_ctx
def demo(ctx):
    """Serve sample libraries over OAI-PMH on loopback, harvest, convert, index, and serve the portal."""
    _not_yet("demo")


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
    return 0


if __name__ == "__main__":
    sys.exit(main())
