"""What `/healthz` reports: each store the portal reads, and whether the portal can serve search.

One JSON shape, for load balancers and monitoring alike:

    {"status": "ok" | "degraded" | "down",
     "stores": {"records": {"status", "backend", "ms"}, "graph": {...}, "search": {...}}}

`records` is the record store (SQLite or PostgreSQL: the truth every page is built from), `graph` the
Oxigraph store behind linked data and SPARQL, `search` the index (tantivy, or Solr with a status per
configured node and per shard). Each store is `ok`, `degraded` (answers, but not all of it: a SolrCloud
node down, some shards missing) or `down`. The answer is 503 when a store that search needs (records,
search) is down, so a load balancer takes this portal out; otherwise 200, and `status` is the worst
of the stores. Nothing here names a host or repeats an error text: the report is public; details go
to the log.
"""

from __future__ import annotations

import logging
import time
from typing import Callable

from sqlalchemy import text

from core.errors import reason
from portal import services

log = logging.getLogger(__name__)

ORDER = ("ok", "degraded", "down")
#: Stores without which search cannot be served (503 when one is down).
NEEDED_FOR_SEARCH = ("records", "search")


def _timed(name: str, check: Callable[[], dict]) -> dict:
    started = time.perf_counter()
    try:
        result = check()
    except Exception as exc:  # noqa: BLE001 - a health check reports, it never fails
        log.warning("health: %s store check failed: %s", name, reason(exc))
        result = {"status": "down"}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _records() -> dict:
    engine = services.sql()
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok", "backend": engine.dialect.name}


def _graph() -> dict:
    from portal.ld_store import stores
    graph = stores().graph()
    empty = not graph.query("ASK { ?s ?p ?o }")
    return {"status": "ok", "backend": "oxigraph", **({"detail": "empty (nothing transformed yet)"} if empty else {})}


def _search() -> dict:
    return services.search().health()


def report() -> tuple[dict, int]:
    """The health report and its HTTP status."""
    stores = {"records": _timed("records", _records), "graph": _timed("graph", _graph),
              "search": _timed("search", _search)}
    worst = max((s["status"] for s in stores.values()), key=ORDER.index)
    needed_down = any(stores[name]["status"] == "down" for name in NEEDED_FOR_SEARCH)
    status = "down" if needed_down else worst if worst != "down" else "degraded"
    return {"status": status, "stores": stores}, 503 if needed_down else 200
