"""`grenselos solr init`: create the core (standalone) or collection (SolrCloud) on a running Solr.

What a production user runs against the official Solr distribution: in SolrCloud the configset is
uploaded through the Configsets API and a collection with N shards (router compositeId) is created;
a standalone node needs the configset copied into its configsets folder (Solr has no upload API
there), and the core is created through the CoreAdmin API.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import requests

from core.errors import reason
from index.errors import FatalBackendError

CONFIGSET_DIR = Path(__file__).parent / "solr" / "configset"
CONFIG_NAME = "grenselos"


def split_url(solr_url: str) -> tuple[str, str]:
    """'http://host:8983/solr/grenselos' -> ('http://host:8983/solr', 'grenselos')."""
    base, _, name = solr_url.rstrip("/").rpartition("/")
    if not base or not name:
        raise FatalBackendError(f"solr_url {solr_url!r} must name a core or collection: "
                                "http://host:8983/solr/<name>")
    return base, name


def _get(url: str, **params) -> dict:
    try:
        response = requests.get(url, params={**params, "wt": "json"}, timeout=120)
    except requests.RequestException as exc:
        raise FatalBackendError(f"Solr unreachable at {url}: {reason(exc)}") from exc
    data = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    if response.status_code >= 400:
        message = data.get("error", {}).get("msg") or response.text[:300]
        raise FatalBackendError(f"Solr refused {url} {params.get('action', '')}: {message}")
    return data


def is_cloud(base: str) -> bool:
    return _get(f"{base}/admin/info/system").get("mode") == "solrcloud"


def configset_zip(directory: Path = CONFIGSET_DIR) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted((directory / "conf").rglob("*")):
            if path.is_file():
                z.write(path, path.relative_to(directory / "conf").as_posix())
    return buffer.getvalue()


def upload_configset(base: str, name: str = CONFIG_NAME) -> None:
    try:
        response = requests.post(f"{base}/admin/configs", params={"action": "UPLOAD", "name": name,
                                                                   "overwrite": "true", "wt": "json"},
                                 data=configset_zip(), headers={"Content-Type": "application/octet-stream"},
                                 timeout=120)
    except requests.RequestException as exc:
        raise FatalBackendError(f"Solr unreachable at {base}: {reason(exc)}") from exc
    if response.status_code >= 400:
        raise FatalBackendError(f"configset upload to {base} failed: {response.text[:300]}")


def init(solr_url: str, *, shards: int = 2, replicas: int = 1, upload: bool = True) -> str:
    """Create what `solr_url` names if it does not exist; returns a one-line description."""
    base, name = split_url(solr_url)
    if is_cloud(base):
        if upload:
            upload_configset(base)
        existing = _get(f"{base}/admin/collections", action="LIST").get("collections", [])
        if name in existing:
            return f"collection {name} exists (configset {CONFIG_NAME} updated)"
        _get(f"{base}/admin/collections", action="CREATE", name=name, numShards=shards,
             replicationFactor=replicas, **{"collection.configName": CONFIG_NAME, "router.name": "compositeId",
                                            "waitForFinalState": "true"})
        return f"created collection {name} with {shards} shard(s) on {base}"
    status = _get(f"{base}/admin/cores", action="STATUS", core=name).get("status", {})
    if status.get(name):
        return f"core {name} exists on {base}"
    _get(f"{base}/admin/cores", action="CREATE", name=name, configSet=CONFIG_NAME)
    return f"created core {name} on {base}"


def drop(solr_url: str) -> None:
    """Remove a core or collection with its data (tests, `--full` rebuilds)."""
    base, name = split_url(solr_url)
    if is_cloud(base):
        _get(f"{base}/admin/collections", action="DELETE", name=name)
    else:
        _get(f"{base}/admin/cores", action="UNLOAD", core=name, deleteIndex="true", deleteDataDir="true",
             deleteInstanceDir="true")
