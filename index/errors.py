"""Errors of the search stage: one base class, a fatal subclass for a backend that cannot go on, and
one backend-neutral class for an outage."""

from core.errors import GrenselosError


class SearchError(GrenselosError):
    """Base of every search-stage error."""


class QueryError(SearchError):
    """A query the search model cannot express (unknown field, sort, bad paging)."""


class BackendError(SearchError):
    """The search backend failed (unreachable Solr, broken index); repeating the run completes it."""


class SearchUnavailable(BackendError):
    """The search index cannot answer now: no Solr node answers, a shard has no live replica or leader,
    the embedded index cannot be read. Raised by every backend for the same condition, so callers need
    not know which backend they have: an outage, not a bug, and it passes. The portal answers it with
    503 and `Retry-After` (record pages fall back to the record store); `grenselos index` retries the
    batch for `[search] retry_seconds` and otherwise leaves the changes pending for its next run."""


class FatalBackendError(BackendError):
    """The backend cannot be used at all (wrong schema, missing core): stop the run."""
