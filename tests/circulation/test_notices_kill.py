"""`grenselos notices send` killed with SIGKILL in the middle of a run against a slow SMTP server, then run
again: no patron gets a notice twice, and every notice but those in flight at the kill (one per worker) arrives
(the promise is at most once; an in-flight one stays `sending`, then `uncertain`, for staff)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from circulation import notices
from circulation.notice_tables import notices as notice_rows
from circulation.tables import patrons
from core.db import engine_for, migrate
from tests.circulation.conftest import add_patron
from tests.peers.mail_server import free_port

ROOT = Path(__file__).resolve().parents[2]
COUNT = 40
WORKERS = 3


class SlowInbox:
    def __init__(self, delay: float):
        self.delay = delay
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"


def _config(tmp_path, port) -> Path:
    path = tmp_path / "grenselos.toml"
    path.write_text(f"""data_dir = "data"
[[sources]]
id = "tromso"
name = "Tromsø bibliotek"
municipality = "Tromsø"
circulation = true
[notices]
smtp_host = "127.0.0.1"
smtp_port = {port}
sender = "bibliotek@tromso.example.no"
workers = {WORKERS}
""", encoding="utf-8")
    return path


def _send(config: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "grenselos.cli", "--config", str(config), "notices", "send"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.mark.slow
def test_kill_9_mid_run_and_a_rerun_send_no_notice_twice(tmp_path):
    from aiosmtpd.controller import Controller
    url = f"sqlite:///{tmp_path / 'data' / 'records.sqlite'}"
    engine = engine_for(url)
    migrate(engine)
    for n in range(COUNT):
        add_patron(engine, f"L{n:04d}", email=f"p{n}@example.no")
    past = datetime.now(timezone.utc) - timedelta(minutes=1)
    with engine.begin() as conn:
        ids = dict(conn.execute(select(patrons.c.card, patrons.c.id)).all())
        for n in range(COUNT):
            assert notices.queue(conn, patron_id=ids[f"L{n:04d}"], kind="hold_ready", key=f"hold:{n}:1",
                                 params={"title": f"Bok {n}", "pickup_number": str(n)}, library="tromso", at=past)
    inbox = SlowInbox(0.05)
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        config = _config(tmp_path, port)
        first = _send(config)
        deadline = time.monotonic() + 60
        while len(inbox.messages) < 10 and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.01)
        assert first.poll() is None, first.stdout.read().decode()
        first.send_signal(signal.SIGKILL)
        first.wait()
        received_at_kill = len(inbox.messages)
        assert 10 <= received_at_kill < COUNT
        time.sleep(0.3)                                  # let the server finish what it was given
        second = _send(config)
        output = second.communicate(timeout=120)[0].decode()
        assert second.returncode == 0, output
        time.sleep(0.2)
    finally:
        controller.stop()
    recipients = [m["To"] for m in inbox.messages]
    assert len(recipients) == len(set(recipients)), "a notice was sent twice"
    with engine.connect() as conn:
        rows = conn.execute(select(notice_rows.c.status, notice_rows.c.address, notice_rows.c.message_id)).all()
    states = [r.status for r in rows]
    in_flight = [r for r in rows if r.status == "sending"]
    assert len(in_flight) <= WORKERS and states.count("sent") + len(in_flight) == COUNT
    sent = {r.address for r in rows if r.status == "sent"}
    assert sent <= set(recipients) and len(set(recipients)) >= COUNT - WORKERS
    assert {m["Message-ID"] for m in inbox.messages} >= {r.message_id for r in rows if r.status == "sent"}
    engine.dispose()
