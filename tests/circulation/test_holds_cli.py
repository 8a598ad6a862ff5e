"""`grenselos holds run` and `grenselos holds morning` as a librarian runs them, with routes from the config;
the scheduler's nightly holds run; the config's [[routes]] checked."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import insert, update

from circulation.holds import Holds
from circulation.service import Circulation
from core import settings as core_settings
from circulation.tables import loans
from core.db import engine_for, migrate
from transform.copies import set_status
from core.errors import ConfigError
from grenselos.cli import cli
from grenselos.scheduler import Scheduler
from transform.tables import transform_records

from tests.circulation.conftest import add_copies, add_patron

CONFIG = """
data_dir = "data"
[[sources]]
id = "tromso"
name = "Tromsø bibliotek"
circulation = true
[[sources]]
id = "alta"
name = "Alta bibliotek"
circulation = true
[[routes]]
name = "Bokbåten"
kind = "boat"
days = ["thu"]
stops = ["tromso", "alta"]
"""


def test_holds_run_chooses_lenders_and_the_morning_list_names_them(write_config, tmp_path):
    path = write_config(CONFIG)
    settings = core_settings.from_dict({"data_dir": str(tmp_path / "data"), **_sources()})
    engine = engine_for(settings.database_url)
    migrate(engine)
    add_copies(engine, "tromso", 2)
    with engine.begin() as conn:
        conn.execute(insert(transform_records).values(source="tromso", identifier="rec1", record_id="r1",
                                                      cluster_id="w1", status="ok", triples=1,
                                                      updated_at=datetime.now(timezone.utc)))
    add_patron(engine, "ALTA01", library="alta")
    add_patron(engine, "TROMSO1")
    circ = Circulation(engine, settings)
    assert circ.checkout("TROMSO1", "B000001", "tromso").ok
    hold = Holds(circ).place("ALTA01", work="w1", pickup="alta").hold
    assert hold.lender_library is None and hold.expected_on is not None
    with engine.begin() as conn:                 # the loan ends outside Grenseløs (an offline desk, a harvest)
        conn.execute(update(loans).values(returned_at=datetime.now(timezone.utc)))
        set_status(conn, 1, "available")
    runner = CliRunner()
    done = runner.invoke(cli, ["--config", str(path), "holds", "run", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["assigned"] == 1
    after = Holds(circ).get(hold.id)
    assert after.lender_library == "tromso" and after.expected_on.weekday() == 3     # the Thursday boat
    morning = runner.invoke(cli, ["--config", str(path), "holds", "morning", "--library", "tromso"])
    assert morning.exit_code == 0, morning.output
    assert [(r["barcode"], r["to"]) for r in json.loads(morning.output)["send"]] == [("B000001", "transit")]


def _sources():
    return {"sources": [{"id": "tromso", "name": "Tromsø bibliotek", "circulation": True},
                        {"id": "alta", "name": "Alta bibliotek", "circulation": True}]}


def test_routes_in_the_config_are_checked():
    with pytest.raises(ConfigError) as problem:
        core_settings.from_dict({**_sources(), "routes": [{"name": "Bussen", "days": ["thursday"],
                                                           "stops": ["tromso", "hammerfest"]}]})
    text = str(problem.value)
    assert "'thursday'" in text and "'hammerfest'" in text
    ok = core_settings.from_dict({**_sources(), "routes": [{"name": "Bussen", "kind": "bus", "days": ["mon"],
                                                            "stops": ["tromso", "alta"]}]})
    assert ok.routes[0].days == ("mon",) and ok.routes[0].stops == ("tromso", "alta")


def test_the_scheduler_runs_holds_once_a_night(tmp_path):
    settings = core_settings.from_dict({"data_dir": str(tmp_path), **_sources()})
    migrate(engine_for(settings.database_url))
    lines = []

    class Out:
        def write(self, text):
            lines.append(text)

        def flush(self):
            pass
    scheduler = Scheduler(settings, out=Out())
    try:
        assert scheduler.run_holds(datetime(2026, 12, 7, 0, 30, tzinfo=timezone.utc)) == ""     # 01:30 local
        first = scheduler.run_holds(datetime(2026, 12, 7, 2, 30, tzinfo=timezone.utc))
        assert first.startswith("holds: 0 lender(s)")
        assert scheduler.run_holds(datetime(2026, 12, 7, 5, 0, tzinfo=timezone.utc)) == ""       # once a night
    finally:
        scheduler.close()
