"""The test SolrCloud that `scripts/services.sh start_solr` runs, as processes a test may kill.

ZooKeeper and each node run as their own process on fixed ports with their data kept under
$GRENSELOS_SOLR_DIR (`nodeN.pid`, `nodeN.log`); `kill(n)` ends node n with SIGKILL, as a crash
would, and `start(n)` brings it back through the same shell function the suite's set-up uses
(`start_solr_node`), on the same port and data, so it rejoins as the same node.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import requests

from tests.conftest import ROOT, require

ENV_NODES, ENV_ZK, ENV_DIR = "GRENSELOS_TEST_SOLRCLOUD_NODES", "GRENSELOS_TEST_SOLRCLOUD_ZK", "GRENSELOS_SOLR_DIR"


def nodes() -> list[str]:
    """Base URLs of the cloud's nodes, node 1 first (skips locally, fails in CI, when not running)."""
    urls = [u for u in os.environ.get(ENV_NODES, "").split(",") if u]
    require(len(urls) >= 2 and bool(os.environ.get(ENV_DIR)),
            f"{ENV_NODES} and {ENV_DIR} are not set (scripts/test.sh starts Solr: start_solr)")
    return urls


def _pid(n: int) -> int:
    return int((Path(os.environ[ENV_DIR]) / f"node{n}.pid").read_text().strip())


def _listening(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((parts.hostname, parts.port)) == 0


def kill(n: int) -> None:
    """SIGKILL node n (1-based) and wait until its port refuses connections."""
    url = nodes()[n - 1]
    os.kill(_pid(n), signal.SIGKILL)
    deadline = time.monotonic() + 30
    while _listening(url):
        assert time.monotonic() < deadline, f"node {n} still listening after SIGKILL"
        time.sleep(0.1)


def start(n: int) -> None:
    """Start node n again on its port with its data (returns when it said READY)."""
    subprocess.run(["bash", "-c", f". scripts/services.sh && start_solr_node {n}"], cwd=ROOT, check=True,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, timeout=300)


def cluster_status(**params) -> dict:
    """CLUSTERSTATUS (of one `collection`, or all) from the first node that answers."""
    for url in nodes():
        try:
            response = requests.get(f"{url}/admin/collections", timeout=10,
                                    params={"action": "CLUSTERSTATUS", "wt": "json", **params})
            return response.json()["cluster"]
        except (requests.RequestException, ValueError, KeyError):
            continue
    raise AssertionError("no node answers CLUSTERSTATUS")


def live_nodes() -> set[str]:
    return set(cluster_status()["live_nodes"])


def replicas(collection: str) -> list[dict]:
    status = cluster_status(collection=collection)
    live = set(status["live_nodes"])
    return [{"shard": shard, "node": r["node_name"], "state": r["state"], "live": r["node_name"] in live,
             "leader": r.get("leader") == "true"}
            for shard, info in status["collections"][collection]["shards"].items()
            for r in info["replicas"].values()]


def node_name(n: int) -> str:
    parts = urlsplit(nodes()[n - 1])
    return f"{parts.hostname}:{parts.port}_{parts.path.strip('/')}"


def wait_until(check, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def wait_active(*collections: str, timeout: float = 180) -> None:
    """Every replica of the collections active on a live node, every shard with a leader."""
    def ready():
        for c in collections:
            rs = replicas(c)
            if not all(r["state"] == "active" and r["live"] for r in rs):
                return False
            if {r["shard"] for r in rs} != {r["shard"] for r in rs if r["leader"]}:
                return False
        return True
    wait_until(ready, f"{', '.join(collections)} active", timeout)


def wait_gone(n: int, timeout: float = 60) -> None:
    """Until the cluster no longer lists node n as live (its ZooKeeper session expired)."""
    wait_until(lambda: node_name(n) not in live_nodes(), f"node {n} to leave live_nodes", timeout)


@contextmanager
def node_down(n: int):
    """Node n killed for the block, and always started again afterwards (other tests need it)."""
    kill(n)
    try:
        yield
    finally:
        if not _listening(nodes()[n - 1]):
            start(n)
