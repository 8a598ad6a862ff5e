"""The libraries the portal knows: the configured sources, with what each holds.

Record counts come from the record store's `status()`, which groups over every record, so they are
cached for a short time: a library page must not cost a table scan per visit.
"""

from __future__ import annotations

import threading
import time

from vocab import libraries as libraries_vocab


class LibraryDirectory:
    """The configured sources' libraries (`vocab.libraries`, the one home of library facts), with what each
    holds from the record store."""

    def __init__(self, settings, engine, ttl: float = 60):
        self.settings = settings
        self.engine = engine
        directory = libraries_vocab.directory(settings)
        # a shared digital collection (kind digital) is no library a patron visits or chooses as theirs
        self.libraries = [directory.by_source[s.id] for s in settings.sources if s.kind != "digital"]
        self.ttl = ttl
        self._counts: dict | None = None
        self._counts_at = 0.0
        self._store = None
        self._lock = threading.Lock()

    def find(self, key: str):
        for library in self.libraries:
            if key in (library.isil, library.id) and key:
                return library
        return None

    def by_id(self, library_id: str):
        """A library by its id, or by the id of the source that is it."""
        return next((lib for lib in self.libraries if library_id in (lib.id, lib.source)), None)

    def counts(self) -> dict[str, dict]:
        """Per source: records, holdings, deleted, last harvest (empty dict when the store is unreadable)."""
        with self._lock:
            if self._counts is not None and time.monotonic() - self._counts_at < self.ttl:
                return self._counts
            try:
                if self._store is None:
                    from harvest.store import RecordStore
                    self._store = RecordStore(self.engine, migrate=False)
                self._counts = self._store.status()
            except Exception:  # a missing or locked database must not take the portal down
                import logging
                logging.getLogger(__name__).exception("record store status failed")
                self._counts = {}
            self._counts_at = time.monotonic()
            return self._counts

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
