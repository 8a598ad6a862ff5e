"""Notices to patrons: hold ready, due soon, overdue reminders (1st, 2nd, …) and the replacement claim, by
e-mail or SMS, in the patron's language, from the library's own templates (`circulation.notice_text`).

The promise is **never sent twice**, and it is kept like this:
- Every notice is one row with a unique key (`notice_tables.notices.key`): kind, what it is about and the
  step (`overdue:loan:812:2026-12-01:2`). A scan that runs again, two schedulers at once, or the holds code
  calling `queue` twice find the key taken and add nothing.
- A notice is **claimed before it is sent**: one committed UPDATE moves it to `sending` (only if it is still
  queued or failed and due, so two senders cannot both win) and records the channel, the address and the
  SMTP Message-ID (or SMS reference) it is about to use. Only then does the message leave; after the
  server's "250" (or the gateway's 2xx) a second commit marks it `sent`.
- That makes delivery **at most once**: a run killed (kill -9, power) between the two commits leaves the
  notice in `sending`. A later run does not resend it: after `[notices] stale_minutes` it is marked
  `uncertain`, with its Message-ID so the mail server's log can say whether it went, and listed for staff.
  We chose at most once because a duplicated reminder or claim is the failure patrons and libraries
  complain about, while the window is one message per sending worker (milliseconds), and an uncertain
  notice is not lost: it is shown to staff, who can send it again by hand.
- A message the server or gateway *refused* (no connection, 4xx/5xx) was not delivered: it is `failed`,
  with the reason, and tried again after `retry_minutes`, doubling up to `max_retry_hours`, until sent;
  nothing is dropped. A connection lost after the mail's data went out is `uncertain`, not `failed`.
- A patron with neither e-mail nor phone (or only a phone and no SMS gateway) gets `undeliverable` with
  the reason; staff print those (`/staff/notices`, `grenselos notices list`) and post or phone them.
- A loan notice whose loan was returned or renewed before it went out is `obsolete`, not sent.
"""

from __future__ import annotations

import json
import logging
import queue as queue_mod
import threading
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from circulation import hold_states, notice_text
from circulation import routes as route_store
from circulation.notice_delivery import SENT, UNCERTAIN, Mailer, SmsGateway
from circulation.notice_tables import KINDS, notices
from circulation.service import local_day
from circulation.tables import claims, hold_events, holds, loans, patrons
from core.clock import aware, moment, now as _now
from index.from_store import document_id
from transform.tables import transform_records

log = logging.getLogger(__name__)
#: Claims older than this when notices are first switched on are not announced (they predate the notices).
CLAIM_WINDOW_DAYS = 30
#: Ids read per query while scanning or sending.
BATCH = 500
WAITING = ("queued", "failed")


# --- queueing -------------------------------------------------------------------------------------------

def queue(conn, *, patron_id: int, kind: str, key: str, params: dict, library: str = "", loan_id: int | None = None,
          hold_id: int | None = None, claim_id: int | None = None, step: str = "",
          at: datetime | None = None) -> bool:
    """Queue one notice for `grenselos notices send`, once: True if it was new, False if a notice with the same
    `kind` and `key` exists (whatever its state). `key` names what it is about and, for a repeatable notice,
    the occasion (`hold:17:1` for the first time hold 17 is ready); `library` is whose templates and name
    it carries (a hold's pickup library); `params` are the template's values (JSON-serialisable)."""
    if not library:                       # signed by the patron's home library
        library = conn.execute(select(patrons.c.library).where(patrons.c.id == patron_id)).scalar() or ""
    row = _row(kind=kind, key=key, patron_id=patron_id, params=params, library=library, loan_id=loan_id,
               hold_id=hold_id, claim_id=claim_id, step=step, at=moment(at))
    if conn.execute(select(notices.c.id).where(notices.c.key == row["key"])).first() is not None:
        return False
    try:
        with conn.begin_nested():
            conn.execute(insert(notices).values(**row))
    except IntegrityError:                # queued by someone else meanwhile: the unique key decided
        return False
    return True


