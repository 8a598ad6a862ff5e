"""When a source's next scheduled run is due: one rule, read by the scheduler and the staff pages.

The interval counts from the start of the source's newest harvest (scheduled or by hand), so a run
that was missed while the scheduler was down is made once when it comes back (catch-up), never once per
missed interval. The jitter is drawn from the source and that start time, so it spreads sources on the
same interval apart and still gives the same "next run" to every process that asks.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta


def next_run(source_id: str, last_started: datetime | None, minutes: int, jitter_seconds: float,
             now: datetime) -> datetime | None:
    """The next run's time (`now` for a source never harvested); None when the source is not scheduled."""
    if minutes <= 0:
        return None
    if last_started is None:
        return now
    offset = random.Random(f"{source_id}|{last_started.isoformat()}").uniform(0, jitter_seconds)
    return last_started + timedelta(minutes=minutes, seconds=offset)


def is_due(next_at: datetime | None, now: datetime) -> bool:
    return next_at is not None and next_at <= now
