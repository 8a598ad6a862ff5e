"""Which search backend a configuration names, opened: the one place that knows both engines (so the
engines' module and their common base, `index.backend`, never import each other)."""

from __future__ import annotations

from pathlib import Path

from index.backend import SearchBackend, solr_urls
from index.solr_backend import SolrBackend
from index.tantivy_backend import TantivyBackend


def open_backend(settings, *, create: bool = True, rebuild: bool = False) -> SearchBackend:
    """Solr when `[search] solr_url` or `solr_urls` is set, else the embedded tantivy index in data_dir/index
    (made empty there when none exists, unless `create` is False: then BackendError until an index run has
    built it; with `rebuild` (a full run) a tantivy index of an older field table is made anew)."""
    seconds = float(getattr(settings.search, "facet_cache_seconds", 30.0))
    urls = solr_urls(settings.search)
    if urls:
        return SolrBackend(urls, facet_cache_seconds=seconds)
    return TantivyBackend(Path(settings.data_dir) / "index", facet_cache_seconds=seconds, create=create,
                          rebuild=rebuild)
