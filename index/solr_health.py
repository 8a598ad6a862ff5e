"""How a Solr core or SolrCloud collection is doing, node by node and shard by shard, for `/healthz`.

A standalone core is up or down. A SolrCloud collection can also be half there: a node down while its
shards still have a live replica elsewhere (degraded, searches whole), or a shard with no live replica
(degraded, searches partial: `Result.partial`). Only when no configured node answers, or no shard has a
live replica, is search down. Nodes are reported by their place in the configuration (1 = `solr_url`,
then `solr_urls`) rather than by address, because the report is public; the addresses and errors go to
the log.
"""

from __future__ import annotations

import logging
from typing import Sequence
from urllib.parse import urlsplit

import requests

from core.errors import reason

from index.solr_admin import split_url

log = logging.getLogger(__name__)

TIMEOUT = 3.0


def node_name(base: str) -> str:
    """Solr's name for the node at a base URL: 'http://127.0.0.1:8983/solr' -> '127.0.0.1:8983_solr'."""
    parts = urlsplit(base)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}_{parts.path.strip('/').replace('/', '%2F')}"


def _get(url: str, **params) -> dict:
    response = requests.get(url, params={**params, "wt": "json"}, timeout=TIMEOUT)
    response.raise_for_status()
    return response.json()


def _cluster(base: str, name: str) -> tuple[set[str], dict] | None:
    """(live node names, the collection's shards) from one node, or None when it is not SolrCloud."""
    info = _get(f"{base}/admin/info/system")
    if info.get("mode") != "solrcloud":
        return None
    status = _get(f"{base}/admin/collections", action="CLUSTERSTATUS", collection=name)["cluster"]
    return set(status.get("live_nodes") or []), status["collections"][name]["shards"]


def settled(urls: Sequence[str]) -> bool:
    """Whether every shard has an active leader on a live node and no replica is still recovering.

    A node that comes back replays its update log and recovers before it serves; updates it accepted
    meanwhile can be lost (seen with Solr 9.10: a delete acknowledged during a node's restart was undone).
    The indexer therefore sends a batch that went through an outage once more when this is true."""
    for url in urls:
        base, name = split_url(url)
        try:
            found = _cluster(base, name)
        except (requests.RequestException, ValueError, KeyError):
            continue
        if found is None:
            return True                       # a standalone core has nothing to recover from
        live, layout = found
        for info in layout.values():
            replicas = list((info.get("replicas") or {}).values())
            if not any(r.get("leader") == "true" and r.get("state") == "active" and r.get("node_name") in live
                       for r in replicas):
                return False
            if any(r.get("state") in ("recovering", "recovery_failed") and r.get("node_name") in live
                   for r in replicas):
                return False
        return True
    return False


def check(urls: Sequence[str]) -> dict:
    """{"status": ok|degraded|down, "backend": "solr", "mode", "nodes": [...], "shards": [...]}."""
    nodes, cluster, mode = [], None, "standalone"
    for n, url in enumerate(urls, start=1):
        base, name = split_url(url)
        try:
            if cluster is None and mode == "standalone":
                found = _cluster(base, name)
                if found is None:
                    _get(f"{url}/admin/ping")
                else:
                    cluster, mode = found, "solrcloud"
            else:
                _get(f"{base}/admin/info/system")
            nodes.append({"node": n, "status": "ok", "_name": node_name(base)})
        except (requests.RequestException, ValueError, KeyError) as exc:
            log.warning("Solr health: node %d (%s) does not answer: %s", n, url, reason(exc))
            nodes.append({"node": n, "status": "down", "_name": node_name(base)})
    shards = []
    if cluster is not None:
        live, layout = cluster
        silent = {node["_name"] for node in nodes if node["status"] == "down"}
        for node in nodes:
            if node["status"] == "ok" and node["_name"] not in live:   # answers, but left the cluster
                node["status"] = "degraded"
        for shard, info in sorted(layout.items()):
            replicas = list((info.get("replicas") or {}).values())
            # A replica serves when ZooKeeper lists it active on a live node and its node answers us: right
            # after a node dies ZooKeeper still counts it live until its session times out.
            serving = [r for r in replicas if r.get("state") == "active" and r.get("node_name") in live
                       and r.get("node_name") not in silent]
            status = "ok" if len(serving) == len(replicas) else "degraded" if serving else "down"
            shards.append({"shard": shard, "status": status, "replicas": len(replicas), "active": len(serving)})
    for node in nodes:
        del node["_name"]
    if not any(node["status"] != "down" for node in nodes) or (shards and all(s["status"] == "down"
                                                                             for s in shards)):
        status = "down"
    elif all(node["status"] == "ok" for node in nodes) and all(s["status"] == "ok" for s in shards):
        status = "ok"
    else:
        status = "degraded"
    return {"status": status, "backend": "solr", "mode": mode, "nodes": nodes, "shards": shards}
