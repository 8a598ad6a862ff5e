"""Slow clients, timed requests and the servers they hit: shared by tests/peers/test_slow_clients.py
and bench/slow_clients.py.

Everything here talks to 127.0.0.1 only, every loop is bounded in steps and in time, and every
process started here is stopped by the code that started it (a context manager or `stop`).

A *slow client* is the attack of issue 12 (slowloris): it opens a connection, sends a request line and
then one more header line every `interval` seconds, never the blank line that ends the head -- or, for
a slow *body*, a complete POST head with a Content-Length and then the body a few bytes at a time.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


def free_port() -> int:
    """A port that was free a moment ago (the servers here cannot report an ephemeral port back)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _client_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE      # the tests' own self-signed certificate
    return ctx


class SlowClients:
    """`count` connections that trickle a request and never finish it, driven by one thread.

    kind "head": `GET / HTTP/1.1`, then one `X-a-N: b` line every `interval` s.
    kind "body": a whole `POST {path}` head with Content-Length 60000, then 10 body bytes every
    `interval` s (path: /sparql unless given).
    Stops by itself after `duration` seconds; `closed_by_server` counts connections the server ended
    (408, reset or plain close), `first_reply` keeps the first bytes one of them answered.
    """

    def __init__(self, port: int, count: int, *, kind: str = "head", interval: float = 1.0,
                 duration: float = 60.0, tls: bool = False, path: str = "/sparql"):
        self.port, self.count, self.kind, self.interval, self.duration, self.tls = \
            port, count, kind, interval, duration, tls
        self.path = path
        self.socks: list = []
        self.closed_by_server = 0
        self.first_reply = b""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _open(self):
        sock = socket.create_connection((HOST, self.port), timeout=5)
        if self.tls:
            sock = _client_context().wrap_socket(sock, server_hostname="localhost")
        if self.kind == "head":
            sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
        else:
            sock.sendall(b"POST %s HTTP/1.1\r\nHost: localhost\r\n" % self.path.encode()
                         + b"Content-Type: application/x-www-form-urlencoded\r\n"
                         b"Content-Length: 60000\r\n\r\nquery=")
        sock.settimeout(0.05)
        return sock

    def start(self) -> "SlowClients":
        self.socks = [self._open() for _ in range(self.count)]
        self._thread = threading.Thread(target=self._run, name="slow-clients", daemon=True)
        self._thread.start()
        return self

    @property
    def open(self) -> int:
        return sum(1 for s in self.socks if s is not None)

    def _server_closed(self, n: int) -> None:
        sock = self.socks[n]
        try:
            data = sock.recv(4096)
        except (socket.timeout, ssl.SSLWantReadError, BlockingIOError):
            return                        # nothing said yet: still open
        except OSError:
            data = b""
        if data and not self.first_reply:
            self.first_reply = data
        self.closed_by_server += 1
        self.socks[n] = None
        sock.close()

    def _run(self) -> None:
        deadline = time.monotonic() + self.duration
        step = 0
        while not self._stop.is_set() and time.monotonic() < deadline and step < 100_000:
            step += 1
            for n, sock in enumerate(self.socks):
                if sock is None:
                    continue
                try:
                    sock.sendall(b"X-a-%d: b\r\n" % step if self.kind == "head" else b"%2A" * 3 + b"x")
                except OSError:
                    self._server_closed(n)
                    continue
                self._server_closed(n)    # returns at once unless the server answered or closed
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)
        for sock in self.socks:
            if sock is not None:
                sock.close()
        self.socks = []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def timed_request(port: int, path: str, *, timeout: float = 10.0, tls: bool = False,
                  method: str = "GET", body: bytes | None = None,
                  headers: dict | None = None) -> tuple[int | None, float, dict]:
    """One request on a fresh connection: (status or None on failure/time-out, seconds, headers)."""
    started = time.monotonic()
    if tls:
        conn = http.client.HTTPSConnection(HOST, port, timeout=timeout, context=_client_context())
    else:
        conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Connection": "close", **(headers or {})})
        response = conn.getresponse()
        response.read()
        return response.status, time.monotonic() - started, {k.lower(): v for k, v in response.getheaders()}
    except OSError:
        return None, time.monotonic() - started, {}
    finally:
        conn.close()


def wait_until_serving(port: int, proc: subprocess.Popen, *, tls: bool = False, seconds: float = 60.0,
                       path: str = "/api/search?q=x") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before it answered")
        status, _, _ = timed_request(port, path, timeout=5, tls=tls)
        if status == 200:
            return
        time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not answer within {seconds:.0f} s")