def _row(*, kind, key, patron_id, params, library, loan_id=None, hold_id=None, claim_id=None, step="", at) -> dict:
    if kind not in KINDS:
        raise ValueError(f"unknown notice kind {kind!r} (known: {', '.join(KINDS)})")
    return {"key": f"{kind}:{key}", "kind": kind, "patron_id": patron_id, "loan_id": loan_id, "hold_id": hold_id,
            "claim_id": claim_id, "step": str(step), "library": library,
            "params": json.dumps(params, ensure_ascii=False, default=str), "status": "queued",
            "next_attempt_at": at, "created_at": at, "updated_at": at, "attempts": 0, "reason": "",
            "channel": "", "address": "", "language": ""}


@dataclass
class Candidate:
    kind: str
    key: str
    patron_id: int
    library: str
    params: dict
    loan_id: int | None = None
    claim_id: int | None = None
    step: str = ""
    hold_id: int | None = None


def _titles_of(conn, rows, titles: Callable[[str], str]) -> dict[tuple[str, str], str]:
    pairs = {(r.source, r.identifier) for r in rows}
    out = {}
    for source, identifier in pairs:
        record_id = conn.execute(select(transform_records.c.record_id).where(
            transform_records.c.source == source, transform_records.c.identifier == identifier)).scalar()
        out[(source, identifier)] = (titles(document_id(source, record_id)) if record_id else "") or ""
    return out


def candidates(conn, settings, today: date, titles: Callable[[str], str] | None = None,
               now: datetime | None = None) -> list[Candidate]:
    """The loan and claim notices due today by the settings (whether or not already queued)."""
    titles = titles or (lambda record_id: "")
    n = settings.notices
    out: list[Candidate] = []
    horizon = today + timedelta(days=n.due_soon_days)
    first = min(n.reminder_days) if n.reminder_days else None
    conditions = []
    if n.due_soon_days > 0:
        conditions.append(and_(loans.c.due_date >= today, loans.c.due_date <= horizon))
    if first is not None:
        conditions.append(loans.c.due_date <= today - timedelta(days=first))
    if conditions:
        rows = conn.execute(select(loans.c.id, loans.c.patron_id, loans.c.library, loans.c.barcode, loans.c.due_date,
                                   loans.c.source, loans.c.identifier)
                            .where(loans.c.returned_at.is_(None), loans.c.patron_id.is_not(None), or_(*conditions))
                            .order_by(loans.c.id)).all()
        names = _titles_of(conn, rows, titles)
        for r in rows:
            base = {"title": names[(r.source, r.identifier)], "barcode": r.barcode, "due_date": r.due_date.isoformat()}
            if r.due_date >= today:
                out.append(Candidate("due_soon", f"loan:{r.id}:{r.due_date.isoformat()}", r.patron_id, r.library,
                                     base, loan_id=r.id, step=r.due_date.isoformat()))
                continue
            late = (today - r.due_date).days
            step = sum(1 for d in n.reminder_days if d <= late)
            if step:
                out.append(Candidate("overdue", f"loan:{r.id}:{r.due_date.isoformat()}:{step}", r.patron_id,
                                     r.library, {**base, "step": step, "days_overdue": late}, loan_id=r.id,
                                     step=str(step)))
    since = moment(now) - timedelta(days=CLAIM_WINDOW_DAYS)
    rows = conn.execute(select(claims.c.id, claims.c.patron_id, claims.c.library, claims.c.barcode, claims.c.amount,
                               claims.c.loan_id, loans.c.due_date, loans.c.source, loans.c.identifier)
                        .select_from(claims.outerjoin(loans, loans.c.id == claims.c.loan_id))
                        .where(claims.c.status == "open", claims.c.patron_id.is_not(None),
                               claims.c.created_at >= since).order_by(claims.c.id)).all()
    names = _titles_of(conn, [r for r in rows if r.source is not None], titles)
    for r in rows:
        out.append(Candidate("claim", f"claim:{r.id}", r.patron_id, r.library,
                             {"title": names.get((r.source, r.identifier), ""), "barcode": r.barcode,
                              "amount": r.amount, "due_date": r.due_date.isoformat() if r.due_date else ""},
                             loan_id=r.loan_id, claim_id=r.id))
    out += _hold_ready(conn, titles)
    return out


