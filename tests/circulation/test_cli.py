"""`grenselos patrons import` and `grenselos rules explain` as a librarian runs them, on SQLite."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timezone

from click.testing import CliRunner
from sqlalchemy import select

from accounts.principal import Principal
from circulation.deposits import Deposits
from circulation.service import Circulation
from circulation.tables import patrons
from core import settings as core_settings
from core.db import engine_for
from grenselos.cli import cli
from grenselos.scheduler import Scheduler

from tests.circulation.conftest import add_copies

CONFIG = """
data_dir = "data"
[[sources]]
id = "tromso"
name = "Tromsø bibliotek"
municipality = "Tromsø"
circulation = true
[[sources]]
id = "kautokeino"
name = "Guovdageainnu girjerájus"
municipality = "Kautokeino"
"""

CSV = """card,pin,name,email,library,category,birth_year,guardian,language
N123456789,1234,Kari Nordmann,kari@example.no,tromso,adult,1980,,nb
L0002,5678,Ola Nordmann,,tromso,child,2016,N123456789,nn
N12345,1234,Short Card,,tromso,adult,,,
L0003,12,Short Pin,x@example.no,tromso,adult,,,
L0004,1234,Elsewhere,,kautokeino,adult,,,
L0005,1234,Unknown Category,,tromso,pirate,,,
L0006,1234,Per 01017012345,,tromso,adult,,,
L0002,5678,Ola Again,,tromso,child,2016,,nn
"""


def run(config, *args):
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def county_with_ola(write_config, tmp_path, copies: int):
    """The county's configuration with Ola (card L0002, a child of Tromsø) imported by `grenselos patrons
    import` and Tromsø's first `copies` copies (B000001 …); returns the configuration's path and the engine."""
    config = write_config(CONFIG)
    (tmp_path / "p.csv").write_text("card,pin,name,email,library,category\nL0002,5678,Ola,,tromso,child\n",
                                    encoding="utf-8")
    assert run(config, "patrons", "import", str(tmp_path / "p.csv")).exit_code == 0
    engine = engine_for(f"sqlite:///{tmp_path / 'data' / 'records.sqlite'}")
    add_copies(engine, "tromso", copies)
    return config, engine


def test_import_reports_every_refused_row_and_is_idempotent(write_config, tmp_path):
    config = write_config(CONFIG)
    (tmp_path / "patrons.csv").write_text(CSV, encoding="utf-8")
    dry = run(config, "patrons", "import", str(tmp_path / "patrons.csv"), "--dry-run", "--json")
    report = json.loads(dry.output)
    assert dry.exit_code == 1 and report["added"] == 2 and report["dry_run"]
    refused = {r["line"]: " ".join(r["reasons"]) for r in report["refused"]}
    assert set(refused) == {4, 5, 6, 7, 8, 9}
    assert "N + 9 digits" in refused[4] and "PIN" in refused[5] and "does not lend" in refused[6]
    assert "category" in refused[7] and "identity number" in refused[8] and "earlier in the file" in refused[9]
    engine = engine_for(f"sqlite:///{tmp_path / 'data' / 'records.sqlite'}")
    with engine.connect() as conn:
        assert conn.execute(select(patrons)).first() is None            # a dry run writes nothing
    first = run(config, "patrons", "import", str(tmp_path / "patrons.csv"))
    assert first.exit_code == 1 and first.output.startswith("added 2, updated 0, refused 6")
    assert "line 4: card N12345:" in first.output
    again = run(config, "patrons", "import", str(tmp_path / "patrons.csv"))
    assert again.output.startswith("added 0, updated 2, refused 6")
    with engine.connect() as conn:
        rows = {r.card: r for r in conn.execute(select(patrons))}
    assert set(rows) == {"N123456789", "L0002"}
    assert rows["L0002"].guardian_id == rows["N123456789"].id and rows["L0002"].language == "nn"
    assert rows["N123456789"].pin_hash.startswith("$argon2id$") and "1234" not in rows["N123456789"].pin_hash
    missing = tmp_path / "bad.csv"
    missing.write_text("card,name\nL1,A\n", encoding="utf-8")
    bad = CliRunner().invoke(cli, ["--config", str(config), "patrons", "import", str(missing)])
    assert bad.exit_code == 1 and "lacks pin, email, library, category" in bad.output


def test_rules_explain_names_the_rule_that_applied(write_config, tmp_path):
    config, _engine = county_with_ola(write_config, tmp_path, copies=3)
    out = run(config, "rules", "explain", "--patron", "L0002", "--item", "B000001")
    assert out.exit_code == 0, out.output
    assert "applies: rule #1 (library *, category *, item type *): county default" in out.output
    assert "loan period 28 days" in out.output
    data = json.loads(run(config, "rules", "explain", "--patron", "L0002", "--item", "B000001", "--json").output)
    assert data["rule"]["id"] == 1 and data["category"] == "child" and data["item_type"] == "book"
    unknown = CliRunner().invoke(cli, ["--config", str(config), "rules", "explain", "--patron", "L0002",
                                       "--item", "NOPE"])
    assert unknown.exit_code == 1 and "no copy of a lending library has barcode 'NOPE'" in unknown.output
    listed = run(config, "rules", "list")
    assert "county default" not in listed.output and "\tfilm\t14\t" in listed.output


def test_rules_set_changes_the_matrix_and_explain_follows(write_config, tmp_path):
    config, _engine = county_with_ola(write_config, tmp_path, copies=1)
    out = run(config, "rules", "set", "--library", "tromso", "--category", "child", "--loan-days", "21",
              "--renewals", "1", "--loan-limit", "10", "--hold-limit", "3", "--note", "children in Tromsø")
    assert out.exit_code == 0, out.output
    assert "(library tromso, category child, item type *): 21 days" in out.output
    explained = json.loads(run(config, "rules", "explain", "--patron", "L0002", "--item", "B000001", "--json").output)
    assert explained["rule"]["loan_days"] == 21 and explained["rule"]["note"] == "children in Tromsø"
    # setting the same cell again replaces it, never a second row
    assert run(config, "rules", "set", "--library", "tromso", "--category", "child", "--loan-days", "14",
               "--renewals", "1", "--loan-limit", "10", "--hold-limit", "3").exit_code == 0
    listed = json.loads(run(config, "rules", "list", "--json").output)
    mine = [r for r in listed if (r["library"], r["category"], r["item_type"]) == ("tromso", "child", None)]
    assert len(mine) == 1 and mine[0]["loan_days"] == 14
    bad = CliRunner().invoke(cli, ["--config", str(config), "rules", "set", "--library", "nowhere", "--category",
                                   "elves", "--loan-days", "1", "--renewals", "0", "--loan-limit", "1",
                                   "--hold-limit", "0"])
    assert bad.exit_code == 2 and "'nowhere' is not a configured source" in bad.output and "'elves'" in bad.output


def test_statistics_text_public_and_the_cube_command(write_config, tmp_path):
    config, engine = county_with_ola(write_config, tmp_path, copies=3)
    settings = core_settings.load(config)
    assert Circulation(engine, settings).checkout("L0002", "B000001", "tromso").ok
    year = str(__import__("datetime").date.today().year)
    exact = run(config, "circulation", "statistics", "--library", "tromso", "--year", year, "--format", "text")
    assert exact.exit_code == 0 and "loans 1, renewals 0" in exact.output and "book: 1 / 0 / 0" in exact.output
    public = json.loads(run(config, "circulation", "statistics", "--library", "tromso", "--year", year,
                            "--public").output)
    assert public["loans"] is None and public["suppress_below"] == 3 and public["stock"] == 3
    first = run(config, "circulation", "statistics-cube", "--year", year)
    assert first.exit_code == 0 and " written" in first.output, first.output
    again = run(config, "circulation", "statistics-cube", "--year", year)
    assert "unchanged" in again.output


def test_deposits_due_calls_home_once_and_lists_per_library(write_config, tmp_path):
    config = write_config(CONFIG)
    assert run(config, "deposits", "due").output.startswith("no deposit is due home")
    settings = core_settings.load(config)
    engine = engine_for(settings.database_url)
    add_copies(engine, "tromso", 3)
    deposits = Deposits(Circulation(engine, settings))
    tromso = Principal("t", "tromso", "librarian")
    made = deposits.create(tromso, to_library="kautokeino", until=date(2027, 5, 31),
                           barcodes=["B000001", "B000002"], place="Kautokeino school", today=date(2026, 12, 1))
    assert run(config, "deposits", "due", "--date", "2027-05-30").output.startswith("no deposit")
    out = json.loads(run(config, "deposits", "due", "--date", "2027-05-31", "--json").output)
    assert out["called_now"] == [made.deposit.id]
    assert out["due_home"][0]["library"] == "tromso" and out["due_home"][0]["deposits"][0]["copies"] == \
        ["B000001", "B000002"]
    text = run(config, "deposits", "due", "--date", "2027-06-01").output
    assert "deposit(s) due home" in text and "Kautokeino school" in text
    later = deposits.create(tromso, to_library="kautokeino", until=date(2027, 6, 2), barcodes=["B000003"],
                            today=date(2026, 12, 1))
    scheduler = Scheduler(settings, out=io.StringIO())
    try:
        at = datetime(2027, 6, 2, 8, 0, tzinfo=timezone.utc)
        assert [d.id for d in scheduler.call_deposits_home(at)] == [later.deposit.id]     # the old one: called once
        assert scheduler.call_deposits_home(at) == []
        assert f"deposit {later.deposit.id} of tromso at kautokeino is due home" in scheduler.out.getvalue()
    finally:
        scheduler.close()
    engine.dispose()


def test_daily_runs_the_retention_timers_and_lost_overdue_once_for_installations_without_a_scheduler(
        write_config, tmp_path):
    """`grenselos daily` (deploy/systemd/grenselos-daily.timer) runs what the scheduler runs once a day: a card
    that expired yesterday is locked by it, and the run says what each job did."""
    config, engine = county_with_ola(write_config, tmp_path, 1)
    with engine.begin() as conn:
        conn.execute(patrons.update().where(patrons.c.card == "L0002")
                     .values(expires_on=date.fromordinal(date.today().toordinal() - 1)))
    done = run(config, "daily")
    assert done.exit_code == 0, done.output
    assert "staff retention: " in done.output and "lost overdue: 0 marked lost" in done.output
    assert "patron retention: 1 expired, 0 anonymised, 0 deleted, 0 kept for loans" in done.output
    with engine.connect() as conn:
        assert conn.execute(select(patrons.c.status).where(patrons.c.card == "L0002")).scalar_one() == "expired"
    again = run(config, "daily")                    # a second run the same day finds nothing left to do
    assert again.exit_code == 0 and "patron retention: 0 expired" in again.output


def test_the_scheduler_runs_the_daily_jobs_once_a_local_day(write_config, tmp_path):
    config, engine = county_with_ola(write_config, tmp_path, 0)
    settings = core_settings.load(config)
    scheduler = Scheduler(settings, out=io.StringIO())
    try:
        at = datetime(2026, 12, 7, 2, 30, tzinfo=timezone.utc)                     # 03:30 in Tromsø
        assert [line.split(":")[0] for line in scheduler.run_daily(at)] == \
            ["staff retention", "holds", "patron retention", "lost overdue"]
        assert scheduler.run_daily(at.replace(hour=9)) == []                        # once a local day
        assert len(scheduler.run_daily(at.replace(day=8))) == 4
    finally:
        scheduler.close()
