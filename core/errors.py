"""Errors of the composition root. Each package has one base class and a fatal subclass."""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from pathlib import Path


class GrenselosError(Exception):
    """Base of every error Grenseløs raises on purpose; the CLI prints these without a traceback."""


class FatalError(GrenselosError):
    """The run cannot go on (as opposed to one bad record, which is quarantined)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a configuration file: where (table, key) and what."""
    table: str
    key: str
    message: str


class ConfigError(FatalError):
    """A configuration the run cannot start with. `problems` holds every complaint about the file (all are
    reported at once); `table` and `key` are those of the first."""

    def __init__(self, message: str, path: Path | None = None, table: str | None = None,
                 key: str | None = None, problems: tuple[Problem, ...] = ()):
        self.path, self.table, self.key = path, table, key
        self.problems = tuple(problems) or ((Problem(table or "", key or "", message),) if key else ())
        where = str(path) if path else "configuration"
        super().__init__(f"{where}: {message}")

    @classmethod
    def from_problems(cls, problems, path: Path | None = None) -> "ConfigError":
        problems = tuple(problems)
        if len(problems) == 1:
            message = problems[0].message
        else:
            message = f"{len(problems)} problems:\n" + "\n".join(f"  - {p.message}" for p in problems)
        return cls(message, path=path, table=problems[0].table, key=problems[0].key, problems=problems)


def reason(exc: BaseException) -> str:
    """Why something failed, in one clean line for an operator.

    Network libraries wrap errors in errors (requests around urllib3 around the socket), and each level
    repeats the text of the one inside with object reprs, so printing the outer one says the same thing
    twice or three times. This goes to the innermost cause and says it once: "connection refused",
    "host name not found", "no answer in time". An error Grenseløs raised on purpose is already worded for
    a person and is kept as it is."""
    seen = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, GrenselosError):
            break
        inner = getattr(exc, "reason", None)
        if not isinstance(inner, BaseException):
            inner = next((a for a in getattr(exc, "args", ()) if isinstance(a, BaseException)), None)
        if inner is None:
            inner = exc.__cause__
        if inner is None and not exc.__suppress_context__ and exc.__context__ is not None:
            # an error raised while handling another is that one wrapped only if it repeats its text
            # (pysolr does so); otherwise the two are unrelated and the outer one is the answer
            context = exc.__context__
            inner = context if str(context) and str(context) in str(exc) else None
        if inner is None:
            break
        exc = inner
    if isinstance(exc, GrenselosError):
        return " ".join(str(exc).split())
    if isinstance(exc, socket.gaierror):
        return f"host name not found ({exc.strerror or exc})"
    if isinstance(exc, TimeoutError) or "Timeout" in type(exc).__name__:
        return "no answer in time"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    text = _OBJECT_REPR.sub("", str(exc))
    return " ".join(text.split()) or type(exc).__name__


#: "HTTPConnectionPool(host='x', port=1): " and the like, which urllib3 puts before its messages.
_OBJECT_REPR = re.compile(r"\b\w+(?:Pool|Connection)\((?:[^()]|\([^()]*\))*\):?\s*")
