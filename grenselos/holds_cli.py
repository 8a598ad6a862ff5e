"""`grenselos holds …`: the holds' nightly run and the desk's morning list from the server's command line."""

from __future__ import annotations

import json

import click

from circulation.holds import Holds
from circulation.service import Circulation


def open_holds(settings) -> Holds:
    """The holds service over the configured database, the config's `[[routes]]` seeded."""
    holds = Holds(Circulation.open(settings.database_url, settings))
    holds.seed_routes()
    return holds


@click.group()
def holds():
    """County-wide holds: choosing lenders, hold shelves, the morning lists."""


@holds.command("run")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def run(obj, as_json):
    """The nightly run: work holds follow their records' clusters, holds left on the shelf past
    [holds] shelf_days open days expire (the next in the queue is served), and placed holds get a lender
    (also run by `grenselos scheduler` once a night)."""
    summary = open_holds(obj.settings).run()
    if as_json:
        click.echo(json.dumps(summary.as_dict(), indent=2))
        return
    click.echo(f"holds: {summary.assigned} lender(s) chosen, {summary.expired} shelf hold(s) expired, "
               f"{summary.retargeted} work hold(s) re-targeted")


@holds.command("morning")
@click.option("--library", required=True, help="The desk's library (source id).")
@click.pass_obj
def morning(obj, library):
    """What this library's desk sends and clears today, as JSON (the staff page /staff/holds shows the same)."""
    click.echo(json.dumps(open_holds(obj.settings).morning_list(library), indent=2, ensure_ascii=False))
