"""`grenselos migrate mikromarc`: leave Mikromarc in one checked step (see circulation.migration)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from circulation import migration, migration_report
from circulation.service import Circulation

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def migrate():
    """Move a library from another library system into Grenseløs."""


@migrate.command("mikromarc")
@click.option("--library", "source", required=True, help="The source id the library lends as.")
@click.argument("files", nargs=-1, type=_FILE)
@click.option("--patrons", "patrons_file", type=_FILE, help="Patrons CSV (the columns of `patrons import`).")
@click.option("--loans", "loans_file", type=_FILE, help="Open loans CSV (header with card,barcode,due_date).")
@click.option("--dry-run", is_flag=True, help="Check everything and report; write nothing.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("mikromarc-migration.html"), show_default=True, help="Where the HTML report goes.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report on standard output.")
@click.pass_obj
def mikromarc(obj, source, files, patrons_file, loans_file, dry_run, report_path, as_json):
    """Catalogue (ISO 2709/MARCXML, MARC 21 or NORMARC), copies, patrons and open loans from Mikromarc.
    Exit 0: all went in; 1: some rows refused (reported); 2: nothing could run."""
    if not files and patrons_file is None and loans_file is None:
        click.echo("grenselos: nothing to migrate: name catalogue files, --patrons or --loans", err=True)
        raise SystemExit(2)
    try:
        circ = Circulation.open(obj.settings.database_url, obj.settings)
        plan = migration.run(circ, source, list(files), patrons_file=patrons_file, loans_file=loans_file,
                             dry_run=dry_run)
    except migration.NothingToRun as exc:
        click.echo(f"grenselos: {exc}", err=True)
        raise SystemExit(2)
    report = plan.as_dict()
    report_path.write_text(migration_report.html(report), encoding="utf-8")
    if as_json:
        click.echo(json.dumps({**report, "html": str(report_path)}, ensure_ascii=False, indent=2))
    else:
        click.echo(migration_report.text(report) + f"HTML report: {report_path}")
    raise SystemExit(1 if plan.refused_rows else 0)
