"""The title of a record, for what circulation writes to people: kiosk receipts (SIP2 AJ) and patron notices.

Read from the search index, so a patron reads the same title the portal shows, looked up by the record's
public id (`index.from_store.document_id`), as the index keys its documents. A title is a nicety, never worth
failing a loan or a notice for: without an index, or when a lookup fails, the title is empty (the notice
templates then name the barcode). One function for the SIP2 server and `grenselos notices`, which import it
from here (circulation may not import the CLI package).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache

from index.backends import open_backend
from index.errors import BackendError

log = logging.getLogger(__name__)

#: What opening or asking the index may raise when it is missing, half-built or unreachable.
_UNAVAILABLE = (BackendError, OSError, ValueError)


def index_titles(settings, cache_size: int = 4096) -> Callable[[str], str]:
    """titles(record_id) → the indexed title, "" when unknown; the last `cache_size` answers are kept (a
    kiosk asks for the same few records all day)."""
    try:
        backend = open_backend(settings, create=False)
    except _UNAVAILABLE as exc:
        log.warning("titles: search index not available (%s); titles stay empty", exc)
        return lambda record_id: ""

    @lru_cache(maxsize=cache_size)
    def title(record_id: str) -> str:
        try:
            document = backend.get(record_id)
        except _UNAVAILABLE as exc:
            log.debug("titles: %s not read from the index: %s", record_id, exc)
            return ""
        return (getattr(document, "title", "") or "") if document is not None else ""
    return title
