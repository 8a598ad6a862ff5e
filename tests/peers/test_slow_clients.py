"""Issue 12, "two slow clients stop the documented production server", replayed against real processes.

The portal is the demo's libraries (harvested, transformed and indexed for real) served by
`gunicorn -c deploy/gunicorn.conf.py` on a loopback port, and by nginx with the shipped
deploy/nginx/ files in front of it. Slow clients (slowloris: a request line, then one header line a
second, never the end of the head; or a POST body trickling ten bytes a second) stay connected while
ordinary requests -- `/`, `/search?q=x`, `/api/search?q=x` -- must each be answered within 2 s.

The old command, `gunicorn -w 2 'portal.app:create_app()'` (sync workers), is run too, as the
regression guard: four slow clients stop it, which is what the shipped set-up must not allow.
"""

from __future__ import annotations

import shutil
import socket
import time

import pytest

from tests.conftest import require
from tests.peers import slow_http

ORDINARY = ("/", "/search?q=x", "/api/search?q=x")
#: Seconds an ordinary request may take while slow clients are connected.
QUICK = 2.0

pytestmark = [pytest.mark.peer, pytest.mark.slow]


@pytest.fixture(scope="module")
def portal_config(tmp_path_factory):
    """A grenselos.toml over a small real data folder: the demo's libraries, built by the pipeline."""
    from grenselos.demo import build
    folder = tmp_path_factory.mktemp("slow-clients")
    _settings, store = build(folder / "data", "http://127.0.0.1:5000", say=lambda *_: None)
    store.close()
    return folder / "data" / "grenselos-demo.toml"


@pytest.fixture(scope="module")
def shipped(portal_config, tmp_path_factory):
    """`gunicorn -c deploy/gunicorn.conf.py` (2 worker processes), as production runs it; its port."""
    log = tmp_path_factory.mktemp("gunicorn") / "shipped.log"
    proc, port = slow_http.start_gunicorn("shipped", portal_config, log)
    yield port
    slow_http.stop(proc)


@pytest.fixture(scope="module")
def nginx(shipped, tmp_path_factory):
    """nginx with deploy/nginx/grenselos.conf in front of the shipped gunicorn: (http port, https port)."""
    require(slow_http.nginx_binary() is not None, "nginx is not installed (scripts/setup.sh installs it)")
    require(shutil.which("openssl") is not None, "openssl is not installed (scripts/setup.sh installs it)")
    proc, http_port, https_port = slow_http.start_nginx(tmp_path_factory.mktemp("nginx"), shipped)
    yield http_port, https_port
    slow_http.stop(proc)


def ordinary_requests(port: int, rounds: int = 2, *, tls: bool = False) -> list[tuple[str, int | None, float]]:
    results = []
    for _ in range(rounds):
        for path in ORDINARY:
            status, seconds, _headers = slow_http.timed_request(port, path, timeout=QUICK + 3, tls=tls)
            results.append((path, status, seconds))
    return results


def assert_quick(results) -> None:
    slow = [(path, status, round(seconds, 2)) for path, status, seconds in results
            if status != 200 or seconds > QUICK]
    assert not slow, f"ordinary requests failed or took over {QUICK} s: {slow}"


# -- gunicorn with the shipped configuration, no proxy ------------------------------------------------

@pytest.mark.parametrize("count", [2, 4, 16, 64])
def test_shipped_gunicorn_answers_while_slow_heads_trickle(shipped, count):
    with slow_http.SlowClients(shipped, count, kind="head", interval=1.0, duration=30) as slow:
        time.sleep(1.2)                   # every slow client has sent at least two header lines
        results = ordinary_requests(shipped)
        assert slow.open == count, "the slow clients were still connected while the others were served"
    assert_quick(results)


def test_shipped_gunicorn_answers_while_slow_bodies_trickle(shipped):
    query = b"query=" + b"SELECT%20%2A%20WHERE%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20LIMIT%201"
    with slow_http.SlowClients(shipped, 32, kind="body", interval=1.0, duration=30) as slow:
        time.sleep(1.2)
        results = ordinary_requests(shipped, rounds=1)
        status, seconds, _ = slow_http.timed_request(
            shipped, "/sparql", method="POST", body=query, timeout=QUICK + 3,
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "Accept": "application/sparql-results+json"})
        results.append(("POST /sparql", status, seconds))
        assert slow.open == 32
    assert_quick(results)


def test_slow_heads_are_cut_off_with_408(shipped):
    """A head not complete 10 s after the connection opened is answered 408 and closed: a slow client
    costs the worker a socket for 10 s at most."""
    with slow_http.SlowClients(shipped, 8, kind="head", interval=1.0, duration=20) as slow:
        deadline = time.monotonic() + 16
        while slow.open and time.monotonic() < deadline:
            time.sleep(0.5)
        assert slow.closed_by_server == 8
        assert slow.first_reply.startswith(b"HTTP/1.1 408 ")


# -- what the buffering worker must still do right -------------------------------------------------

def _raw(port: int, data: bytes, *, then: bytes = b"", wait_for: bytes = b"", timeout: float = 5.0) -> bytes:
    """Send `data`; if `wait_for` is given, read until it arrives, then send `then`; return all read
    until the server closes (every request here says Connection: close at the end)."""
    with socket.create_connection((slow_http.HOST, port), timeout=timeout) as sock:
        sock.sendall(data)
        received = b""
        if wait_for:
            while wait_for not in received:
                chunk = sock.recv(65536)
                assert chunk, f"closed before {wait_for!r}: {received[:200]!r}"
                received += chunk
            sock.sendall(then)
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return received
            received += chunk


