"""Errors of the search stage: one base class, a fatal subclass for a backend that cannot go on."""

from core.errors import GrenselosError


class SearchError(GrenselosError):
    """Base of every search-stage error."""


class QueryError(SearchError):
    """A query the search model cannot express (unknown field, sort, bad paging)."""


class BackendError(SearchError):
    """The search backend failed (unreachable Solr, broken index); repeating the run completes it."""


class FatalBackendError(BackendError):
    """The backend cannot be used at all (wrong schema, missing core): stop the run."""
