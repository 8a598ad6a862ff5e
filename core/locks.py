"""One writer per store: the lock every process takes before it writes the graph store or the index;
and named locks (`named_lock`), one per scheduled source, that keep two schedulers from running it at once.

Oxigraph (RocksDB) and tantivy each allow one writer; the CLI stages, `grenselos serve`'s applier, the
scheduler and later the circulation core must never race for them. An advisory lock on one file in the
data directory (`writer.lock`) serialises them across processes. Within one process the lock is re-entrant
(`grenselos rebuild` runs the transform and then the index under it), since two `flock`s on the same file
from one process would otherwise wait for each other.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

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


def _key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for a name (Python's hash() differs per process)."""
    return int.from_bytes(hashlib.sha256(f"grenselos:{name}".encode()).digest()[:8], "big", signed=True)


@contextmanager
def named_lock(engine, data_dir: Path | str, name: str):
    """Hold the lock called `name` (e.g. one source's scheduled run) if nobody else does; yields whether it
    was got, never waits. On PostgreSQL it is a session advisory lock, so schedulers on different machines
    sharing the database exclude each other; on SQLite (one machine by nature), or with no engine, a file
    lock in data_dir/locks. Either is released when its holder ends, also by SIGKILL, so a lock is never stale."""
    if engine is not None and engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _key(name)}).scalar())
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _key(name)})
                    conn.commit()
        return
    directory = Path(data_dir) / "locks"
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            got = True
        except BlockingIOError:
            got = False
        try:
            yield got
        finally:
            if got:
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
