"""A one-line progress display on stderr while a source is harvested.

Written only to a terminal (a log file or a cron mail gets the summary line alone), and at most a
few times a second so that drawing it never costs harvest speed.
"""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, label: str, enabled: bool = True, stream=None, interval: float = 0.25):
        self.stream = stream or sys.stderr
        self.enabled = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.label, self.interval = label, interval
        self.started = time.monotonic()
        self._last = 0.0
        self._drawn = False

    def update(self, pages: int, records: int, total: int | None = None, note: str = "") -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        elapsed = max(now - self.started, 1e-6)
        of = f"/{total}" if total else ""
        line = f"{self.label}: {records}{of} records, {pages} pages, {records / elapsed:,.0f} rec/s {note}"
        self.stream.write("\r" + line[:150].ljust(80))
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\r" + " " * 80 + "\r")
            self.stream.flush()
