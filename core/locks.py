"""One writer per store: the lock every process takes before it writes the graph store or the index.

Oxigraph (RocksDB) and tantivy each allow one writer; the CLI stages, `grenselos serve`'s applier, the
scheduler and later the circulation core must never race for them. An advisory lock on one file in the
data directory (`writer.lock`) serialises them across processes. Within one process the lock is re-entrant
(`grenselos rebuild` runs the transform and then the index under it), since two `flock`s on the same file
from one process would otherwise wait for each other.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path

_held: dict[str, list] = {}            # path -> [fd, depth, owning thread]
_guard = threading.Lock()


class Busy(Exception):
    """Another process is writing; raised when the caller chose not to wait."""


@contextmanager
def writer_lock(data_dir: Path | str, wait: float | None = None):
    """Hold the data directory's writer lock. `wait`: seconds to wait (None: as long as it takes; 0: not
    at all), past which `Busy` is raised."""
    path = str(Path(data_dir) / "writer.lock")
    me = threading.get_ident()
    with _guard:
        entry = _held.get(path)
        if entry is not None and entry[2] == me:
            entry[1] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _guard:
                _held[path][1] -= 1
        return
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = None if wait is None else time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    raise Busy(f"another process holds {path}") from None
                time.sleep(0.05)
        with _guard:
            _held[path] = [fd, 1, me]
        try:
            yield
        finally:
            with _guard:
                _held.pop(path, None)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
