"""Errors of the composition root. Each package has one base class and a fatal subclass."""

from __future__ import annotations

from pathlib import Path


class GrenselosError(Exception):
    """Base of every error Grenseløs raises on purpose; the CLI prints these without a traceback."""


class FatalError(GrenselosError):
    """The run cannot go on (as opposed to one bad record, which is quarantined)."""


class ConfigError(FatalError):
    def __init__(self, message: str, path: Path | None = None, table: str | None = None,
                 key: str | None = None):
        self.path, self.table, self.key = path, table, key
        where = str(path) if path else "configuration"
        super().__init__(f"{where}: {message}")
