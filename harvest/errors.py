"""Errors of the harvest stage."""

from core.errors import FatalError, GrenselosError


class HarvestError(GrenselosError):
    """Something went wrong with one source, page or record; the run goes on."""


class HarvestFatal(HarvestError, FatalError):
    """This source's run cannot go on (the checkpoint is kept, so the next run resumes)."""


class MarcError(HarvestError):
    """One record could not be read as MARC; it is quarantined with this cause."""

    def __init__(self, cause: str, identifier: str | None = None, raw: bytes | str | None = None):
        self.cause, self.identifier, self.raw = cause, identifier, raw
        super().__init__(f"{identifier}: {cause}" if identifier else cause)