SPARQL_BODY = b"query=SELECT%20%2A%20WHERE%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20LIMIT%201"
SPARQL_HEAD = (b"POST /sparql HTTP/1.1\r\nHost: localhost\r\nAccept: application/sparql-results+json\r\n"
               b"Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n")


def test_keep_alive_and_pipelined_requests(shipped):
    two = (b"GET /api/search?q=x HTTP/1.1\r\nHost: localhost\r\n\r\n"
           b"GET /api/search?q=y HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    answer = _raw(shipped, two)
    assert answer.count(b"HTTP/1.1 200 OK") == 2
    # The same, the second request sent only after the first answer: the connection was kept alive.
    answer = _raw(shipped, two[:two.index(b"GET /api/search?q=y")], wait_for=b'"hits"',
                  then=two[two.index(b"GET /api/search?q=y"):])
    assert answer.count(b"HTTP/1.1 200 OK") == 2


def test_request_then_half_close_is_still_answered(shipped):
    """A client may shut its sending side once the request is out (HTTP/1.0 tools do); the request
    read in the poller is complete, so it is served, not dropped with the connection's EOF."""
    with socket.create_connection((slow_http.HOST, shipped), timeout=5) as sock:
        sock.sendall(b"GET /api/search?q=x HTTP/1.0\r\nHost: localhost\r\n\r\n")
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 OK") or answer.startswith(b"HTTP/1.0 200 OK")


def test_expect_100_continue_and_chunked_bodies(shipped):
    head = SPARQL_HEAD + b"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n" % len(SPARQL_BODY)
    answer = _raw(shipped, head, wait_for=b"HTTP/1.1 100 Continue\r\n\r\n", then=SPARQL_BODY)
    assert answer.count(b"100 Continue") == 1          # said once, by the worker
    assert b"HTTP/1.1 200 OK" in answer and b'"bindings"' in answer

    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part)
                      for part in (SPARQL_BODY[:20], SPARQL_BODY[20:])) + b"0\r\n\r\n"
    answer = _raw(shipped, SPARQL_HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + chunks)
    assert answer.startswith(b"HTTP/1.1 200 OK") and b'"bindings"' in answer


def test_oversized_requests_are_refused_at_once(shipped):
    started = time.monotonic()
    answer = _raw(shipped, SPARQL_HEAD + b"Content-Length: 70000\r\n\r\nquery=")
    assert answer.startswith(b"HTTP/1.1 413 ")
    answer = _raw(shipped, b"GET / HTTP/1.1\r\nHost: localhost\r\n" + b"X-Big: " + b"a" * 70000 + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert time.monotonic() - started < 3


# -- the documented set-up: nginx in front ----------------------------------------------------------

def test_nginx_in_front_answers_while_64_slow_clients_trickle(nginx):
    http_port, https_port = nginx
    with slow_http.SlowClients(https_port, 64, kind="head", tls=True, duration=30) as heads, \
            slow_http.SlowClients(https_port, 32, kind="body", path="/search", tls=True, duration=30) as bodies, \
            slow_http.SlowClients(http_port, 16, kind="head", duration=30) as plain:
        time.sleep(1.2)
        results = ordinary_requests(https_port, tls=True)
        assert (heads.open, bodies.open, plain.open) == (64, 32, 16)
    assert_quick(results)


def test_nginx_serves_static_files_redirects_to_https_and_forwards_the_scheme(nginx):
    http_port, https_port = nginx
    status, _, headers = slow_http.timed_request(https_port, "/static/css/portal.css", tls=True)
    assert status == 200 and headers.get("cache-control") == "max-age=3600"
    assert "content-security-policy" not in headers     # from nginx: the portal sets it on everything
    assert "server" not in headers or "nginx" == headers["server"]      # no version, no Werkzeug
    status, _, headers = slow_http.timed_request(http_port, "/search?q=x")
    assert status == 301 and headers["location"].startswith("https://")
    # X-Forwarded-Proto reached the portal through gunicorn's forwarded_allow_ips: it answers as HTTPS.
    status, _, headers = slow_http.timed_request(https_port, "/", tls=True)
    assert status == 200 and headers.get("strict-transport-security")


def test_nginx_refuses_large_bodies_and_limits_sparql_per_client(nginx):
    _http_port, https_port = nginx
    status, _, _ = slow_http.timed_request(https_port, "/sparql", method="POST", body=b"q" * 70000,
                                           tls=True, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 413
    statuses = [slow_http.timed_request(https_port, "/sparql?query=ASK%7B%7D", tls=True)[0] for _ in range(60)]
    assert 200 in statuses and 429 in statuses      # burst 20, then 5 a second per address


# -- the regression guard: the old command does block ---------------------------------------------

def test_old_sync_command_is_stopped_by_four_slow_clients(portal_config, tmp_path):
    proc, port = slow_http.start_gunicorn("sync", portal_config, tmp_path / "sync.log")
    try:
        with slow_http.SlowClients(port, 4, kind="head", duration=20):
            time.sleep(1.2)
            status, seconds, _ = slow_http.timed_request(port, "/api/search?q=x", timeout=QUICK)
    finally:
        slow_http.stop(proc)
    assert status is None and seconds >= QUICK, "the sync workers answered: is the old command still blocked?"
