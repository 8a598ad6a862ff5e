"""SIP2 self-service under load: 20 kiosks on loopback doing checkout, renew and checkin at once.

    .venv/bin/python bench/circulation_sip2.py [--copies 100000] [--patrons 20000] [--clients 20]
        [--rounds 50] [--rate TX_PER_S] [--rtt MS] [--max-seconds 120] [--postgresql URL] [--pin] [--json]

Builds a county on the embedded default (SQLite) or on PostgreSQL (`--postgresql`, e.g. the test server's
URL in GRENSELOS_TEST_PG_URL): `--copies` circulating copies and `--patrons` patrons, then starts the real
SIP2 server (`circulation.sip2.server`, over the real circulation service) on a loopback port. Each client
is an independent kiosk (frames built and checked by PyPI's `pysip2` codec, with AY/AZ error detection)
on its own connection: it logs in, then repeats checkout (11), renew (29) and checkin (09) of copies of its
own, for a random patron; with `--pin` each checkout carries the PIN (AD), which costs an argon2 check.
Every request is one round trip; the bench times each from send to the whole response frame. Without
`--rate` the kiosks go as fast as they can (saturation: throughput, and latency under a full queue); with
`--rate` they share that many transactions a second between them, paced (latency at a given load).
`--rtt 200` puts a relay between each kiosk and the server that holds every chunk for half that time in
each direction: a kiosk on a slow mobile link, as `tc netem` would make it but without touching the
loopback interface other programs share. A transaction of one round trip then takes rtt + server time.
Prints p50/p95/max per transaction, throughput, and how that compares with 50× the region's busiest hour.
Loops are bounded by `--rounds` and `--max-seconds`, and talk only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pysip2  # noqa: E402
from sqlalchemy import create_engine, insert, text  # noqa: E402

from accounts.passwords import hash_password  # noqa: E402
from circulation.service import Circulation  # noqa: E402
from circulation.sip2.server import Sip2Server  # noqa: E402
from circulation.sip2.session import Account  # noqa: E402
from circulation.tables import patrons  # noqa: E402
from core.db import engine_for, migrate  # noqa: E402
from core.settings import from_dict  # noqa: E402
from transform.copies import copies  # noqa: E402

#: The region lends roughly a million items a year; over ~300 opening days of ~10 hours that is ~330 loans
#: an hour, and the busiest hour of the year is taken as three times that.
BUSIEST_HOUR = 1_000_000 / (300 * 10) * 3
NOW = "20261207    120000"


def build(url: str, n_copies: int, n_patrons: int, data_dir: str) -> Circulation:
    engine = engine_for(url)
    migrate(engine)
    now = datetime.now(timezone.utc)
    pin_hash = hash_password("1234")
    with engine.begin() as conn:
        rows = [{"source": "tromso", "identifier": f"rec{n}", "n": 1, "item_id": f"B{n:07d}", "library": "tromso",
                 "library_code": "", "location": "", "call_number": "", "status": "available", "due_date": "",
                 "note": "", "status_source": "harvest", "updated_at": now} for n in range(n_copies)]
        for i in range(0, len(rows), 2000):
            conn.execute(insert(copies), rows[i:i + 2000])
        people = [{"card": f"N{n:09d}", "pin_hash": pin_hash, "name": f"Patron {n}", "email": "", "phone": "",
                   "language": "nb", "library": "tromso", "category": "adult", "status": "active",
                   "block_reason": "", "keep_history": False, "pin_failures": 0, "tx_seq": 0, "created_at": now,
                   "updated_at": now} for n in range(n_patrons)]
        for i in range(0, len(people), 2000):
            conn.execute(insert(patrons), people[i:i + 2000])
    settings = from_dict({"database_url": url, "data_dir": data_dir, "sources": [{"id": "tromso", "name": "Tromsø", "circulation": True}]})
    return Circulation(engine, settings)


def relay(server_port: int, rtt: float) -> int:
    """A loopback port that forwards to the server, holding each chunk rtt/2 seconds in each direction."""
    listener = socket.create_server(("127.0.0.1", 0))

    def pipe(src, dst):
        try:
            while chunk := src.recv(65536):
                time.sleep(rtt / 2)
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def accept():
        while True:
            try:
                kiosk, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", server_port))
            for a, b in ((kiosk, upstream), (upstream, kiosk)):
                threading.Thread(target=pipe, args=(a, b), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return listener.getsockname()[1]


class Kiosk:
    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sequence, self.buffer = 0, b""

    def send(self, message, blank_due: bool = False):
        self.sequence = (self.sequence + 1) % 10
        frame = pysip2.encode_message(message, sequence_number=self.sequence, checksum=True)
        if blank_due:                           # kiosks send an empty nb due date; pysip2 will not encode one
            body = frame[:22] + b" " * 18 + frame[40:frame.rindex(b"AZ") + 2]
            frame = body + pysip2.calculate_checksum(body).encode() + b"\r"
        start = time.perf_counter()
        self.sock.sendall(frame)
        while b"\r" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buffer += chunk
        end = self.buffer.index(b"\r") + 1
        reply, self.buffer = self.buffer[:end], self.buffer[end:]
        elapsed = time.perf_counter() - start
        return pysip2.decode_message(reply).message, elapsed


def client(port: int, index: int, args, n_patrons: int, timings: dict, failures: list, stop_at: float):
    kiosk = Kiosk(port)
    login, _ = kiosk.send(pysip2.LoginRequest(uid_algorithm="0", pwd_algorithm="0", login_user_id="kiosk",
                                              login_password="secret"))
    assert login.ok == "1"
    rng = random.Random(index)
    own = [f"B{n:07d}" for n in range(index, args.copies, args.clients)]     # copies of this kiosk only
    interval = 3 * args.clients / args.rate if args.rate else 0.0
    first = time.monotonic() + rng.random() * interval
    for round_ in range(args.rounds):
        if interval:
            time.sleep(max(0.0, first + round_ * interval - time.monotonic()))
        if time.monotonic() > stop_at:
            break
        barcode, card = own[round_ % len(own)], f"N{rng.randrange(n_patrons):09d}"
        common = dict(transaction_date=NOW, nb_due_date=NOW, institution_id="tromso", patron_identifier=card,
                      item_identifier=barcode, terminal_password="")
        out, t = kiosk.send(pysip2.CheckoutRequest(sc_renewal_policy="Y", no_block="N",
                                                   patron_password="1234" if args.pin else None, **common),
                            blank_due=True)
        timings["checkout"].append(t)
        renew, t = kiosk.send(pysip2.RenewRequest(third_party_allowed="N", no_block="N", **common), blank_due=True)
        timings["renew"].append(t)
        back, t = kiosk.send(pysip2.CheckinRequest(no_block="N", transaction_date=NOW, return_date=NOW,
                                                   current_location="hall", institution_id="tromso",
                                                   item_identifier=barcode, terminal_password=""))
        timings["checkin"].append(t)
        for name, reply in (("checkout", out), ("renew", renew), ("checkin", back)):
            if reply.ok != "1":
                failures.append((name, barcode, card, reply.screen_message))
    kiosk.sock.close()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run(args) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        url = args.postgresql or f"sqlite:///{Path(tmp) / 'records.sqlite'}"
        if args.postgresql:
            admin = create_engine(args.postgresql, isolation_level="AUTOCOMMIT")
            name = f"bench_sip2_{int(time.time())}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            url = args.postgresql.rsplit("/", 1)[0] + "/" + name
        started = time.perf_counter()
        service = build(url, args.copies, args.patrons, tmp)
        setup = time.perf_counter() - started
        server = Sip2Server(service, [Account("kiosk", "secret", "tromso")], port=0).start()
        timings = {"checkout": [], "renew": [], "checkin": []}
        failures: list = []
        stop_at = time.monotonic() + args.max_seconds
        port = relay(server.port, args.rtt / 1000) if args.rtt else server.port
        threads = [threading.Thread(target=client, args=(port, i, args, args.patrons, timings, failures,
                                                         stop_at)) for i in range(args.clients)]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began
        server.stop()
        service.engine.dispose()
        if args.postgresql:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    total = sum(len(v) for v in timings.values())
    per_hour = total / wall * 3600
    return {
        "database": "postgresql" if args.postgresql else "sqlite", "copies": args.copies, "patrons": args.patrons,
        "clients": args.clients, "pin": args.pin, "rate": args.rate, "rtt_ms": args.rtt, "setup_seconds": round(setup, 1), "seconds": round(wall, 2),
        "transactions": total, "failures": len(failures), "failure_examples": failures[:3],
        "per_second": round(total / wall, 1), "per_hour": round(per_hour),
        "times_busiest_hour": round(per_hour / BUSIEST_HOUR, 1),
        "ms": {name: {"p50": round(statistics.median(v) * 1000, 1), "p95": round(percentile(v, 95) * 1000, 1),
                      "max": round(max(v) * 1000, 1), "n": len(v)} for name, v in timings.items() if v},
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=100_000)
    parser.add_argument("--patrons", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=50, help="checkout+renew+checkin rounds per client")
    parser.add_argument("--rate", type=float, default=0, help="total transactions a second (0: as fast as possible)")
    parser.add_argument("--rtt", type=float, default=0, help="round trip in ms added by a loopback relay")
    parser.add_argument("--max-seconds", type=float, default=120)
    parser.add_argument("--postgresql", default="", help="server URL (a database is made and dropped)")
    parser.add_argument("--pin", action="store_true", help="send the PIN (AD) with every checkout")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{result['database']}: {result['copies']} copies, {result['patrons']} patrons, {result['clients']} SIP2 "
          f"clients{f' at {args.rate:g} tx/s' if args.rate else ''}{f', {args.rtt:g} ms round trip' if args.rtt else ''}, {result['transactions']} transactions in {result['seconds']} s "
          f"(setup {result['setup_seconds']} s), {result['failures']} refused")
    for name, m in result["ms"].items():
        print(f"  {name:8} p50 {m['p50']:7.1f} ms   p95 {m['p95']:7.1f} ms   max {m['max']:7.1f} ms   n={m['n']}")
    print(f"  throughput {result['per_second']}/s = {result['per_hour']}/h = {result['times_busiest_hour']}× the "
          f"busiest hour ({BUSIEST_HOUR:.0f}/h)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
