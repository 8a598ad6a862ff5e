# Grenseløs portal: the production gunicorn configuration.
# SPDX-License-Identifier: GPL-3.0-or-later
#
#     GRENSELOS_CONFIG=/etc/grenselos/grenselos.toml gunicorn -c deploy/gunicorn.conf.py
#
# Run it behind the buffering reverse proxy in deploy/nginx/ (TLS, static files, per-client limits);
# deploy/systemd/grenselos-portal.service runs exactly this command. Every value below can be
# overridden on the command line (`-b`, `-w`, `--threads` ...) or through the environment variables
# named next to it. Why each value: see the comments, and the README's "Running it for real".
#
# Slow clients (issue 12): gunicorn's `sync` worker is held by one connection that trickles its
# request head, so two such clients stopped `gunicorn -w 2`. This configuration uses
# grenselos.production.BufferingThreadWorker: gthread threads for the application, and a main loop
# that reads every request, head and body, before a thread is given it. A slow client costs a
# socket, never a thread, and gets 408 after 10 s; tests/peers/test_slow_clients.py holds it to that.

import os
from pathlib import Path

# -- what to serve ---------------------------------------------------------------------------------
# The portal's app factory, wrapped so that REMOTE_ADDR is the client nginx saw (X-Forwarded-For is
# believed from trusted proxies only). Settings come from $GRENSELOS_CONFIG (else ./grenselos.toml),
# checked once at start-up below, so a bad file stops the server instead of its first request.
wsgi_app = "grenselos.production:create_app()"

# Loopback only: the proxy is the only client. A Unix socket works too ("unix:/run/grenselos/portal.sock").
bind = os.environ.get("GRENSELOS_BIND", "127.0.0.1:8000")
# Connections the kernel queues while every worker is busy accepting.
backlog = 2048

# -- workers ---------------------------------------------------------------------------------------
# One process per core: Python runs one thread at a time per process, while tantivy searches,
# Oxigraph reads and socket I/O release the GIL, which the threads use. Each process opens the stores
# read-only and starts its own SPARQL worker processes (forkserver, [sparql] workers each), so more
# processes cost memory: size WEB_CONCURRENCY to cores, not to clients.
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, os.cpu_count() or 1)))
worker_class = "grenselos.production.BufferingThreadWorker"
# Threads per process run requests that have fully arrived; slow clients never occupy one.
threads = int(os.environ.get("GRENSELOS_THREADS", "8"))
# Open connections per process (idle, kept-alive or still arriving); past it the process stops
# accepting until some close. Needs LimitNOFILE well above workers × this (the systemd unit sets it).
worker_connections = int(os.environ.get("GRENSELOS_WORKER_CONNECTIONS", "1000"))
# Restart a process after this many requests (jitter spreads the restarts), bounding slow leaks in
# native code; its SPARQL workers end with it (lifeline pipe) and the new process starts fresh ones.
max_requests = 20000
max_requests_jitter = 2000
# No preloading: each process opens RocksDB and tantivy itself after the fork, never inherits them.
preload_app = False

# -- timeouts --------------------------------------------------------------------------------------
# A process whose main loop has not reported for this long is killed and replaced. The main loop
# never waits on clients or the application, so this only catches a stuck process; it stays above the
# SPARQL time limit ([sparql] timeout, 10 s), which is enforced by killing SPARQL worker processes.
timeout = 30
# On restart or stop, requests in progress get this long to finish.
graceful_timeout = 30
# Idle kept-alive connections wait in the poller (no thread) this long for their next request.
keepalive = 5
# (BufferingThreadWorker's own limits: 10 s for a request head, 30 s more for a body of at most
#  64 KiB, larger bodies 413 at once, 30 s per blocked send to a client that does not read.)

# -- request limits (match deploy/nginx/, which applies them first) ---------------------------------
# Request line: gunicorn's maximum. A SPARQL query longer than that is sent with POST.
limit_request_line = 8190
# Header fields per request and bytes per field (a browser sends about 15; cookies stay under 4 KB).
limit_request_fields = 64
limit_request_field_size = 8190

# -- the proxy in front ----------------------------------------------------------------------------
# Believe X-Forwarded-Proto (https: secure cookies, HSTS) and X-Forwarded-For only from these peers.
forwarded_allow_ips = os.environ.get("GRENSELOS_TRUSTED_PROXIES", "127.0.0.1,::1")
# Only the one header nginx always sets (and overwrites) decides the scheme.
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}
# No SCRIPT_NAME/PATH_INFO from request headers, even from the proxy.
forwarder_headers = ""

# -- logging: stdout/stderr, which systemd sends to the journal -------------------------------------
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GRENSELOS_LOG_LEVEL", "info")
# %(h)s is the client address after grenselos.production.ForwardedFor; %(M)s the milliseconds taken.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
proc_name = "grenselos-portal"

# -- gunicorn's control socket (gunicornc) -------------------------------------------------------------
# Off unless GRENSELOS_CONTROL_SOCKET names a path (the systemd unit uses /run/grenselos/): its default
# lives in the home folder, which the unit's sandbox makes read-only, and two servers would share it.
control_socket = os.environ.get("GRENSELOS_CONTROL_SOCKET", "")
control_socket_disable = not control_socket


def on_starting(server):
    """Load the settings once before any worker starts: a missing or wrong file stops the start-up."""
    from core.errors import GrenselosError
    from transform import setting_values
    named = os.environ.get("GRENSELOS_CONFIG")
    path = Path(named or "grenselos.toml")
    if not path.is_file():
        if named:
            raise SystemExit(f"grenselos: GRENSELOS_CONFIG={named}: no such file")
        server.log.warning("no ./grenselos.toml and GRENSELOS_CONFIG is not set: serving the defaults")
        return
    try:
        loaded = setting_values.load(path)
    except GrenselosError as exc:
        raise SystemExit(f"grenselos: {exc}") from None
    server.log.info("grenselos: settings %s, data in %s", path.resolve(), loaded.data_dir)
