"""`grenselos notices send --dry-run`, `send`, `list` and `retry` as an operator runs them, on SQLite."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from click.testing import CliRunner
from sqlalchemy import select

from circulation import notices
from circulation.notice_tables import notices as notice_rows
from circulation.tables import patrons
from core.db import engine_for, migrate
from grenselos.cli import cli
from tests.circulation.conftest import add_patron
from tests.peers.mail_server import SmtpPeer


def run(config, *args):
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def test_send_dry_run_list_and_retry(write_config, tmp_path):
    with SmtpPeer() as smtp:
        config = write_config(f"""data_dir = "data"
[[sources]]
id = "tromso"
name = "Tromsø bibliotek"
circulation = true
[notices]
smtp_host = "127.0.0.1"
smtp_port = {smtp.port}
""")
        engine = engine_for(f"sqlite:///{tmp_path / 'data' / 'records.sqlite'}")
        migrate(engine)
        add_patron(engine, "L0200", email="a@example.no")
        add_patron(engine, "L0201")
        past = datetime.now(timezone.utc) - timedelta(minutes=1)
        with engine.begin() as conn:
            for card in ("L0200", "L0201"):
                patron_id = conn.execute(select(patrons.c.id).where(patrons.c.card == card)).scalar()
                notices.queue(conn, patron_id=patron_id, kind="hold_ready", key=f"hold:{card}:1",
                              params={"title": "Bok"}, library="tromso", at=past)
        dry = run(config, "notices", "send", "--dry-run", "--json")
        report = json.loads(dry.output)
        assert dry.exit_code == 1 and report["dry_run"] and report["sent"] == 1 and report["undeliverable"] == 1
        with engine.connect() as conn:
            assert set(conn.execute(select(notice_rows.c.status)).scalars()) == {"queued"}
        assert smtp.inbox.messages == []
        real = run(config, "notices", "send")
        assert real.exit_code == 1 and "sent 1 (email 1)" in real.output and "undeliverable 1" in real.output
        assert "hold_ready:hold:L0201:1: no e-mail address or phone number" in real.output
        assert len(smtp.inbox.wait_for(1)) == 1
        again = run(config, "notices", "send")
        assert "sent 0" in again.output and again.exit_code == 0
        listed = run(config, "notices", "list")
        assert "undeliverable\thold_ready\tL0201" in listed.output
        (row,) = json.loads(run(config, "notices", "list", "--json").output)
        assert run(config, "notices", "retry", str(row["id"])).exit_code == 0
        assert run(config, "notices", "retry", str(row["id"])).exit_code == 1         # queued now, not failed
    engine.dispose()
