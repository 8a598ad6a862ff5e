"""`grenselos patrons …`, `grenselos rules …` and `grenselos deposits …`: the circulation core from the server's
command line."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

import click

from circulation import patrons as patron_store
from circulation import rules as rules_mod
from circulation import statistics as stats_mod
from circulation import statistics_cube
from circulation.deposits import Deposits
from circulation.patron_import import HeaderError, import_file
from circulation.service import Circulation, local_day
from circulation.tables import CATEGORIES
from transform import holdings
from transform.graph_outbox import writing
from vocab import item_types
from vocab import libraries as vocab_libraries


def _circulation(obj) -> Circulation:
    return Circulation.open(obj.settings.database_url, obj.settings)


@click.group()
def patrons():
    """Patrons of the libraries that lend through Grenseløs."""


@patrons.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report.")
@click.pass_obj
def import_(obj, file, dry_run, as_json):
    """Add or update patrons from a CSV file (header: card,pin,name,email,library,category,…), idempotent by
    card number; every refused row is reported with its reasons. Exits 1 when any row was refused."""
    circ = _circulation(obj)
    try:
        report = import_file(circ.engine, file, circ, dry_run=dry_run)
    except (HeaderError, UnicodeDecodeError) as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        for line in report.lines():
            click.echo(line)
    if report.refused:
        raise SystemExit(1)


def run_patron_retention(circ: Circulation, today: date, *, dry_run: bool = False) -> dict:
    """The expired cards' retention timers in one transaction (the command's and the scheduler's)."""
    limits = circ.settings.circulation
    with circ.engine.begin() as conn:
        return patron_store.retention(conn, today, limits.anonymise_after_days, limits.delete_after_days,
                                      dry_run=dry_run)


