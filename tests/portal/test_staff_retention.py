"""`grenselos staff retention` on SQLite and a real PostgreSQL: old staff sessions and audit rows go, recent
ones stay, client addresses are blanked after their time, stale failed-PIN rows go, a dry run changes nothing
and a second run finds nothing; the audit of a patron look-up survives until its own time."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import insert, select

from accounts import audit
from accounts.tables import staff_events
from circulation.service import PATRON_VIEWED
from circulation.tables import pin_failures
from core.settings import from_dict
from grenselos.cli import cli
from grenselos.scheduler import Scheduler
from portal.staff import retention
from portal.staff.sessions import hash_id
from portal.staff.tables import staff_sessions
from transform.overlays import record_overlays

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)
ADDRESS = "192.0.2.7"


def _settings(tmp_path, db_url, **staff):
    return from_dict({"data_dir": str(tmp_path / "data"), "database_url": db_url, "staff": staff})


def _session(conn, name: str, opened: datetime, last_seen: datetime, revoked: datetime | None) -> None:
    conn.execute(insert(staff_sessions).values(id_hash=hash_id(name), library="karasjok", principal=name,
                                               credential_stamp="s", created_at=opened, last_seen_at=last_seen,
                                               revoked_at=revoked, revoked_reason="signed_out" if revoked else None,
                                               client=ADDRESS))


@pytest.fixture
def db(store, tmp_path, db_url):
    """Staff sessions, audit rows and PIN failures of various ages, `NOW` being today."""
    d = timedelta(days=1)
    with store.engine.begin() as conn:
        _session(conn, "gone", NOW - 75 * d, NOW - 75 * d, NOW - 70 * d)             # ended 70 days ago
        _session(conn, "signedout", NOW - 40 * d, NOW - 40 * d, NOW - 40 * d)        # ended 40 days ago
        _session(conn, "abandoned", NOW - 65 * d, NOW - 65 * d, None)               # idle since 65 days
        _session(conn, "recent", NOW - 2 * d, NOW - 2 * d, None)                     # idle since 2 days
        _session(conn, "live", NOW - timedelta(hours=1), NOW, None)
        for event, age in ((PATRON_VIEWED, 700), (PATRON_VIEWED, 731), ("sign_in_failed", 40),
                           ("sign_in", 5)):
            audit.record(conn, event, NOW - age * d, library="karasjok", principal="ann", client=ADDRESS,
                         target=f"N{age}")
        for age in (800, 100):                      # enrichments accepted by a librarian
            conn.execute(insert(record_overlays).values(
                source="karasjok", identifier=f"r{age}", group_name="summary", tag="520", position="",
                content="{}", from_source="nb", from_identifier="x", library="karasjok", principal="ann",
                created_at=NOW - age * d, status="active"))
        conn.execute(insert(pin_failures).values(client=ADDRESS, at=NOW - timedelta(minutes=20)))
        conn.execute(insert(pin_failures).values(client=ADDRESS, at=NOW - timedelta(minutes=5)))
    return _settings(tmp_path, db_url, session_retention_days=60)


def _snapshot(engine) -> dict:
    with engine.connect() as conn:
        return {"sessions": {(r.principal, r.client) for r in conn.execute(select(staff_sessions))},
                "events": {(r.event, r.target, r.client) for r in conn.execute(select(staff_events))},
                "pins": sorted(r.at.replace(tzinfo=None) for r in conn.execute(select(pin_failures))),
                "overlays": {(r.identifier, r.library, r.principal) for r in conn.execute(select(record_overlays))}}


def _run(store, settings, now, dry_run=False) -> dict:
    with store.engine.begin() as conn:
        steps = retention.run(conn, settings.staff, settings.circulation, now, dry_run=dry_run)
    return {(x.table, x.action): x.count for x in steps}


def test_old_rows_go_recent_stay_addresses_blanked_and_a_dry_run_changes_nothing(store, db):
    before = _snapshot(store.engine)
    dry = _run(store, db, NOW, dry_run=True)
    assert _snapshot(store.engine) == before
    done = _run(store, db, NOW)
    assert done == dry == {("staff_sessions", "deleted"): 2, ("staff_events", "deleted"): 1,
                           ("staff_sessions", "address blanked"): 1, ("staff_events", "address blanked"): 2,
                           ("record_overlays", "staff name blanked"): 1, ("patron_pin_failures", "deleted"): 1}
    after = _snapshot(store.engine)
    assert after["sessions"] == {("signedout", None), ("recent", ADDRESS), ("live", ADDRESS)}
    assert after["events"] == {(PATRON_VIEWED, "N700", None), ("sign_in_failed", "N40", None),
                               ("sign_in", "N5", ADDRESS)}
    assert after["pins"] == [(NOW - timedelta(minutes=5)).replace(tzinfo=None)]
    assert after["overlays"] == {("r800", "karasjok", ""), ("r100", "karasjok", "ann")}    # the library stays
    assert set(_run(store, db, NOW).values()) == {0}                     # idempotent: nothing left to do
    assert _snapshot(store.engine) == after


def test_the_audit_of_a_patron_look_up_survives_until_its_time(store, db):
    _run(store, db, NOW)
    viewed = select(staff_events.c.target).where(staff_events.c.event == PATRON_VIEWED)
    for days, left in ((29, ["N700"]), (30, ["N700"]), (31, [])):       # 700 + 30 = 730 days: still kept
        _run(store, db, NOW + timedelta(days=days))
        with store.engine.connect() as conn:
            assert conn.execute(viewed).scalars().all() == left, days


def test_the_command_reports_per_table_and_the_scheduler_runs_it_once_a_day(store, tmp_path, db_url):
    now = datetime.now(timezone.utc)
    with store.engine.begin() as conn:
        audit.record(conn, PATRON_VIEWED, now - timedelta(days=800), library="karasjok", principal="ann",
                     client=ADDRESS, target="N1")
        audit.record(conn, PATRON_VIEWED, now - timedelta(days=100), library="karasjok", principal="ann",
                     client=ADDRESS, target="N2")
    config = tmp_path / "grenselos.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\ndatabase_url = "{db_url}"\n'
                      "[staff]\naudit_retention_days = 365\n", encoding="utf-8")

    def invoke(*args):
        result = CliRunner().invoke(cli, ["--config", str(config), "staff", "retention", *args],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    dry = json.loads(invoke("--dry-run", "--json"))
    counts = {(x["table"], x["action"]): x["count"] for x in dry["steps"]}
    assert dry["dry_run"] is True and counts[("staff_events", "deleted")] == 1
    assert counts[("staff_events", "address blanked")] == 1                 # the deleted row is not counted
    assert "would be: staff_events: 1 deleted" in invoke("--dry-run")
    text = invoke()
    assert "staff_events: 1 deleted" in text and "staff_events: 1 address blanked" in text
    assert "staff_events: 0 deleted" in invoke()
    with store.engine.connect() as conn:
        assert conn.execute(select(staff_events.c.target, staff_events.c.client)).all() == [("N2", None)]

    scheduler = Scheduler(_settings(tmp_path, db_url), out=io.StringIO())
    try:
        first = scheduler.run_retention(now)
        assert first.startswith("staff retention: staff_sessions 0 deleted") and "FAILED" not in first
        assert scheduler.run_retention(now + timedelta(minutes=1)) == ""             # once a day
        assert scheduler.run_retention(now + timedelta(days=1)).startswith("staff retention:")
        assert "staff retention:" in scheduler.out.getvalue()
    finally:
        scheduler.close()