def _hold_ready(conn, titles: Callable[[str], str]) -> list[Candidate]:
    """A "ready for pickup" notice for each time a hold still on the shelf was put there (the holds'
    `hold_ready` events, `circulation.hold_capture.ready`): keyed by the event, so a hold made ready
    again after its copy went astray is told again, and a rerun queues nothing new."""
    rows = conn.execute(select(hold_events.c.id.label("event_id"), hold_events.c.at, holds.c.id, holds.c.patron_id,
                               holds.c.pickup_library, holds.c.pickup_point, holds.c.pickup_number,
                               holds.c.shelf_expires_on, holds.c.source, holds.c.identifier)
                        .join(holds, holds.c.id == hold_events.c.hold_id)
                        .where(hold_events.c.kind == hold_states.READY, holds.c.status == hold_states.WAITING)
                        .order_by(hold_events.c.id)).all()
    names = _titles_of(conn, rows, titles)
    points = route_store.all_points(conn) if any(r.pickup_point for r in rows) else {}
    return [Candidate("hold_ready", f"hold:{r.id}:{r.event_id}", r.patron_id, r.pickup_library,
                      {"title": names[(r.source, r.identifier)], "pickup_number": r.pickup_number or "",
                       "expires": r.shelf_expires_on.isoformat() if r.shelf_expires_on else "",
                       **_stop(points.get(r.pickup_point) if r.pickup_point else None, r.at)},
                      step=str(r.event_id), hold_id=r.id)
            for r in rows]


def _stop(point: route_store.Point | None, ready_at: datetime) -> dict:
    """For a hold picked up at a book-bus or book-boat stop (the hold's `pickup_point`; the copy waits in its
    home library's box for the route): the stop's name as `pickup`, the route's `route` name and
    `route_kind` (bus, boat, van), and `arrives`, the route's next run after the copy was shelved — what the
    templates say instead of the library's hold shelf. Nothing for a hold picked up at a library."""
    if point is None:
        return {}
    return {"pickup": point.name, "route": point.route.name, "route_kind": point.route.kind,
            "arrives": route_store.point_arrival(point, local_day(aware(ready_at))).isoformat()}


def _existing(conn, keys: list[str]) -> set[str]:
    found = set()
    for i in range(0, len(keys), BATCH):
        found.update(conn.execute(select(notices.c.key).where(notices.c.key.in_(keys[i:i + BATCH]))).scalars())
    return found


def generate(engine, settings, today: date, titles=None, now: datetime | None = None,
             dry_run: bool = False) -> list[Candidate]:
    """Queue the loan and claim notices due today that are not queued yet; the new ones (none written when
    `dry_run`). Safe to run any number of times, also concurrently: the unique key admits each once."""
    with engine.connect() as conn:
        found = candidates(conn, settings, today, titles, now)
        taken = _existing(conn, [f"{c.kind}:{c.key}" for c in found])
    new = [c for c in found if f"{c.kind}:{c.key}" not in taken]
    if dry_run:
        return new
    at = moment(now)
    added = []
    for i in range(0, len(new), BATCH):
        chunk = new[i:i + BATCH]
        try:
            with engine.begin() as conn:
                conn.execute(insert(notices), [_row(kind=c.kind, key=c.key, patron_id=c.patron_id, params=c.params,
                                                    library=c.library, loan_id=c.loan_id, claim_id=c.claim_id,
                                                    hold_id=c.hold_id, step=c.step, at=at) for c in chunk])
        except IntegrityError:            # another run queued some of them meanwhile: one by one, the key decides
            with engine.begin() as conn:
                chunk = [c for c in chunk if queue(conn, patron_id=c.patron_id, kind=c.kind, key=c.key,
                                                   params=c.params, library=c.library, loan_id=c.loan_id,
                                                   claim_id=c.claim_id, hold_id=c.hold_id, step=c.step, at=at)]
        added += chunk
    return added


# --- sending ---------------------------------------------------------------------------------------------

