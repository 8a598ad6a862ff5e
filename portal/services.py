"""The portal's connections to the other stages, opened lazily once per application.

Views ask for `search()`, `libraries()`; nothing is opened at import or at app creation, so a portal
whose index or database is not there yet still starts and shows friendly pages.
"""

from __future__ import annotations

import threading
import time

from flask import current_app

_lock = threading.RLock()   # re-entrant: one service may build on another
#: Seconds a portal that found no search index waits before it looks again (an index run may have built it).
SEARCH_RETRY_SECONDS = 10.0


def once_per_app(name: str, build):
    """`build()`'s result, made once per application (thread-safe) and kept in its extensions."""
    ext = current_app.extensions.setdefault("grenselos", {})
    if name not in ext:
        with _lock:
            if name not in ext:
                ext[name] = build()
    return ext[name]


def settings():
    return current_app.config["GRENSELOS_SETTINGS"]


def search():
    """The search service; while the index cannot be opened (before the first index run), a stand-in
    that says so, replaced by the index once it opens (looked for again every SEARCH_RETRY_SECONDS)."""
    def build():
        given = current_app.config.get("SEARCH_SERVICE")
        if given is not None:
            return given
        from portal.index_adapter import IndexSearchService
        from portal.search_service import UnavailableSearchService
        return IndexSearchService.from_settings(settings()) or UnavailableSearchService()
    service = once_per_app("search", build)
    since = getattr(service, "unavailable_since", None)
    if since is not None and time.monotonic() - since >= current_app.config.get("SEARCH_RETRY_SECONDS",
                                                                                  SEARCH_RETRY_SECONDS):
        ext = current_app.extensions["grenselos"]
        with _lock:
            if ext.get("search") is service:
                del ext["search"]
        service = once_per_app("search", build)
    return service


def libraries():
    def build():
        from portal.library_directory import LibraryDirectory
        return LibraryDirectory(settings(), sql(), ttl=current_app.config.get("STATUS_TTL", 60))
    return once_per_app("libraries", build)


def database():
    """Read-only rows of the record store and transform tables, over the app's one engine."""
    def build():
        from portal.catalog_db import CatalogDatabase
        return CatalogDatabase(sql())
    return once_per_app("database", build)


def record_store():
    """Record and work look-ups from the record store, for pages served while search is down."""
    def build():
        from portal.record_store_service import RecordStoreService
        return RecordStoreService.from_settings(settings(), sql())
    return once_per_app("record_store", build)


def circulation():
    """The circulation service (desk, My page, patron API), naming records by the search index's titles."""
    def build():
        from circulation.service import Circulation

        def title(record_id: str) -> str:
            found = search().record(record_id)
            return (found or {}).get("title") or ""
        return Circulation(sql(), settings(), titles=title)
    return once_per_app("circulation", build)


def holds():
    """The holds service over the app's circulation service; the config's routes seeded once."""
    def build():
        from circulation.holds import Holds
        service = Holds(circulation())
        service.seed_routes()
        return service
    return once_per_app("holds", build)


def ill():
    """Inter-library loans (NCIP) over the app's circulation service: the staff pages, the NCIP endpoint and
    My page share it."""
    def build():
        from circulation.ill import InterLibraryLoans
        return InterLibraryLoans(circulation())
    return once_per_app("ill", build)


def sql():
    """The app's one database engine (one pool per process; connections are taken per use and given
    back). Its tables were brought up to date when the app started (`start`), never in a request."""
    return current_app.extensions["grenselos"]["sql"]


def start(app) -> None:
    """At app creation: the engine, and every stage's migrations (serialised across processes)."""
    from core import db
    engine = db.engine_for(app.config["GRENSELOS_SETTINGS"].database_url)
    if not app.config.get("SKIP_MIGRATIONS"):
        db.migrate(engine)
    app.extensions.setdefault("grenselos", {})["sql"] = engine


def init_app(app) -> None:
    start(app)
    @app.teardown_appcontext
    def _noop(_exc):   # connections are pooled per app, not per request; nothing to close here
        return None