@patrons.command("retention")
@click.option("--dry-run", is_flag=True, help="Say what would be done; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def retention(obj, dry_run, as_json):
    """The retention timers for expired cards: mark expired, then wipe name and contact after
    [circulation] anonymise_after_days, then delete after delete_after_days (run it daily from a timer)."""
    done = run_patron_retention(_circulation(obj), date.today(), dry_run=dry_run)
    if as_json:
        click.echo(json.dumps({**done, "dry_run": dry_run}, indent=2))
        return
    for key, cards in done.items():
        click.echo(f"{key.replace('_', ' ')}: {len(cards)}" + (f" ({', '.join(cards[:20])})" if cards else ""))


@patrons.command("lost-overdue")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def lost_overdue(obj, as_json):
    """Mark lost every copy overdue by more than [circulation] lost_after_days (0: none) and open a
    replacement claim on the patron who had it (run it daily from a timer)."""
    done = _circulation(obj).mark_overdue_lost()
    rows = [{"barcode": r.item.barcode, "claim": r.claim.id, "amount": r.claim.amount} for r in done]
    if as_json:
        click.echo(json.dumps({"lost": rows, "lost_after_days": obj.settings.circulation.lost_after_days}, indent=2))
        return
    click.echo(f"marked lost: {len(rows)}" + (f" ({', '.join(r['barcode'] for r in rows[:20])})" if rows else ""))


@click.group()
def rules():
    """The circulation rules matrix (library × patron category × item type)."""


@rules.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def list_(obj, as_json):
    """Every rule, with loan period, renewals and limits."""
    circ = _circulation(obj)
    with circ.engine.connect() as conn:
        found = rules_mod.all_rules(conn)
    if as_json:
        click.echo(json.dumps([rules_mod.as_dict(r) for r in found], ensure_ascii=False, indent=2))
        return
    click.echo("id\tlibrary\tcategory\titem type\tdays\trenewals\tloans\tholds\tfees")
    for r in found:
        click.echo(f"{r.id}\t{r.library or '*'}\t{r.category or '*'}\t{r.item_type or '*'}\t{r.loan_days}\t"
                   f"{r.renewals}\t{r.loan_limit}\t{r.hold_limit}\t{'yes' if r.fees else 'no'}")


@rules.command("set")
@click.option("--library", default=None, help="Lending library (source id); leave out for every library.")
@click.option("--category", default=None, help="Patron category; leave out for every category.")
@click.option("--item-type", "item_type", default=None, help="Item type; leave out for every item type.")
@click.option("--loan-days", type=click.IntRange(0), required=True, help="Loan period in days (0: not for loan).")
@click.option("--renewals", type=click.IntRange(0), required=True, help="Renewals allowed.")
@click.option("--loan-limit", type=click.IntRange(0), required=True, help="Open loans a patron may have.")
@click.option("--hold-limit", type=click.IntRange(0), required=True, help="Open holds a patron may have.")
@click.option("--fees/--no-fees", default=False, help="Replacement claims carry an amount (off by default).")
@click.option("--replacement-fee", type=click.IntRange(0), default=0, help="Amount of a claim, whole kroner.")
@click.option("--note", default="", help="Why the rule exists, shown by `rules explain`.")
@click.pass_obj
def set_(obj, library, category, item_type, loan_days, renewals, loan_limit, hold_limit, fees, replacement_fee,
         note):
    """Add or replace the rule for exactly this cell of the matrix (the most specific cell wins at the desk).

    Rules are data: a county administrator changes them here, without a release, and `rules explain` shows
    at once which one a loan would get."""
    values, problems = rules_mod.check([s.id for s in obj.settings.sources], library=library, category=category,
                                       item_type=item_type, loan_days=loan_days, renewals=renewals,
                                       loan_limit=loan_limit, hold_limit=hold_limit, fees=fees,
                                       replacement_fee=replacement_fee, note=note)
    if problems:
        given = {"library": library, "category": category, "item_type": item_type}
        raise click.UsageError("; ".join(_rule_problem(field, what, given) for field, what in problems.items()))
    circ = _circulation(obj)
    with circ.engine.begin() as conn:
        rules_mod.put(conn, **values)
        found = rules_mod.all_rules(conn)
    rule = next((r for r in found if (r.library, r.category, r.item_type) == (library, category, item_type)), None)
    click.echo(f"set: {rule.describe() if rule else 'rule'}: {loan_days} days, {renewals} renewals, "
               f"loan limit {loan_limit}, hold limit {hold_limit}, fees {'on' if fees else 'off'}")


def _rule_problem(field: str, what: str, given: dict) -> str:
    """`rules_mod.check`'s finding as the option it is about."""
    option = "--" + field.replace("_", "-")
    if field == "library":
        return f"{option} {given[field]!r} is not a configured source"
    if field == "category":
        return f"{option} {given[field]!r} is not one of {', '.join(CATEGORIES)}"
    if field == "item_type":
        return f"{option} {given[field]!r} is not one of {', '.join(item_types.codes())}"
    if what == rules_mod.TOO_LONG:
        return f"{option} is longer than {rules_mod.NOTE_MAX} characters"
    return f"{option} must be a whole number, 0 or more"


@rules.command("explain")
@click.option("--patron", "card", required=True, help="The patron's card number.")
@click.option("--item", "barcode", required=True, help="The copy's barcode.")
@click.option("--library", default=None, help="The lending library (source id); default the copy's home.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def explain(obj, card, barcode, library, as_json):
    """Say which rule applies when this patron borrows this copy, and which rules it beat."""
    out = _circulation(obj).explain(card, barcode, library)
    if "error" in out:
        what = {"patron_not_found": f"no patron has card {card!r}",
                "not_found": f"no copy of a lending library has barcode {barcode!r}"}[out["error"]]
        raise click.ClickException(what)
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    r = out["rule"]
    click.echo(f"patron {out['card']} ({out['category']}) borrowing {out['barcode']} ({out['item_type']}) "
               f"at {out['library']}:")
    click.echo(f"  applies: {r['describe']}{': ' + r['note'] if r['note'] else ''}")
    click.echo(f"  loan period {r['loan_days']} days, {r['renewals']} renewals, loan limit {r['loan_limit']}, "
               f"hold limit {r['hold_limit']}, fees {'on' if r['fees'] else 'off'}")
    click.echo(f"  due date if lent today: {out['due_date'] or 'not for loan'}")
    for b in out["beaten"]:
        click.echo(f"  beats: {b['describe']}")


@click.group()
def circulation():
    """Circulation figures."""


@circulation.command("statistics")
@click.option("--library", required=True, help="The lending library (source id).")
@click.option("--year", required=True, type=click.IntRange(2000, 2200), help="The calendar year.")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="json", show_default=True)
@click.option("--public", is_flag=True, help="With small cells suppressed ([circulation] suppress_below).")
@click.pass_obj
def statistics_(obj, library, year, fmt, public):
    """A library's year for the National Library's statistics: loans and renewals apart, by item type and
    children/adults, inter-library loans in and out, active borrowers, stock, additions and withdrawals,
    loans of Sami, Kven, Finnish and Russian books per month."""
    circ = _circulation(obj)
    with circ.engine.begin() as conn:
        stats_mod.reconcile_stock(conn)
    with circ.engine.connect() as conn:
        report = stats_mod.annual(conn, circ.library_id(library), year)
    if public:
        report = stats_mod.suppressed(report, obj.settings.circulation.suppress_below)
    click.echo(stats_mod.text(report) if fmt == "text" else json.dumps(report, ensure_ascii=False, indent=2))


@circulation.command("statistics-cube")
@click.option("--year", "years", type=click.IntRange(2000, 2200), multiple=True,
              help="A calendar year (repeatable; default: this year and last).")
@click.pass_obj
def statistics_cube_(obj, years):
    """Write the circulation statistics of every lending library as an RDF Data Cube into the graph store
    (`{base}/graph/circulation-statistics`, small cells suppressed); idempotent: an unchanged cube is not
    rewritten."""
    circ = _circulation(obj)
    directory = vocab_libraries.directory(obj.settings)
    base = obj.settings.base_uri

    def library_iri(library_id: str) -> str:
        found = directory.get(library_id)
        return holdings.library_iri(base, found) if found else f"{base.rstrip('/')}/library/{library_id}"

    this_year = date.today().year
    with writing(obj.settings, circ.engine, kind="statistics") as graph:
        count, written = statistics_cube.write(circ.engine, graph, circ.circulating_libraries,
                                               years or (this_year - 1, this_year),
                                               obj.settings.circulation.suppress_below, library_iri)
    click.echo(f"circulation statistics: {count} observations {'written' if written else 'unchanged'}")


@click.group()
def deposits():
    """Deposit loans: crates of copies lent to another library for months."""


def due_home_lines(deposits_: Deposits, groups) -> list[str]:
    lines = []
    for group in groups:
        lines.append(f"{deposits_.name(group.library)} ({group.library}): {len(group.deposits)} deposit(s) due home")
        for d in group.deposits:
            place = f" ({d.place})" if d.place else ""
            lines.append(f"  deposit {d.id}: {deposits_.name(d.to_library)}{place}, until {d.until.isoformat()}, "
                         f"{len(d.copies)} copies")
    return lines


@deposits.command("due")
@click.option("--library", default=None, help="Only deposits lent by this library (a library or source id).")
@click.option("--date", "day", default=None, help="The day to look from (YYYY-MM-DD; default today).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def due(obj, library, day, as_json):
    """Call home every deposit whose date has come and list the crates due home, per lending library
    (the scheduler does the same every round)."""
    try:
        today = date.fromisoformat(day) if day else local_day(datetime.now(timezone.utc))
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--date") from None
    depo = Deposits(_circulation(obj))
    called = depo.call_home(today)
    groups = depo.due(today, library)
    if as_json:
        click.echo(json.dumps({"date": today.isoformat(), "called_now": [d.id for d in called], "due_home": [
            {"library": g.library, "deposits": [{"id": d.id, "to_library": d.to_library, "place": d.place,
                                                 "until": d.until.isoformat(), "copies": [c.barcode for c in d.copies]}
                                                for d in g.deposits]} for g in groups]}, ensure_ascii=False, indent=2))
        return
    lines = due_home_lines(depo, groups)
    click.echo("\n".join(lines) if lines else f"no deposit is due home on {today.isoformat()}")
