"""The production files in deploy/ agree with each other and with the portal, and load.

The slow-client behaviour itself is tested against real gunicorn and nginx processes in
tests/peers/test_slow_clients.py; these are the quick checks of the pieces.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require

from grenselos.production import BufferingThreadWorker, ForwardedFor, chunked_end, trusted_networks

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def test_chunked_end_finds_the_end_of_a_chunked_body():
    body = b"4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\n\r\n"
    assert chunked_end(body, 1000) == len(body)
    assert chunked_end(body + b"GET / HTTP/1.1\r\n", 1000) == len(body)       # pipelined bytes after it
    assert chunked_end(b"0\r\nTrailer: x\r\n\r\n", 1000) == 17
    for cut in range(len(body)):
        assert chunked_end(body[:cut], 1000) is None, cut
    with pytest.raises(ValueError):
        chunked_end(b"zz\r\nWiki\r\n", 1000)
    with pytest.raises(ValueError):
        chunked_end(b"4\r\nWikiXX", 1000)
    with pytest.raises(OverflowError):
        chunked_end(b"100000\r\n", 64 * 1024)


def _through(middleware, environ):
    seen = {}

    def app(env, start_response):
        seen.update(env)
        return []
    ForwardedFor(app, middleware)(environ, lambda *a: None)
    return seen.get("REMOTE_ADDR")


def test_forwarded_for_is_believed_from_trusted_proxies_only():
    nets = trusted_networks("127.0.0.1, ::1, 10.1.0.0/16")
    assert _through(nets, {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}) == "203.0.113.9"
    assert _through(nets, {"REMOTE_ADDR": "10.1.2.3", "HTTP_X_FORWARDED_FOR": "1.1.1.1, 2001:db8::1"}) == "2001:db8::1"
    assert _through(nets, {"REMOTE_ADDR": "", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}) == "203.0.113.9"   # Unix socket
    assert _through(nets, {"REMOTE_ADDR": "198.51.100.7", "HTTP_X_FORWARDED_FOR": "127.0.0.1"}) == "198.51.100.7"
    assert _through(nets, {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "evil\nline"}) == "127.0.0.1"
    assert _through(nets, {"REMOTE_ADDR": "127.0.0.1"}) == "127.0.0.1"


def _print_config(env=None) -> dict[str, str]:
    out = subprocess.run([GUNICORN, "-c", str(DEPLOY / "gunicorn.conf.py"), "--print-config"],
                         capture_output=True, text=True, timeout=60, cwd=ROOT,
                         env={**os.environ, **(env or {})}, check=True).stdout
    return {m[1]: m[2].strip() for m in re.finditer(r"^(\w+)\s+= ?(.*)$", out, re.M)}


def test_gunicorn_loads_the_shipped_configuration():
    cfg = _print_config()
    assert cfg["worker_class"] == "grenselos.production.BufferingThreadWorker"
    assert cfg["wsgi_app"] == "grenselos.production:create_app()"
    assert cfg["bind"] == "['127.0.0.1:8000']"
    assert int(cfg["threads"]) >= 4 and int(cfg["workers"]) >= 2
    assert cfg["forwarded_allow_ips"] == "['127.0.0.1', '::1']"
    assert cfg["secure_scheme_headers"] == "{'X-FORWARDED-PROTO': 'https'}"
    assert cfg["forwarder_headers"] == "[]"
    assert cfg["control_socket_disable"] == "True"
    assert int(cfg["timeout"]) > 10 and int(cfg["graceful_timeout"]) > 10    # above the SPARQL time limit
    assert int(cfg["max_requests"]) > 0 and int(cfg["max_requests_jitter"]) > 0
    env = _print_config({"GRENSELOS_BIND": "unix:/run/grenselos/portal.sock", "WEB_CONCURRENCY": "3",
                         "GRENSELOS_TRUSTED_PROXIES": "10.0.0.5"})
    assert env["bind"] == "['unix:/run/grenselos/portal.sock']" and env["workers"] == "3"
    assert env["forwarded_allow_ips"] == "['10.0.0.5']"


def test_gunicorn_refuses_to_start_without_its_settings_file(tmp_path):
    done = subprocess.run([GUNICORN, "-c", str(DEPLOY / "gunicorn.conf.py"), "-b", "127.0.0.1:0"],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path,
                          env={**os.environ, "GRENSELOS_CONFIG": str(tmp_path / "missing.toml")})
    assert done.returncode != 0 and "missing.toml: no such file" in done.stderr + done.stdout


def test_limits_agree_between_portal_worker_and_nginx(tmp_path):
    from portal.app import create_app
    from core.settings import from_dict
    app = create_app(from_dict({"data_dir": str(tmp_path)}), {"SECRET_KEY": "k" * 40})
    locations = (DEPLOY / "nginx" / "grenselos-locations.conf").read_text(encoding="utf-8")
    nginx_body = re.search(r"^client_max_body_size (\d+)k;", locations, re.M)
    assert int(nginx_body[1]) * 1024 == app.config["MAX_CONTENT_LENGTH"] == BufferingThreadWorker.max_body
    assert re.search(r"^client_header_timeout (\d+)s;", locations, re.M)[1] == \
        f"{BufferingThreadWorker.head_timeout:.0f}"
    assert "proxy_request_buffering on;" in locations and "proxy_buffering on;" in locations
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in locations
    site = (DEPLOY / "nginx" / "grenselos.conf").read_text(encoding="utf-8")
    assert "server 127.0.0.1:8000" in site                    # the gunicorn configuration's bind
    keepalive = re.search(r"keepalive_timeout (\d+)s;", site[site.index("upstream"):])[1]
    assert int(keepalive) < int(_print_config()["keepalive"])  # nginx drops idle upstream links first


def test_systemd_unit_runs_the_shipped_configuration_in_a_sandbox(tmp_path):
    unit = (DEPLOY / "systemd" / "grenselos-portal.service").read_text(encoding="utf-8")
    settings = dict(re.findall(r"^(\w+)=(.*)$", unit, re.M))
    assert settings["ExecStart"].endswith("gunicorn -c /srv/grenselos/app/deploy/gunicorn.conf.py")
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes",
                       "ProtectHome": "yes", "ReadWritePaths": "/var/lib/grenselos", "User": "grenselos"}.items():
        assert settings.get(key) == value, key
    assert "Environment=GRENSELOS_CONFIG=/etc/grenselos/grenselos.toml" in unit
    require(bool(shutil.which("systemd-analyze")), "systemd-analyze is not installed (scripts/setup.sh installs "
            "systemd for the tests)")
    local = tmp_path / "grenselos-portal.service"
    local.write_text(unit.replace("/srv/grenselos/app", str(ROOT)), encoding="utf-8")
    done = subprocess.run(["systemd-analyze", "verify", str(local)], capture_output=True, text=True, timeout=60)
    problems = [line for line in (done.stdout + done.stderr).splitlines() if str(local.name) in line
                or "grenselos" in line]
    assert done.returncode == 0 and not problems, done.stdout + done.stderr


def test_the_gthread_hooks_the_worker_overrides_still_exist():
    """BufferingThreadWorker hooks into gthread's main loop by name (setup.cfg pins gunicorn 27.x); an
    upgrade that renames one would silently turn the buffering or the deadlines off."""
    from gunicorn.workers.gthread import TConn, ThreadWorker
    for name in ("enqueue_req", "murder_pending", "handle", "handle_request", "finish_request", "accept"):
        assert callable(getattr(ThreadWorker, name, None)), name
    import inspect
    assert "self.murder_pending()" in inspect.getsource(ThreadWorker.run)
    assert "conn.data_ready" in inspect.getsource(ThreadWorker.handle)
    assert "data_ready" in inspect.getsource(TConn.__init__)


def test_systemd_scheduler_unit_runs_the_scheduler_in_a_sandbox(tmp_path):
    unit = (DEPLOY / "systemd" / "grenselos-scheduler.service").read_text(encoding="utf-8")
    settings = dict(re.findall(r"^(\w+)=(.*)$", unit, re.M))
    assert settings["ExecStart"] == "/srv/grenselos/app/.venv/bin/grenselos scheduler"
    assert settings["KillSignal"] == "SIGTERM" and int(settings["TimeoutStopSec"]) >= 60
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes",
                       "ProtectHome": "yes", "ReadWritePaths": "/var/lib/grenselos", "User": "grenselos"}.items():
        assert settings.get(key) == value, key
    assert "Environment=GRENSELOS_CONFIG=/etc/grenselos/grenselos.toml" in unit
    require(bool(shutil.which("systemd-analyze")), "systemd-analyze is not installed (scripts/setup.sh installs "
            "systemd for the tests)")
    local = tmp_path / "grenselos-scheduler.service"
    local.write_text(unit.replace("/srv/grenselos/app", str(ROOT)), encoding="utf-8")
    done = subprocess.run(["systemd-analyze", "verify", str(local)], capture_output=True, text=True, timeout=60)
    problems = [line for line in (done.stdout + done.stderr).splitlines() if str(local.name) in line
                or "grenselos" in line]
    assert done.returncode == 0 and not problems, done.stdout + done.stderr


def test_systemd_units_for_the_applier_and_the_pipeline_run_real_verbs_in_the_same_sandbox(tmp_path):
    """gunicorn does not keep the index up to date and nothing harvests by itself: the applier, a timed
    `grenselos run` and the nightly `grenselos daily` ship as units too, sandboxed as the portal is, and
    verified by systemd."""
    from grenselos.cli import cli
    portal = dict(re.findall(r"^(\w+)=(.*)$", (DEPLOY / "systemd" / "grenselos-portal.service").read_text(), re.M))
    hardening = ("NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp", "ReadWritePaths", "User",
                 "SystemCallFilter", "CapabilityBoundingSet", "RestrictAddressFamilies", "EnvironmentFile")
    for name, verb in (("grenselos-apply.service", "apply"), ("grenselos-run.service", "run"),
                       ("grenselos-daily.service", "daily")):
        unit = dict(re.findall(r"^(\w+)=(.*)$", (DEPLOY / "systemd" / name).read_text(), re.M))
        assert unit["ExecStart"] == f"/srv/grenselos/app/.venv/bin/grenselos {verb}" and verb in cli.commands
        assert {k: unit.get(k) for k in hardening} == {k: portal[k] for k in hardening}, name
    timer = (DEPLOY / "systemd" / "grenselos-run.timer").read_text()
    assert "Unit=grenselos-run.service" in timer and "Persistent=true" in timer
    daily = (DEPLOY / "systemd" / "grenselos-daily.timer").read_text()
    assert "Unit=grenselos-daily.service" in daily and "Persistent=true" in daily and "Europe/Oslo" in daily
    require(bool(shutil.which("systemd-analyze")), "systemd-analyze is not installed (scripts/setup.sh installs "
            "systemd for the tests)")
    names = ("grenselos-apply.service", "grenselos-run.service", "grenselos-run.timer", "grenselos-daily.service",
             "grenselos-daily.timer")
    for name in names:
        text = (DEPLOY / "systemd" / name).read_text(encoding="utf-8").replace("/srv/grenselos/app", str(ROOT))
        (tmp_path / name).write_text(text, encoding="utf-8")
    done = subprocess.run(["systemd-analyze", "verify", *(str(tmp_path / n) for n in names)], capture_output=True,
                          text=True, timeout=60)
    problems = [line for line in (done.stdout + done.stderr).splitlines() if "grenselos" in line]
    assert done.returncode == 0 and not problems, done.stdout + done.stderr
