"""`grenselos harvest` killed with SIGKILL mid-run, twice, then run again: nothing lost, nothing twice.

The provider is the loopback server, slowed down per page so the kill lands mid-list. The final store
must equal the store of an uninterrupted harvest: same identifiers, checksums and deleted flags. Runs
on SQLite and on PostgreSQL (the process is killed while it writes to either).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from harvest.loopback import LoopbackRecord, serve
from harvest.oai import harvest_source
from harvest.store import RecordStore
from tests.peers.oai_servers import marc_records, settings_for

pytestmark = [pytest.mark.peer, pytest.mark.slow]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def records(shared_data):
    xml = marc_records(shared_data / "vufindharvest" / "marc.xml")
    out = [LoopbackRecord(f"oai:kill:{n}", f"2024-03-{1 + n % 28:02d}T10:00:00Z", x, sets=("all",))
           for n, x in enumerate(xml)]
    out += [LoopbackRecord(f"oai:kill:gone{n}", "2024-04-01T00:00:00Z", None, deleted=True, sets=("all",)) for n in range(20)]
    return out


def final_state(store):
    return sorted((r.identifier, r.checksum, r.deleted, r.error) for r in store.iter_records("s"))


def config_text(db_url, url, data_dir):
    return (f'data_dir = "{data_dir}"\ndatabase_url = "{db_url}"\n'
            f'[harvest]\ntimeout = 5\nmax_retries = 2\nbackoff = 0.05\n'
            f'[[sources]]\nid = "s"\nname = "Kill test library"\noai_url = "{url}"\nset = "all"\n')


def start(config):
    return subprocess.Popen([sys.executable, "-m", "grenselos.cli", "--config", str(config), "harvest", "--quiet"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def kill_after_pages(proc, store, pages, deadline=30):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        cp = store.checkpoint("s")
        if cp and (cp.get("pages") or 0) >= pages and cp["status"] == "running":
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return cp["pages"]
        if proc.poll() is not None:
            pytest.fail(f"harvest ended before the kill: {proc.stderr.read().decode()}")
        time.sleep(0.02)
    proc.kill()
    pytest.fail("harvest made no progress")


def test_killed_twice_then_resumed_equals_uninterrupted(db_url, tmp_path, write_config, records):
    with serve(records, page_size=8, delay=0.12) as provider:
        config = write_config(config_text(db_url, provider.url, tmp_path / "data"))
        store = RecordStore(db_url)

        first_kill = kill_after_pages(start(config), store, 3)
        assert store.checkpoint("s")["status"] == "running" and store.checkpoint("s")["token"]
        second_kill = kill_after_pages(start(config), store, first_kill + 3)
        assert second_kill > first_kill

        proc = start(config)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
        line = out.decode().strip()
        assert line.startswith("s: ok") and "resumed" in line
        cp = store.checkpoint("s")
        assert cp["status"] == "idle" and cp["token"] is None and cp["next_from"]
        assert cp["pages"] == 15            # 120 records in pages of 8: every page once in the count

        provider.provider.delay = 0
        reference = RecordStore(f"sqlite:///{tmp_path / 'reference.sqlite'}")
        settings = settings_for(tmp_path, f"sqlite:///{tmp_path / 'reference.sqlite'}", provider.url, set="all")
        assert not harvest_source(settings, reference, settings.sources[0]).failed

        assert final_state(store) == final_state(reference)
        assert len(final_state(store)) == 120
        status = store.status()["s"]
        assert (status["records"], status["deleted"], status["quarantined"]) == (100, 20, 0)
        store.close()
        reference.close()
