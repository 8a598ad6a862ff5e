"""Ordinary-request latency while slow clients (slowloris) hold connections, per server set-up.

Issue 12: two clients sending one header line every 2 s stopped the documented production command,
`gunicorn -w 2 'portal.app:create_app()'` (sync workers). This serves the demo's libraries (built once
into a temporary folder by the real pipeline) with each set-up in turn on a loopback port:

    sync      gunicorn -w 2 'portal.app:create_app()'                 (the old documented command)
    gthread   gunicorn -c deploy/gunicorn.conf.py -k gthread -w 2      (gunicorn's own threaded worker)
    shipped   gunicorn -c deploy/gunicorn.conf.py -w 2                 (BufferingThreadWorker)
    nginx     nginx with deploy/nginx/ (TLS) in front of `shipped`

warms each up with nine requests, opens 0, 4, 16 and 64 slow clients (a request line, then one header line a second, never finished),
waits 1.2 s, and times `--requests` ordinary requests (/, /search?q=x, /api/search?q=x, one at a
time, each on a new connection) while the slow clients stay connected. Prints p50/p95 and how many
timed out (`--timeout` s). A set-up that times out three requests in a row counts as blocked for that
number of slow clients, and the rest of its requests are not tried. Loopback only; every loop is
bounded; every process started here is stopped here.

    .venv/bin/python bench/slow_clients.py [--setups sync,gthread,shipped,nginx] [--counts 0,4,16,64]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.peers import slow_http  # noqa: E402

PATHS = ("/", "/search?q=x", "/api/search?q=x")


def measure(port: int, count: int, requests: int, timeout: float, tls: bool, kind: str) -> dict:
    times, failed, in_a_row = [], 0, 0
    with slow_http.SlowClients(port, count, kind=kind, interval=1.0, duration=requests * timeout + 30,
                               tls=tls, path="/search") as slow:
        time.sleep(1.2)
        for n in range(requests):
            status, seconds, _ = slow_http.timed_request(port, PATHS[n % len(PATHS)], timeout=timeout, tls=tls)
            if status == 200:
                times.append(seconds)
                in_a_row = 0
            else:
                failed += 1
                in_a_row += 1
                if in_a_row >= 3:
                    break
        still_open = slow.open
    tried = len(times) + failed
    return {"count": count, "tried": tried, "failed": failed, "open": still_open,
            "p50": statistics.median(times) * 1000 if times else None,
            "p95": (statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else times[0]) * 1000 if times else None}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setups", default="sync,gthread,shipped,nginx")
    parser.add_argument("--counts", default="0,4,16,64")
    parser.add_argument("--requests", type=int, default=30, help="ordinary requests per measurement")
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds before a request counts as failed")
    parser.add_argument("--kind", choices=("head", "body"), default="head",
                        help="slow heads (slowloris) or slow POST bodies")
    args = parser.parse_args(argv)
    counts = [int(c) for c in args.counts.split(",")]

    with tempfile.TemporaryDirectory(prefix="grenselos-slow-") as tmp:
        tmp = Path(tmp)
        from grenselos.demo import build
        _settings, store = build(tmp / "data", "http://127.0.0.1:5000", say=lambda *_: None)
        store.close()
        config = tmp / "data" / "grenselos-demo.toml"
        print(f"slow clients ({args.kind}): {args.requests} ordinary requests per row, one at a time, "
              f"timeout {args.timeout:g} s; loopback, 2 gunicorn worker processes")
        print(f"{'set-up':<10} {'slow':>5} {'p50 ms':>8} {'p95 ms':>8} {'failed':>10} {'slow open':>10}")
        for setup in args.setups.split(","):
            gunicorn_setup = "shipped" if setup == "nginx" else setup
            proc, port = slow_http.start_gunicorn(gunicorn_setup, config, tmp / f"{setup}.log")
            nginx = None
            target, tls = port, False
            try:
                if setup == "nginx":
                    nginx, _http_port, target = slow_http.start_nginx(tmp / "nginx", port)
                    tls = True
                for n in range(9):        # warm-up: each process's first pages open stores and caches
                    slow_http.timed_request(target, PATHS[n % len(PATHS)], timeout=10, tls=tls)
                for count in counts:
                    row = measure(target, count, args.requests, args.timeout, tls, args.kind)
                    p50 = f"{row['p50']:.1f}" if row["p50"] is not None else "-"
                    p95 = f"{row['p95']:.1f}" if row["p95"] is not None else "-"
                    failed = f"{row['failed']}/{row['tried']}"
                    print(f"{setup:<10} {count:>5} {p50:>8} {p95:>8} {failed:>10} {row['open']:>10}", flush=True)
                    # a blocked server may need a moment once the slow clients are gone
                    slow_http.wait_until_serving(target, nginx or proc, tls=tls, seconds=60)
            finally:
                slow_http.stop(nginx)
                slow_http.stop(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
