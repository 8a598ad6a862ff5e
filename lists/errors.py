"""Errors of the lists package: one base class, and its fatal subclass."""

from core.errors import FatalError, GrenselosError


class ListError(GrenselosError):
    """What a librarian or a script sent cannot make a list; names the field and says what it must be."""

    def __init__(self, field: str, message: str):
        self.field, self.message = field, message
        super().__init__(f"{field}: {message}")


class FatalListError(FatalError):
    """The lists cannot be written at all (no database, no graph store)."""