@dataclass
class SendReport:
    queued: int = 0                       # new notices queued by this run's scan
    sent: int = 0
    failed: int = 0
    undeliverable: int = 0
    uncertain: int = 0
    obsolete: int = 0
    marked_uncertain: int = 0             # `sending` rows of a dead run, found stale
    forgotten: int = 0                    # old notices deleted (`prune`)
    dry_run: bool = False
    by_channel: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)     # (key, reason) of what failed or could not be delivered

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}

    def line(self) -> str:
        verb = "would send" if self.dry_run else "sent"
        queued = "would queue" if self.dry_run else "queued"
        channels = ", ".join(f"{k} {v}" for k, v in sorted(self.by_channel.items()))
        return (f"notices: {queued} {self.queued}, {verb} {self.sent}" + (f" ({channels})" if channels else "") +
                f", failed {self.failed}, undeliverable {self.undeliverable}, uncertain "
                f"{self.uncertain + self.marked_uncertain}, obsolete {self.obsolete}")


def mark_stale(engine, settings, now: datetime) -> int:
    """`sending` rows older than `[notices] stale_minutes` belong to a run that died mid-send: uncertain."""
    cutoff = now - timedelta(minutes=settings.notices.stale_minutes)
    with engine.begin() as conn:
        return conn.execute(update(notices).where(notices.c.status == "sending", notices.c.claimed_at < cutoff)
                            .values(status="uncertain", updated_at=now,
                                    reason="the sending process stopped before it heard back; perhaps delivered "
                                           "(look for the Message-ID in the mail server's log)")).rowcount


def prune(engine, settings, now: datetime) -> int:
    """Forget notices older than `[notices] keep_days` that can never be due again (their loan returned,
    their claim closed, or about no loan or claim): a notice names what a patron borrowed, and loan history is
    kept only by patrons who opted in. A notice of a loan still open keeps its key, so it is not sent again."""
    cutoff = now - timedelta(days=settings.notices.keep_days)
    open_loan = select(loans.c.id).where(loans.c.id == notices.c.loan_id, loans.c.returned_at.is_(None)).exists()
    open_claim = select(claims.c.id).where(claims.c.id == notices.c.claim_id, claims.c.status == "open").exists()
    with engine.begin() as conn:
        return conn.execute(delete(notices).where(
            notices.c.created_at < cutoff, notices.c.status.not_in(WAITING + ("sending",)),
            ~open_loan, ~open_claim)).rowcount


def _backoff(settings, attempts: int) -> timedelta:
    n = settings.notices
    minutes = n.retry_minutes * (2 ** max(attempts - 1, 0))
    return timedelta(minutes=min(minutes, n.max_retry_hours * 60))


