"""The Solr nodes one installation talks to, and failing over between them.

A SolrCloud collection is served by every node: any node routes a query to the shards and an update to
the shard leaders. A client that knows one node therefore loses search with that node although the
cluster still serves. As SolrJ's cloud client given a list of Solr URLs does, this one is given the
collection's URL on several nodes (`[search] solr_url` and `solr_urls`): each request goes to the node
that answered last and moves on to the next when a node does not answer (connection refused, connect
timeout). When no node answers, or one answers that the cluster cannot serve the request (HTTP 503, a
shard without a live replica or leader, a node it forwarded to refused the connection), the request
fails with `SearchUnavailable`, the outage every backend reports alike. Any other Solr error is the
caller's to classify (a bad field, a missing collection).
"""

from __future__ import annotations

import logging
import threading
from typing import Callable, Sequence, TypeVar

import pysolr
import requests

from core.errors import reason
from index.errors import SearchUnavailable

log = logging.getLogger(__name__)
# pysolr logs every failed request with a traceback before raising; during an outage that is one
# traceback per page view. Failures are classified and logged here (once, without a trace) instead.
logging.getLogger("pysolr").setLevel(logging.CRITICAL)
T = TypeVar("T")

#: Seconds to wait for a node to accept a connection before trying the next one.
CONNECT_TIMEOUT = 5.0
#: What Solr says when part of the cluster is down (HTTP 503, or a 500 whose root cause is a node it
#: could not reach): another node would say the same, so these end the request at once.
CLUSTER_OUTAGE = ("(HTTP 503)", "no active servers hosting shard", "No registered leader",
                  "ConnectException", "Connection refused", "DistributedUpdatesAsyncException",
                  "SolrServerException: Timeout", "Server refused connection", "No live SolrServers")


def node_unreachable(exc: Exception) -> bool:
    """The node itself did not answer (so the next node may): no connection, or none in time."""
    if isinstance(exc, requests.ConnectionError):    # ConnectTimeout too; a ReadTimeout is not one
        return True
    message = str(exc)
    return isinstance(exc, pysolr.SolrError) and (
        message.startswith("Failed to connect") or (message.startswith("Connection to server")
                                                    and "Read timed out" not in message))


def cluster_outage(exc: Exception) -> bool:
    """The node answered, or stopped answering mid-request, but the cluster cannot serve now."""
    if node_unreachable(exc):
        return False
    if isinstance(exc, requests.Timeout):
        return True
    message = str(exc)
    return isinstance(exc, pysolr.SolrError) and (
        "timed out" in message or any(marker in message for marker in CLUSTER_OUTAGE))


class SolrNodes:
    """One pysolr client per configured URL of the same core or collection, tried in turn."""

    def __init__(self, urls: Sequence[str], *, timeout: float = 60):
        self.urls = [u.rstrip("/") for u in dict.fromkeys(urls) if u]
        if not self.urls:
            raise ValueError("no Solr URL")
        self.clients = [pysolr.Solr(u, always_commit=False, timeout=(CONNECT_TIMEOUT, timeout))
                        for u in self.urls]
        self._current = 0
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """The URL requests go to first (the one that answered last)."""
        return self.urls[self._current]

    def call(self, what: str, request: Callable[[pysolr.Solr], T]) -> T:
        """`request(client)` on the first node that answers; SearchUnavailable when the cluster cannot."""
        start = self._current
        unreachable = []
        for step in range(len(self.clients)):
            n = (start + step) % len(self.clients)
            try:
                result = request(self.clients[n])
            except (pysolr.SolrError, requests.RequestException) as exc:
                if node_unreachable(exc):
                    unreachable.append(f"{self.urls[n]}: {reason(exc)[:200]}")
                    continue
                if cluster_outage(exc):
                    raise SearchUnavailable(f"Solr cannot serve {what} now ({self.urls[n]}): "
                                            f"{reason(exc)[:300]}") from exc
                raise
            if n != self._current:
                with self._lock:
                    self._current = n
                log.warning("Solr: %s answered by %s after %d node(s) did not answer", what, self.urls[n],
                            len(unreachable))
            return result
        raise SearchUnavailable(f"no Solr node answers ({what}): " + "; ".join(unreachable))
