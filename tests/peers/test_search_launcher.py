"""The Solr launcher itself: starts on loopback, says READY with its URL, answers, stops cleanly on
SIGTERM and when its standard input closes."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import requests

from tests.conftest import ROOT, require

LAUNCHER = ROOT / "index" / "solr" / "launcher"


def start(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen, dict]:
    require(shutil.which("java") is not None, "java is not installed (scripts/setup.sh with GRENSELOS_WITH_SOLR=1)")
    require((LAUNCHER / "target" / "classes" / "no" / "grenselos" / "solr" / "Launcher.class").exists()
            and (LAUNCHER / "lib").is_dir(), "Solr launcher not built (scripts/services.sh start_solr builds it)")
    proc = subprocess.Popen(
        ["java", "-Xmx512m", "-cp", "target/classes:lib/*", "no.grenselos.solr.Launcher", "standalone",
         "--port", "0", "--work", str(tmp_path / "solr"), "--configset", str(LAUNCHER.parent / "configset"),
         "--cores", "probe", *extra],
        cwd=LAUNCHER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("READY "):
            return proc, json.loads(line[6:])
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError("launcher never printed READY")


def test_standalone_starts_answers_and_stops_on_sigterm(tmp_path):
    proc, ready = start(tmp_path)
    try:
        assert ready["mode"] == "standalone" and ready["url"].startswith("http://127.0.0.1:")
        status = requests.get(f"{ready['url']}/admin/cores", params={"action": "STATUS", "wt": "json"},
                              timeout=30).json()
        assert "probe" in status["status"] and not status["initFailures"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) in (0, 143)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_stops_when_stdin_closes(tmp_path):
    proc, ready = start(tmp_path, "--stop-on-stdin-close")
    try:
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0
        try:
            requests.get(ready["url"] + "/admin/info/system", timeout=3)
            answered = True
        except requests.RequestException:
            answered = False
        assert not answered
    finally:
        if proc.poll() is None:
            proc.kill()