class Sender:
    """One sending run over the due notices; `library_names` names a library id for the templates."""

    def __init__(self, engine, settings, library_names: dict[str, str] | None = None, dry_run: bool = False):
        self.engine, self.settings, self.dry_run = engine, settings, dry_run
        self.names = library_names or {}
        self.token = uuid.uuid4().hex[:16]
        self.templates: dict = {}
        self.mail_down = ""                   # why e-mail is off for the rest of this run
        self.lock = threading.Lock()

    def due_ids(self, now: datetime, limit: int | None) -> list[int]:
        with self.engine.connect() as conn:
            query = select(notices.c.id).where(notices.c.status.in_(WAITING), notices.c.next_attempt_at <= now) \
                .order_by(notices.c.next_attempt_at, notices.c.id)
            if limit:
                query = query.limit(limit)
            return list(conn.execute(query).scalars())

    def run(self, report: SendReport, now: datetime | None = None, limit: int | None = None) -> SendReport:
        """Send the due notices with `[notices] workers` threads, each with its own SMTP connection (the time
        goes in waiting for the server); the claim keeps two workers off one notice."""
        now = moment(now)
        work: queue_mod.SimpleQueue = queue_mod.SimpleQueue()
        for notice_id in self.due_ids(now, limit):
            work.put(notice_id)
        workers = [threading.Thread(target=self._worker, args=(work, report, now), daemon=True)
                   for _ in range(max(1, min(self.settings.notices.workers, work.qsize())))]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
        return report

    def _worker(self, work, report: SendReport, now: datetime) -> None:
        mailer, sms = Mailer(self.settings.notices, self.settings.base_uri), SmsGateway(self.settings.notices)
        try:
            while True:
                try:
                    notice_id = work.get_nowait()
                except queue_mod.Empty:
                    return
                try:
                    self.one(notice_id, report, now, mailer, sms)
                except Exception:        # noqa: BLE001 - the database away for a moment: the next run goes on
                    log.exception("notice %s", notice_id)
                    self._tally(report, "failed")
        finally:
            mailer.close()

    def _tally(self, report: SendReport, what: str, channel: str = "", problem: tuple | None = None) -> None:
        with self.lock:
            setattr(report, what, getattr(report, what) + 1)
            if channel:
                report.by_channel[channel] = report.by_channel.get(channel, 0) + 1
            if problem is not None:
                report.problems.append(problem)

    def _obsolete(self, conn, row) -> str:
        if row.kind in ("due_soon", "overdue") and row.loan_id is not None:
            loan = conn.execute(select(loans.c.returned_at, loans.c.due_date).where(loans.c.id == row.loan_id)).first()
            due = json.loads(row.params).get("due_date")
            if loan is None or loan.returned_at is not None:
                return "the loan was returned before the notice went out"
            if due and loan.due_date.isoformat() != due:
                return "the loan was renewed before the notice went out"
        if row.kind == "hold_ready" and row.hold_id is not None:
            status = conn.execute(select(holds.c.status).where(holds.c.id == row.hold_id)).scalar()
            if status is not None and status != hold_states.WAITING:
                return "the hold was collected or cancelled before the notice went out"
        if row.kind == "claim" and row.claim_id is not None:
            status = conn.execute(select(claims.c.status).where(claims.c.id == row.claim_id)).scalar()
            if status != "open":
                return "the claim was closed before the notice went out"
        return ""

    def _finish(self, notice_id: int, now: datetime, claimed: bool = False, **values) -> None:
        """Write a notice's outcome: after a send only over this run's own claim, before one only while the
        notice is still waiting (so a verdict never overwrites what another sender did meanwhile)."""
        guard = notices.c.claimed_by == self.token if claimed else notices.c.status.in_(WAITING)
        with self.engine.begin() as conn:
            conn.execute(update(notices).where(notices.c.id == notice_id, guard).values(updated_at=now, **values))

    def one(self, notice_id: int, report: SendReport, now: datetime, mailer: Mailer, sms: SmsGateway) -> None:
        with self.engine.connect() as conn:
            row = conn.execute(select(notices).where(notices.c.id == notice_id)).first()
            if row is None or row.status not in WAITING:
                return
            patron = conn.execute(select(patrons.c.name, patrons.c.email, patrons.c.phone, patrons.c.language)
                                  .where(patrons.c.id == row.patron_id)).first()
            stale = self._obsolete(conn, row)
            language = notice_text.language_of(patron.language if patron else None)
            parts = notice_text.effective(conn, row.library, row.kind, language, self.templates)
        if stale:
            self._tally(report, "obsolete")
            if not self.dry_run:
                self._finish(notice_id, now, status="obsolete", reason=stale)
            return
        channel, address, why = self._channel(patron, sms)
        if not channel:
            self._tally(report, "undeliverable", problem=(row.key, why))
            if not self.dry_run:
                self._finish(notice_id, now, status="undeliverable", reason=why, language=language)
            return
        try:
            rendered = notice_text.render(parts, {**json.loads(row.params), "patron": patron.name,
                                                  "library": self.names.get(row.library, row.library),
                                                  "portal": self.settings.base_uri}, language)
        except notice_text.TemplateProblem as exc:
            self._failed(row, now, report, f"template: {exc}")
            return
        if channel == "email" and (not mailer.configured or self.mail_down):
            if not self.dry_run:
                self._failed(row, now, report, self.mail_down or "no SMTP server configured ([notices] smtp_host)")
            else:
                self._tally(report, "failed")
            return
        if self.dry_run:
            self._tally(report, "sent", channel)
            return
        reference = mailer.message_id() if channel == "email" else row.key
        with self.engine.begin() as conn:          # the claim: committed before anything leaves
            won = conn.execute(update(notices).where(
                notices.c.id == notice_id, notices.c.status.in_(WAITING), notices.c.next_attempt_at <= now)
                .values(status="sending", claimed_at=_now(), claimed_by=self.token, channel=channel,
                        address=address, language=language, message_id=reference,
                        attempts=notices.c.attempts + 1, updated_at=now)).rowcount
        if not won:
            return                                 # another sender has it
        if channel == "email":
            outcome = mailer.send(address, rendered, reference)
        else:
            outcome = sms.send(address, rendered.sms, reference)
        if outcome.state == SENT:
            self._finish(notice_id, now, True, status="sent", sent_at=_now(), message_id=outcome.reference, reason="")
            self._tally(report, "sent", channel)
        elif outcome.state == UNCERTAIN:
            self._finish(notice_id, now, True, status="uncertain", reason=outcome.reason)
            self._tally(report, "uncertain", problem=(row.key, outcome.reason))
        else:
            attempts = row.attempts + 1
            self._finish(notice_id, now, True, status="failed", reason=outcome.reason,
                         next_attempt_at=now + _backoff(self.settings, attempts))
            self._tally(report, "failed", problem=(row.key, outcome.reason))
            if channel == "email" and mailer.client is None:
                self.mail_down = outcome.reason        # the server is away: the rest fail at once, to retry later

    def _failed(self, row, now: datetime, report: SendReport, reason: str) -> None:
        self._finish(row.id, now, status="failed", reason=reason, attempts=row.attempts + 1,
                     next_attempt_at=now + _backoff(self.settings, row.attempts + 1))
        self._tally(report, "failed", problem=(row.key, reason))

    def _channel(self, patron, sms: SmsGateway) -> tuple[str, str, str]:
        if patron is None:
            return "", "", "the patron no longer exists"
        if (patron.email or "").strip():
            return "email", patron.email.strip(), ""
        if (patron.phone or "").strip():
            if sms.configured:
                return "sms", patron.phone.strip(), ""
            return "", "", "only a phone number, and no SMS gateway is configured ([notices] sms_gateway_url)"
        return "", "", "no e-mail address or phone number"


