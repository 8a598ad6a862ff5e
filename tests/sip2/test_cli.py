"""`grenselos sip2` as an operator starts it: a real process on a loopback port, spoken to by a kiosk."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.sip2.kiosk import Kiosk

CONFIG = """
data_dir = "data"
[[sources]]
id = "tromso"
name = "Tromsø bibliotek"
circulation = true
[sip2]
host = "127.0.0.1"
[[sip2.accounts]]
login = "kiosk"
password_env = "TEST_SIP2_PASSWORD"
library = "tromso"
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_grenselos_sip2_serves_kiosks(tmp_path: Path):
    config = tmp_path / "grenselos.toml"
    config.write_text(CONFIG, encoding="utf-8")
    port = _free_port()
    env = {**os.environ, "TEST_SIP2_PASSWORD": "s3cret"}
    process = subprocess.Popen([sys.executable, "-m", "grenselos.cli", "--config", str(config), "sip2", "--port",
                                str(port)], env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                kiosk = Kiosk(port)
                break
            except OSError:
                assert process.poll() is None, process.stderr.read().decode()
                assert time.monotonic() < deadline, "grenselos sip2 did not start listening"
                time.sleep(0.2)
        assert kiosk.login(password="wrong").ok == "0"
        assert kiosk.login(password="s3cret").ok == "1"
        assert kiosk.status().institution_id == "tromso"
        assert kiosk.item("B1").circulation_status == "01"            # no such copy: answered, not crashed
        kiosk.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_grenselos_sip2_without_accounts_says_so(tmp_path: Path):
    config = tmp_path / "grenselos.toml"
    config.write_text('[[sources]]\nid = "tromso"\nname = "T"\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "grenselos.cli", "--config", str(config), "sip2"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "[[sip2.accounts]]" in done.stderr
