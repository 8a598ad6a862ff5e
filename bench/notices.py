"""Measure `grenselos notices send`: messages per second to a loopback SMTP server (aiosmtpd), and duplicates
after a SIGKILL in the middle of a run and a rerun (the goal: none).

    .venv/bin/python bench/notices.py [--count 10000] [--kill-at 0.5] [--pg URL] [--json]

Each round makes a fresh database (SQLite in a temporary folder, or a new database on --pg's server) with
`--count` patrons (nb, nn, se, en) and one loan each due tomorrow, so the run's own scan queues one "due
soon" notice per loan. Round 1 runs `grenselos notices send` as a subprocess to the end and reports
messages/s (process start and scan included). Round 2 SIGKILLs it once `--kill-at` of the messages have
arrived, reruns it, and counts per recipient: duplicates, missing, and rows left `sending` (at most one:
the message in flight at the kill, never resent — the promise is at most once).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, select, text  # noqa: E402

from circulation.notice_tables import notices as notice_rows  # noqa: E402
from circulation.service import local_day  # noqa: E402
from circulation.tables import loans, patrons  # noqa: E402
from core.db import engine_for, migrate  # noqa: E402

LANGUAGES = ("nb", "nn", "se", "en")


class Inbox:
    def __init__(self):
        self.recipients: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.recipients.extend(envelope.rcpt_tos)
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(url: str, count: int) -> None:
    engine = engine_for(url)
    migrate(engine)
    now = datetime.now(timezone.utc)
    due = local_day(now) + timedelta(days=1)
    with engine.begin() as conn:
        for start in range(0, count, 1000):
            conn.execute(insert(patrons), [
                {"card": f"B{n:07d}", "pin_hash": "x", "name": f"Patron {n}", "email": f"p{n}@example.no",
                 "phone": "", "language": LANGUAGES[n % 4], "library": "tromso", "category": "adult",
                 "status": "active", "created_at": now, "updated_at": now}
                for n in range(start, min(start + 1000, count))])
        ids = dict(conn.execute(select(patrons.c.card, patrons.c.id)).all())
        for start in range(0, count, 1000):
            conn.execute(insert(loans), [
                {"copy_id": n + 1, "barcode": f"0301{n:07d}", "source": "tromso", "identifier": f"rec{n}",
                 "patron_id": ids[f"B{n:07d}"], "patron_category": "adult", "patron_library": "tromso",
                 "item_type": "book", "library": "tromso", "out_at": now - timedelta(days=27), "due_date": due}
                for n in range(start, min(start + 1000, count))])
    engine.dispose()


def config(folder: Path, url: str, port: int) -> Path:
    path = folder / "grenselos.toml"
    path.write_text(f'''data_dir = "data"
database_url = "{url}"
[[sources]]
id = "tromso"
name = "Tromsø bibliotek"
municipality = "Tromsø"
circulation = true
[notices]
smtp_host = "127.0.0.1"
smtp_port = {port}
sender = "bibliotek@tromso.example.no"
due_soon_days = 2
''', encoding="utf-8")
    return path


def send(path: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "grenselos.cli", "--config", str(path), "notices", "send"],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)


class Database:
    """A fresh database per round: SQLite in the round's folder, or a new database on --pg's server."""

    def __init__(self, pg: str | None, folder: Path):
        self.pg, self.name = pg, None
        if pg:
            self.name = "bench_notices_" + uuid.uuid4().hex[:8]
            admin = create_engine(pg, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.name}"'))
            admin.dispose()
            self.url = pg.rsplit("/", 1)[0] + "/" + self.name
        else:
            self.url = f"sqlite:///{folder / 'data' / 'records.sqlite'}"

    def drop(self) -> None:
        if self.name:
            admin = create_engine(self.pg, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            admin.dispose()


def round_(count: int, pg: str | None, kill_at: float | None) -> dict:
    from aiosmtpd.controller import Controller
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = Database(pg, folder)
        try:
            seed(db.url, count)
            inbox, port = Inbox(), free_port()
            controller = Controller(inbox, hostname="127.0.0.1", port=port)
            controller.start()
            try:
                path = config(folder, db.url, port)
                started = time.perf_counter()
                first = send(path)
                out: dict = {"count": count}
                if kill_at is not None:
                    while len(inbox.recipients) < count * kill_at and first.poll() is None:
                        time.sleep(0.005)
                    first.send_signal(signal.SIGKILL)
                    first.wait()
                    out["received_at_kill"] = len(inbox.recipients)
                    time.sleep(0.5)
                    second = send(path)
                    out["rerun_output"] = second.communicate()[0].decode().strip().splitlines()[-1:]
                else:
                    out["output"] = first.communicate()[0].decode().strip().splitlines()[-1:]
                elapsed = time.perf_counter() - started
                time.sleep(0.3)
            finally:
                controller.stop()
            got = Counter(inbox.recipients)
            engine = engine_for(db.url)
            with engine.connect() as conn:
                states = Counter(conn.execute(select(notice_rows.c.status)).scalars())
            engine.dispose()
            out.update({"seconds": round(elapsed, 2), "messages": len(inbox.recipients),
                        "messages_per_second": round(len(inbox.recipients) / elapsed, 1),
                        "duplicates": sum(n - 1 for n in got.values() if n > 1),
                        "missing": count - len(got), "states": dict(states)})
            return out
        finally:
            db.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--kill-at", type=float, default=0.5)
    parser.add_argument("--pg", default=None, help="PostgreSQL server URL (a fresh database is made on it)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = {"database": "postgresql" if args.pg else "sqlite",
              "clean_run": round_(args.count, args.pg, None),
              "killed_and_rerun": round_(args.count, args.pg, args.kill_at)}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    clean, killed = result["clean_run"], result["killed_and_rerun"]
    print(f"{result['database']}: {clean['messages']} messages in {clean['seconds']} s = "
          f"{clean['messages_per_second']} msgs/s (duplicates {clean['duplicates']}, missing {clean['missing']})")
    print(f"kill -9 after {killed['received_at_kill']} messages, rerun: duplicates {killed['duplicates']}, "
          f"missing {killed['missing']} (left in flight, never resent: {killed['states'].get('sending', 0)}); "
          f"states {killed['states']}")


if __name__ == "__main__":
    main()