def send(engine, settings, *, titles=None, library_names=None, now: datetime | None = None, today: date | None = None,
         dry_run: bool = False, limit: int | None = None) -> SendReport:
    """One notices run: mark stale `sending` rows uncertain, queue what the loans and claims call for today,
    then send every due notice of any kind (the holds' too). `dry_run`: count and render, write nothing."""
    now = moment(now)
    today = today or local_day(now)
    report = SendReport(dry_run=dry_run)
    if not dry_run:
        report.marked_uncertain = mark_stale(engine, settings, now)
        report.forgotten = prune(engine, settings, now)
    new = generate(engine, settings, today, titles, now, dry_run=dry_run)
    report.queued = len(new)
    sender = Sender(engine, settings, library_names, dry_run=dry_run)
    sender.run(report, now, limit)
    return report


def listing(engine, *, library: str | None = None, states=("undeliverable", "uncertain", "failed"),
            limit: int = 500) -> list[dict]:
    """Notices staff must act on (post, phone, check), newest first, with the patron's card and name."""
    query = (select(notices, patrons.c.card, patrons.c.name.label("patron_name"))
             .select_from(notices.join(patrons, patrons.c.id == notices.c.patron_id))
             .where(notices.c.status.in_(states)).order_by(notices.c.id.desc()).limit(limit))
    if library is not None:
        query = query.where(notices.c.library == library)
    with engine.connect() as conn:
        return [{"id": r.id, "key": r.key, "kind": r.kind, "status": r.status, "reason": r.reason,
                 "card": r.card, "patron": r.patron_name, "library": r.library, "channel": r.channel,
                 "address": r.address, "message_id": r.message_id, "attempts": r.attempts,
                 "params": json.loads(r.params), "created_at": aware(r.created_at).isoformat(timespec="seconds"),
                 "next_attempt_at": aware(r.next_attempt_at).isoformat(timespec="seconds")}
                for r in conn.execute(query)]


def requeue(engine, notice_id: int, library: str | None = None, now: datetime | None = None) -> bool:
    """Staff send an uncertain or undeliverable notice again (after checking it did not arrive, or after
    the patron's contact was corrected): back to `queued`."""
    now = moment(now)
    query = update(notices).where(notices.c.id == notice_id,
                                  notices.c.status.in_(("uncertain", "undeliverable", "failed")))
    if library is not None:
        query = query.where(notices.c.library == library)
    with engine.begin() as conn:
        return conn.execute(query.values(status="queued", next_attempt_at=now, updated_at=now,
                                         reason="")).rowcount == 1
