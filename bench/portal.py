"""Portal speed: /api/search, the search page and record pages under concurrent clients on loopback.

Builds (once, cached in bench/.cache) an embedded tantivy index of synthetic documents — titles from a
small word list, 60 libraries, some works with holdings in all 60 (every copy with a status) — serves
the real portal as production does, `gunicorn -w N 'portal.app:create_app()'` with $GRENSELOS_CONFIG,
on a loopback port, and runs N client threads. Prints requests/s, client and server-side
(Server-Timing) p50/p95 per route, errors, and peak memory of the bench and of the gunicorn workers.

    .venv/bin/python bench/portal.py --records 1000000 --clients 50 --seconds 20 --workers 4
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import signal
import socket
import subprocess
import random
import resource
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = ("hav fisk nord lys vinter sommer fjell elv bok barn historie kyst båt reise natt dag skog by "
         "mor far venn krig fred språk sang eventyr stjerne sol måne vind snø is reinsdyr sápmi girji "
         "mánná áhkku čáhci meahcci guolli kainu kieli meri talvi").split()
LANGS = ("nob", "nob", "nob", "nno", "eng", "sme", "smj", "sma", "fkv", "fin", "swe", "rus")
FORMATS = ("book", "book", "book", "ebook", "audiobook", "video", "music")
AUDIENCES = ("adult", "adult", "children", "young_adult")


def libraries(n: int = 60) -> list[dict]:
    kinds = ("public", "public", "school")
    return [{"id": f"lib{i:02d}", "name": f"Bibliotek {i:02d}", "isil": f"NO-20{i:05d}",
             "kind": kinds[i % 3], "municipality": f"Kommune {i % 20:02d}"} for i in range(n)]


STATUSES = ("available", "available", "on_loan", "in_transit", "reference")


def build_index(path: Path, count: int, libs: list[dict]) -> None:
    from index.document import Copy, Document, Holding
    from index.tantivy_backend import TantivyBackend
    rng = random.Random(42)
    if path.exists():
        shutil.rmtree(path)
    backend = TantivyBackend(path, writer_heap=512_000_000, writer_threads=2)
    batch = []
    for n in range(count):
        work = n // 2 if n % 10 < 4 else n          # 40 % of records share a work with a neighbour
        held = libs if n % 1000 == 0 else rng.sample(libs, rng.randint(1, 4))
        holdings = []
        for lib in held:
            copies = tuple(Copy(rng.choice(STATUSES), "2026-12-01", "Voksen", "839.8")
                           for _ in range(rng.randint(1, 3)))
            statuses = [c.status for c in copies]
            holdings.append(Holding(
                library=lib["id"], municipality=lib["municipality"], kind=lib["kind"], items=len(copies),
                available=statuses.count("available"), call_number="839.8", isil=lib["isil"], location="Voksen",
                status="available" if "available" in statuses else statuses[0], copies=copies))
        holdings = tuple(holdings)
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 5))).capitalize()
        batch.append(Document(
            id=f"{held[0]['id']}-{n}", work_id=f"w{work}", source=held[0]["id"], title=title,
            identifier=f"oai:bench:{n}",
            contributors=(f"{rng.choice(WORDS).capitalize()}, {rng.choice(WORDS).capitalize()}",),
            subjects={"humord": (rng.choice(WORDS).capitalize(),)}, year=rng.randint(1950, 2025),
            languages=(rng.choice(LANGS),), formats=(rng.choice(FORMATS),), audiences=(rng.choice(AUDIENCES),),
            holdings=holdings, work_libraries=len(holdings)))
        if len(batch) == 5000:
            backend.add(batch)
            batch = []
    if batch:
        backend.add(batch)
    backend.commit()
    backend.close()


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run(url: str, clients: int, seconds: float, record_ids: list[str]) -> dict:
    host, port = url.removeprefix("http://").split(":")
    rng = random.Random(7)
    results: dict[str, list[tuple[float, float]]] = {}
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def target() -> tuple[str, str]:
        word = rng.choice(WORDS)
        r = rng.random()
        if r < 0.45:
            return "api_search", f"/api/search?q={quote(word)}"
        if r < 0.6:
            return "api_search", f"/api/search?q={quote(word)}&filter=language:{rng.choice(LANGS)}&sort=newest"
        if r < 0.9:
            return "search_page", f"/search?q={quote(word)}&filter=library:lib{rng.randint(0, 59):02d}"
        return "record_page", f"/record/{quote(rng.choice(record_ids), safe='-')}"

    def client():
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        local: dict[str, list[tuple[float, float]]] = {}
        while time.monotonic() < stop:
            name, path = target()
            started = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                elapsed = (time.perf_counter() - started) * 1000
                server = float(response.getheader("Server-Timing", "app;dur=nan").split("dur=")[1])
                if response.status != 200:
                    with lock:
                        errors.append(f"{response.status} {path}")
                local.setdefault(name, []).append((elapsed, server))
            except Exception as exc:  # counted, never hidden
                with lock:
                    errors.append(f"{type(exc).__name__} {path}")
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.close()
        with lock:
            for name, values in local.items():
                results.setdefault(name, []).extend(values)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"results": results, "errors": errors, "elapsed": time.monotonic() - began}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_config(cache: Path, libs: list[dict], facet_cache: float) -> Path:
    lines = [f'data_dir = "{cache / "data"}"', "", "[search]", f"facet_cache_seconds = {facet_cache}", ""]
    for lib in libs:
        lines += ["[[sources]]"] + [f'{k} = "{v}"' for k, v in lib.items()] + [""]
    path = cache / "grenselos.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def start_gunicorn(config: Path, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "GRENSELOS_CONFIG": str(config)}
    proc = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", str(workers), "-b",
                             f"127.0.0.1:{port}", "--backlog", "2048", "--timeout", "60", "--log-level", "warning",
                             "portal.app:create_app()"], cwd=str(ROOT), env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/search?q=hav")
            if conn.getresponse().status == 200:
                return proc, url
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("gunicorn did not answer within 60 s")


def workers_peak_mb(proc: subprocess.Popen) -> float:
    """Peak resident memory of the gunicorn master and its workers (VmHWM), summed."""
    total = 0
    pids = [str(proc.pid)]
    try:
        pids += Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    except OSError:
        pass
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--facet-cache", type=float, default=0.0,
                        help="[search] facet_cache_seconds for the portal (default 0: every request counts)")
    parser.add_argument("--client-nice", type=int, default=10,
                        help="niceness of the load generator once the server is up (default 10), so that on a "
                             "machine of few cores the clients take what the server leaves, as clients on "
                             "other machines would; 0 lets them compete")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args(argv)

    from core.settings import load
    from index.errors import FatalBackendError
    from index.tantivy_backend import TantivyBackend
    from portal.app import create_app

    cache = ROOT / "bench" / ".cache" / f"portal-{args.records}"
    libs = libraries()
    index_dir = cache / "data" / "index"
    try:
        fresh = args.rebuild or not (index_dir / "meta.json").exists()
        if not fresh:
            TantivyBackend(index_dir).close()
    except FatalBackendError:
        fresh = True                                          # built with an older schema
    if fresh:
        started = time.perf_counter()
        build_index(index_dir, args.records, libs)
        print(f"built index of {args.records:,} records in {time.perf_counter() - started:.1f} s")
    config = write_config(cache, libs, args.facet_cache)
    settings = load(config)
    from core.db import engine_for, migrate
    migrate(engine_for(settings.database_url))                # the store's tables, as a deployed portal has them
    create_app(settings)                                      # writes the secret key once, before the workers
    record_ids = [f"lib00-{n}" for n in range(0, min(args.records, 60_000), 1000)]   # held by all 60
    proc, url = start_gunicorn(config, args.workers)
    os.nice(args.client_nice)
    try:
        run(url, 4, 3, record_ids)                            # warm up every worker's index reader
        out = run(url, args.clients, args.seconds, record_ids)
        served_mb = workers_peak_mb(proc)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    total = sum(len(v) for v in out["results"].values())
    print(f"portal bench: {args.records:,} records, gunicorn -w {args.workers}, facet cache {args.facet_cache:g} s, "
          f"{args.clients} clients (nice {args.client_nice}), "
          f"{out['elapsed']:.1f} s, {total / out['elapsed']:.0f} requests/s, errors {len(out['errors'])}")
    print(f"{'route':<13} {'n':>7} {'client p50':>11} {'client p95':>11} {'server p50':>11} {'server p95':>11}  (ms)")
    for name, values in sorted(out["results"].items()):
        client = [c for c, _ in values]
        server = [s for _, s in values]
        print(f"{name:<13} {len(values):>7} {statistics.median(client):>11.1f} {percentile(client, 95):>11.1f} "
              f"{statistics.median(server):>11.1f} {percentile(server, 95):>11.1f}")
    if out["errors"]:
        print("first errors:", out["errors"][:5])
    print(f"peak memory: bench {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB, "
          f"gunicorn master + workers {served_mb:.0f} MiB")
    return 1 if out["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
