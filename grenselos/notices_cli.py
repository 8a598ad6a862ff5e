"""`grenselos notices …`: patron notices from the server's command line, and the run the scheduler calls."""

from __future__ import annotations

import json

import click

from circulation import notices as notices_mod
from circulation.service import Circulation
from circulation.titles import index_titles
from vocab import libraries as vocab_libraries


def library_names(settings) -> dict[str, str]:
    return {vocab_libraries.source_library(s).id: s.name for s in settings.sources}


def run(settings, *, dry_run: bool = False, limit: int | None = None) -> notices_mod.SendReport:
    """One notices run: copies overdue past `[circulation] lost_after_days` are marked lost first (their
    replacement claims are announced in the same run), then the scan and the sending."""
    circ = Circulation.open(settings.database_url, settings)
    try:
        if not dry_run:
            circ.mark_overdue_lost()
        return notices_mod.send(circ.engine, settings, titles=index_titles(settings),
                                library_names=library_names(settings), dry_run=dry_run, limit=limit)
    finally:
        circ.engine.dispose()


@click.group()
def notices():
    """Notices to patrons: hold ready, due soon, overdue reminders, replacement claims."""


@notices.command("send")
@click.option("--dry-run", is_flag=True, help="Say what would be queued and sent; write and send nothing.")
@click.option("--limit", type=click.IntRange(1), default=None, help="Send at most this many in this run.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report.")
@click.pass_obj
def send(obj, dry_run, limit, as_json):
    """Queue the loan and claim notices due today and send every due notice (by e-mail, or SMS for patrons
    with only a phone), each at most once. Exits 1 when any failed or was undeliverable."""
    report = run(obj.settings, dry_run=dry_run, limit=limit)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(report.line())
        for key, reason in report.problems[:50]:
            click.echo(f"  {key}: {reason}")
    if report.failed or report.undeliverable or report.uncertain:
        raise SystemExit(1)


@notices.command("list")
@click.option("--status", "states", multiple=True,
              type=click.Choice(["undeliverable", "uncertain", "failed", "queued", "sent", "obsolete"]),
              help="Only notices in this state (repeatable); default undeliverable, uncertain and failed.")
@click.option("--library", default=None, help="Only this library's notices (source or library id).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def list_(obj, states, library, as_json):
    """Notices staff must act on: patrons without e-mail or phone (post or phone them), notices whose
    delivery is uncertain, and failures with their reason."""
    circ = Circulation.open(obj.settings.database_url, obj.settings)
    rows = notices_mod.listing(circ.engine, library=circ.library_id(library) if library else None,
                               states=states or ("undeliverable", "uncertain", "failed"))
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no notices to act on")
    for r in rows:
        click.echo(f"{r['id']}\t{r['status']}\t{r['kind']}\t{r['card']}\t{r['patron']}\t{r['library']}\t{r['reason']}")


@notices.command("retry")
@click.argument("notice_id", type=int)
@click.pass_obj
def retry(obj, notice_id):
    """Queue an uncertain, undeliverable or failed notice again (after checking it did not arrive)."""
    circ = Circulation.open(obj.settings.database_url, obj.settings)
    if not notices_mod.requeue(circ.engine, notice_id):
        raise click.ClickException(f"notice {notice_id} is not uncertain, undeliverable or failed")
    click.echo(f"notice {notice_id} queued again")