def stop(proc: subprocess.Popen | None) -> None:
    """SIGTERM (gunicorn and nginx end their workers on it, then exit), and if the server is still
    there after 15 s, SIGKILL to the process group it was started in (`start_new_session`), which is
    its own and still exists (the leader is not reaped yet), so no worker is left behind."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


# -- gunicorn ----------------------------------------------------------------------------------------

GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"


def gunicorn_command(setup: str, port: int) -> list[str]:
    """The server set-ups compared by the test and the bench.

    "sync": the command the README documented before issue 12, `gunicorn -w 2 'portal.app:create_app()'`.
    "gthread": gunicorn's own threaded worker with the shipped limits, for comparison.
    "shipped": `gunicorn -c deploy/gunicorn.conf.py`, as production runs it.
    """
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    bind = ["-b", f"{HOST}:{port}", "--no-control-socket"]
    if setup == "sync":
        return [gunicorn, "-w", "2", *bind, "portal.app:create_app()"]
    if setup == "gthread":
        return [gunicorn, "-c", str(GUNICORN_CONF), "-w", "2", "-k", "gthread", *bind]
    if setup == "shipped":
        return [gunicorn, "-c", str(GUNICORN_CONF), "-w", "2", *bind]
    raise ValueError(setup)


def start_gunicorn(setup: str, config: Path, log: Path) -> tuple[subprocess.Popen, int]:
    """Start one set-up against the grenselos.toml `config`; returns the process and its port."""
    port = free_port()
    env = {**os.environ, "GRENSELOS_CONFIG": str(config)}
    with open(log, "ab") as out:
        proc = subprocess.Popen(gunicorn_command(setup, port), cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_serving(port, proc)
    except BaseException:
        stop(proc)
        raise
    return proc, port


# -- nginx -------------------------------------------------------------------------------------------

NGINX_SITE = ROOT / "deploy" / "nginx" / "grenselos.conf"
NGINX_LOCATIONS = ROOT / "deploy" / "nginx" / "grenselos-locations.conf"


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A throwaway certificate for localhost, made with the openssl command."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def render_nginx(folder: Path, upstream_port: int, http_port: int, https_port: int) -> Path:
    """The shipped site and locations files, with this machine's ports and paths, in a complete
    nginx.conf under `folder` (nginx then runs with `-p folder`, as root or as the current user).

    Only these strings are replaced -- the listen ports, the upstream address, the static folder, the
    certificate paths and where the locations file is included from -- so what runs is the shipped
    configuration, not a copy of it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for sub in ("logs", "tmp"):
        (folder / sub).mkdir(exist_ok=True)
    cert, key = self_signed(folder)
    replacements = {
        "listen 80;": f"listen {HOST}:{http_port};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen {HOST}:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "server 127.0.0.1:8000": f"server {HOST}:{upstream_port}",
        "/srv/grenselos/app/portal/static/": f"{ROOT / 'portal' / 'static'}/",
        "/etc/letsencrypt/live/katalog.example.no/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/katalog.example.no/privkey.pem": str(key),
        "/etc/nginx/snippets/grenselos-locations.conf": str(folder / "grenselos-locations.conf"),
    }
    site = NGINX_SITE.read_text(encoding="utf-8")
    locations = NGINX_LOCATIONS.read_text(encoding="utf-8")
    for old, new in replacements.items():
        site, locations = site.replace(old, new), locations.replace(old, new)
    (folder / "grenselos.conf").write_text(site, encoding="utf-8")
    (folder / "grenselos-locations.conf").write_text(locations, encoding="utf-8")
    user = "user root root;" if os.geteuid() == 0 else ""
    mime = "/etc/nginx/mime.types"
    (folder / "nginx.conf").write_text(f"""# generated by tests/peers/slow_http.py
{user}
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/logs/error.log warn;
events {{ worker_connections 4096; }}
http {{
    {"include " + mime + ";" if os.path.exists(mime) else ""}
    default_type application/octet-stream;
    access_log {folder}/logs/access.log;
    client_body_temp_path {folder}/tmp/body;
    proxy_temp_path {folder}/tmp/proxy;
    fastcgi_temp_path {folder}/tmp/fastcgi;
    uwsgi_temp_path {folder}/tmp/uwsgi;
    scgi_temp_path {folder}/tmp/scgi;
    include {folder}/grenselos.conf;
}}
""", encoding="utf-8")
    return folder / "nginx.conf"


def start_nginx(folder: Path, upstream_port: int) -> tuple[subprocess.Popen, int, int]:
    """nginx in the foreground (`daemon off`) with the rendered shipped configuration.

    Returns the process, its plain-HTTP port (which redirects to HTTPS) and its HTTPS port.
    """
    http_port = free_port()
    https_port = free_port()
    while https_port == http_port:
        https_port = free_port()
    conf = render_nginx(folder, upstream_port, http_port, https_port)
    binary = nginx_binary()
    base = [binary, "-p", str(folder), "-e", str(folder / "logs" / "error.log"), "-c", str(conf)]
    check = subprocess.run([*base, "-t"], capture_output=True, text=True, timeout=30)
    if check.returncode != 0:
        raise RuntimeError(f"nginx -t failed:\n{check.stderr}")
    with open(folder / "logs" / "stderr.log", "ab") as err:
        proc = subprocess.Popen([*base, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=err,
                                start_new_session=True)
    try:
        wait_until_serving(https_port, proc, tls=True)
    except BaseException:
        stop(proc)
        raise
    return proc, http_port, https_port
