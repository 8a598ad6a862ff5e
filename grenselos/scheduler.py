"""`grenselos scheduler`: each source's harvest → transform → index, on the source's own interval.

The guarantees, and how they are kept:
- **No overlapping runs of one source**, also across processes and machines: a run holds the source's
  named lock (`core.locks.named_lock`: a PostgreSQL advisory lock, or a file lock beside SQLite), and
  after getting it asks again whether the source is still due, so a scheduler that waited for another
  one's run does not repeat it.
- **Catch-up once after downtime**: the interval counts from the newest harvest's start
  (`harvest.schedule`), so a scheduler back after a night away runs each source once, not once per
  missed interval.
- **Jitter**: up to `[scheduler] jitter_seconds` added to each source's interval, drawn from the source
  and its last start, so sources do not all start on the same second.
- **Graceful stop**: SIGTERM (systemd's stop) or SIGINT lets the chain in progress finish and starts no
  other; a SIGKILL instead is safe too (the harvest resumes from its checkpoint and the interrupted
  attempt is recorded as such).
- **Patron notices** (`grenselos notices send`) every `[notices] schedule_minutes` when a source lends
  here and `[notices] smtp_host` or `sms_gateway_url` is set, under the named lock `notices`; each notice's own unique key and claim keep a scheduler and a
  run by hand from sending one twice.
- **Holds once a night**: after 02:00 local time the first round of each day runs `grenselos holds run`
  (lenders, shelf expiry, holds following their works) under a named lock; a scheduler restarted the same
  day runs it again, which changes nothing that the first run settled.
- **Staff retention once a day** (`grenselos staff retention`): the first round of each local day deletes ended
  staff sessions, old audit rows and stale PIN-failure rows and blanks old client addresses, under the named
  lock `staff-retention`; a second run the same day finds nothing to do.
- **Patrons' retention and lost overdue copies once a day**, where a library lends here (`grenselos patrons
  retention`, `grenselos patrons lost-overdue`): expired cards move along their timers and copies overdue past
  `[circulation] lost_after_days` are marked lost, each under its own named lock. `grenselos daily` runs every
  daily job once, for installations that run `grenselos run` from a timer instead of this scheduler.
A failing stage is recorded and logged and never stops the scheduler or the other sources.

Where libraries lend here, each round also calls home the deposit loans whose date has come
(`circulation.deposits`, as `grenselos deposits due`) and says which: a deposit is called once, however many
schedulers run.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from circulation.service import LOCAL
from core.locks import named_lock
from grenselos import notices_cli
from grenselos.circulation_cli import run_patron_retention
from grenselos.holds_cli import open_holds
from grenselos.staff_cli import run_retention
from harvest import attempts, schedule
from harvest.store import RecordStore

log = logging.getLogger(__name__)

#: The holds' nightly run starts at the first round after this local hour.
HOLDS_HOUR = 2


@dataclass
class ChainResult:
    source: str
    ran: bool = False
    skipped: str = ""               # why not (another process runs it)
    failed: bool = False
    lines: list[str] = field(default_factory=list)

    def line(self) -> str:
        if not self.ran:
            return f"{self.source}: skipped ({self.skipped})"
        return "; ".join(self.lines)


def scheduled_sources(settings) -> list:
    return [s for s in settings.sources if s.oai_url and s.schedule_minutes > 0]


def next_run(settings, store: RecordStore, source, now: datetime) -> datetime | None:
    return schedule.next_run(source.id, attempts.last_started(store.engine, source.id), source.schedule_minutes,
                             settings.scheduler.jitter_seconds, now)


class Scheduler:
    def __init__(self, settings, out=None):
        self.settings = settings
        self.out = out or sys.stdout
        self.stop_event = threading.Event()
        self.store = RecordStore(settings.database_url)
        self.notices_last: datetime | None = None
        self.ran_on: dict[str, date] = {}      # the local day each daily job (by its lock) last ran here

    def close(self) -> None:
        self.store.close()

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def due_sources(self, now: datetime) -> list:
        return [s for s in scheduled_sources(self.settings)
                if schedule.is_due(next_run(self.settings, self.store, s, now), now)]

    def call_deposits_home(self, now: datetime) -> list:
        """The deposit loans called home now (their date has come); none where no library lends here."""
        if not any(getattr(s, "circulation", False) for s in self.settings.sources):
            return []
        from circulation.deposits import Deposits
        from circulation.service import Circulation, local_day
        deposits = Deposits(Circulation(self.store.engine, self.settings))
        called = deposits.call_home(local_day(now), now)
        for d in called:
            place = f" ({d.place})" if d.place else ""
            self.say(f"deposits: deposit {d.id} of {d.from_library} at {d.to_library}{place} is due home "
                     f"({d.until.isoformat()}, {len(d.copies)} copies)")
        return called

    def run_once(self, now: datetime | None = None) -> list[ChainResult]:
        """One round: call due deposits home, then run every source that is due now (in configured order);
        what each source did."""
        results = []
        now = now or datetime.now(timezone.utc)
        try:
            self.call_deposits_home(now)
        except Exception:               # noqa: BLE001 - logged; the next round calls them again
            log.exception("calling deposits home failed")
        for source in self.due_sources(now):
            if self.stop_event.is_set():
                break
            result = self.run_source(source, now)
            self.say(result.line())
            results.append(result)
        if not self.stop_event.is_set():
            self.run_daily(now)
            notice = self.run_notices(now)
            if notice is not None:
                self.say(notice.line())
                results.append(notice)
        return results

    def run_notices(self, now: datetime) -> ChainResult | None:
        """The patron notices run, when due (`[notices] schedule_minutes`, counted from this process's last)."""
        minutes = self.settings.notices.schedule_minutes
        n = self.settings.notices
        if minutes <= 0 or not (n.smtp_host or n.sms_gateway_url) or \
                not any(getattr(s, "circulation", False) for s in self.settings.sources):
            return None                  # nothing lends here, or no way to send is configured
        if self.notices_last is not None and now - self.notices_last < timedelta(minutes=minutes):
            return None
        result = ChainResult("notices")
        with named_lock(self.store.engine, self.settings.data_dir, "notices") as got:
            if not got:
                result.skipped = "another process is sending notices"
                return result
            self.notices_last = now
            result.ran = True
            try:
                report = notices_cli.run(self.settings)
                result.lines.append(report.line())
                result.failed = bool(report.failed or report.uncertain)
            except Exception as exc:    # noqa: BLE001 - recorded; the next round tries again
                log.exception("scheduled notices run failed")
                result.failed = True
                result.lines.append(f"notices: FAILED: {type(exc).__name__}: {exc}")
        return result

    def run_holds(self, now: datetime) -> str:
        """The holds' nightly run, when circulation is on and tonight's has not run in this process."""
        local = now.astimezone(LOCAL)
        if not any(s.circulation for s in self.settings.sources) or local.hour < HOLDS_HOUR:
            return ""

        def holds() -> str:
            summary = open_holds(self.settings).run(now)
            return f"{summary.assigned} lender(s), {summary.expired} expired, {summary.retargeted} re-targeted"

        return self._daily("holds-nightly", "holds", local.date(), holds)

    def run_daily(self, now: datetime) -> list[str]:
        """Every once-a-day job not yet run today: staff retention, and where a library lends here the holds'
        nightly run (after 02:00), the expired cards' retention timers and overdue copies marked lost. The
        lines of those that ran (`grenselos daily` runs the same, for installations without a scheduler)."""
        lines = [self.run_retention(now)]
        if any(s.circulation for s in self.settings.sources):
            lines += [self.run_holds(now), self.run_patron_retention(now), self.run_lost_overdue(now)]
        return [line for line in lines if line]

    def _circulation(self):
        from circulation.service import Circulation
        return Circulation(self.store.engine, self.settings)

    def run_patron_retention(self, now: datetime) -> str:
        """Expired cards locked, then anonymised, then deleted on their timers, once a local day."""
        day = now.astimezone(LOCAL).date()

        def retention() -> str:
            done = run_patron_retention(self._circulation(), day)
            return ", ".join(f"{len(cards)} {key.replace('_', ' ')}" for key, cards in done.items())

        return self._daily("patron-retention", "patron retention", day, retention)

    def run_lost_overdue(self, now: datetime) -> str:
        """Copies overdue past `[circulation] lost_after_days` marked lost with a claim, once a local day."""
        def lost() -> str:
            return f"{len(self._circulation().mark_overdue_lost(now))} marked lost"

        return self._daily("lost-overdue", "lost overdue", now.astimezone(LOCAL).date(), lost)

    def run_retention(self, now: datetime) -> str:
        """The staff side's retention run, once a local day in this process (and never two at once)."""
        def retention() -> str:
            return ", ".join(f"{x.table} {x.count} {x.action}" for x in run_retention(self.settings, now))

        return self._daily("staff-retention", "staff retention", now.astimezone(LOCAL).date(), retention)

    def _daily(self, lock: str, label: str, day: date, work) -> str:
        """A once-a-day job: `work()` under the named lock `lock`, unless it ran on `day` in this process or
        another process holds the lock (then ""); its line, `label: ` and what `work` returns (or why it
        failed: logged, and the next day's run tries again), is printed and returned."""
        if self.ran_on.get(lock) == day:
            return ""
        with named_lock(self.store.engine, self.settings.data_dir, lock) as got:
            if not got:
                return ""
            self.ran_on[lock] = day
            try:
                line = f"{label}: {work()}"
            except Exception as exc:    # noqa: BLE001 - logged; tomorrow's run tries again
                log.exception("%s run failed", label)
                line = f"{label}: FAILED: {type(exc).__name__}: {exc}"
        self.say(line)
        return line

    def run_source(self, source, now: datetime) -> ChainResult:
        result = ChainResult(source.id)
        with named_lock(self.store.engine, self.settings.data_dir, f"schedule-{source.id}") as got:
            if not got:
                result.skipped = "another scheduler is running it"
                return result
            if not schedule.is_due(next_run(self.settings, self.store, source, now), now):
                result.skipped = "already run by another scheduler"
                return result
            result.ran = True
            self._chain(source, result)
        return result

    def _chain(self, source, result: ChainResult) -> None:
        from harvest.oai import harvest_source
        summary = harvest_source(self.settings, self.store, source, progress=False)
        result.lines.append(summary.line())
        result.failed = summary.failed
        if summary.failed and not summary.records:
            return                       # nothing new to transform or index
        for name, step in (("transform", self._transform), ("index", self._index)):
            try:
                result.lines.append(step(source))
            except Exception as exc:    # noqa: BLE001 - recorded; the next round tries again
                log.exception("scheduled %s of %s failed", name, source.id)
                result.failed = True
                result.lines.append(f"{source.id}: {name} FAILED: {type(exc).__name__}: {exc}")

    def _transform(self, source) -> str:
        from transform.pipeline import run_transform
        return "; ".join(s.line() for s in run_transform(self.settings, self.store, [source.id], progress=False))

    def _index(self, source) -> str:
        from index.pipeline import index_changes
        summary = index_changes(self.settings, self.store, progress=False)
        if summary.failed:
            raise RuntimeError(summary.line())
        return summary.line()

    def run(self) -> None:
        """Until stopped: a round, then a pause of `[scheduler] poll_seconds`."""
        self.say(f"scheduler: {len(scheduled_sources(self.settings))} scheduled source(s), looking every "
                 f"{self.settings.scheduler.poll_seconds:g} s")
        while not self.stop_event.is_set():
            try:
                self.run_once()
            except Exception:           # noqa: BLE001 - the database away for a moment: try again later
                log.exception("scheduler round failed")
            self.stop_event.wait(self.settings.scheduler.poll_seconds)
        self.say("scheduler: stopped")

    def stop_on_signals(self) -> None:
        def stop(signum, _frame):
            self.say(f"scheduler: {signal.Signals(signum).name}, stopping after the run in progress")
            self.stop_event.set()
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
