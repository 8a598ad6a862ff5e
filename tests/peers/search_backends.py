"""Backends for the search suites: tantivy in a temporary folder, a fresh core on the standalone Solr
and a fresh 2-shard collection on the SolrCloud that `scripts/services.sh start_solr` started, reached
through every node of it (`solr_urls`), as a production installation would be.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

from tests.conftest import require

BACKENDS = ("tantivy", "solr", "solrcloud")
ENV = {"solr": "GRENSELOS_TEST_SOLR_URL", "solrcloud": "GRENSELOS_TEST_SOLRCLOUD_URL"}


@contextmanager
def open_test_backend(kind: str, tmp_path, *, shards: int = 2):
    if kind == "tantivy":
        from index.tantivy_backend import TantivyBackend
        backend = TantivyBackend(tmp_path / f"tantivy-{uuid.uuid4().hex[:6]}", writer_heap=50_000_000,
                                 writer_threads=1)
        try:
            yield backend
        finally:
            backend.close()
        return
    from index import solr_admin
    from index.solr_backend import SolrBackend
    base = os.environ.get(ENV[kind], "")
    require(bool(base), f"{ENV[kind]} is not set (scripts/test.sh starts Solr: start_solr)")
    name = f"t_{uuid.uuid4().hex[:10]}"
    url = f"{base.rstrip('/')}/{name}"
    solr_admin.init(url, shards=shards)
    others = [u for u in os.environ.get("GRENSELOS_TEST_SOLRCLOUD_NODES", "").split(",") if u and u != base]
    backend = SolrBackend([url] + [f"{u.rstrip('/')}/{name}" for u in others] if kind == "solrcloud" else url)
    try:
        yield backend
    finally:
        solr_admin.drop(url)
