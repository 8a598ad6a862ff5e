"""OAI-PMH harvesting into the record store: incremental, resumable after kill -9, and losing nothing.

The run of one source is a window (`from`, `until`, set, metadataPrefix) walked page by page. The
checkpoint row holds the window and the resumption token of the next request, and is written before
each request: after a page has been upserted (one transaction), the token of the next page is saved.
A run killed anywhere therefore resumes by asking again for a page it may already have stored, and the
idempotent upsert makes that harmless. The next run's `from` is the provider's own `responseDate` of
the first response of the run that completed, cut to the provider's granularity: never the newest
record's datestamp (Koha, for one, stamps records in local time labelled UTC), and never our clock.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from lxml import etree

from core.clock import now
from core.locks import named_lock
from core.settings import did_you_mean
from harvest import alerts, attempts
from harvest.errors import HarvestError, HarvestFatal
from harvest.marcxml import _PARSER, local
from harvest.oai_client import OAIClient
from harvest.oai_page import OAIError, Page, parse_page
from harvest.progress import Progress
from harvest.store import RecordStore

log = logging.getLogger(__name__)

DAY = "YYYY-MM-DD"
SECONDS = "YYYY-MM-DDThh:mm:ssZ"
_DERIVED = re.compile(r"#(?:holdings|record):[^#]*$")


@dataclass
class HarvestSummary:
    source: str
    failed: bool = False
    error: str | None = None
    pages: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0
    quarantined: int = 0
    retries: int = 0
    elapsed: float = 0.0
    full: bool = False
    resumed: bool = False
    window_from: str | None = None
    next_from: str | None = None
    notes: list[str] = field(default_factory=list)
    attempt: int | None = None          # the harvest_attempts row of this run
    alert: str | None = None            # the mail this run sent its library (alerts.FAILED, RECOVERED)

    @property
    def records(self) -> int:
        """Records received in this run (deletes included: they are new, changed or unchanged rows too)."""
        return self.new + self.changed + self.unchanged

    @property
    def rate(self) -> float:
        return self.records / self.elapsed if self.elapsed > 0 else 0.0

    def line(self) -> str:
        how = "full" if self.full or not self.window_from else f"from {self.window_from}"
        if self.resumed:
            how += ", resumed"
        text = (f"{self.source}: {'FAILED' if self.failed else 'ok'} ({how}) - {self.pages} pages, "
                f"{self.new} new, {self.changed} changed, {self.unchanged} unchanged, {self.deleted} deleted, "
                f"{self.quarantined} quarantined in {self.elapsed:.1f} s ({self.rate:,.0f} records/s)")
        if self.retries:
            text += f", {self.retries} retries"
        if self.notes:
            text += "; " + "; ".join(self.notes)
        if self.error:
            text += f"; error: {self.error}"
        return text


def cut(datestamp: str | None, granularity: str) -> str | None:
    """A datestamp in the provider's granularity (a `from` the provider accepts)."""
    if not datestamp:
        return None
    datestamp = datestamp.strip()
    if granularity == SECONDS and len(datestamp) >= 19 and datestamp[10] == "T":
        return datestamp[:19] + "Z"
    return datestamp[:10]


def harvest_sources(settings, store: RecordStore, source_ids: list[str] | None = None, full: bool = False,
                    progress: bool = True, out=None) -> list[HarvestSummary]:
    """Harvest each source in turn; a failing source is reported and never stops the others."""
    out = out or sys.stdout
    if source_ids:
        sources = [settings.source(source_id) for source_id in source_ids]
    else:
        sources = [s for s in settings.sources if s.oai_url]
    summaries = []
    for source in sources:
        summary = harvest_source(settings, store, source, full=full, progress=progress)
        print(summary.line(), file=out, flush=True)
        summaries.append(summary)
    return summaries


def harvest_source(settings, store: RecordStore, source, full: bool = False, progress=None) -> HarvestSummary:
    """Harvest one source (resuming an interrupted run); errors end up in the summary, not raised."""
    summary = HarvestSummary(source.id, full=full)
    started = time.monotonic()
    if not source.oai_url:
        summary.failed, summary.error = True, "source has no oai_url (its records arrive by `grenselos import`)"
        return summary
    lock = _lock(settings, source.id, store.engine)
    if lock is None:
        summary.failed, summary.error = True, "another harvest of this source is running (lock held); skipped"
        return summary
    bar = progress if isinstance(progress, Progress) else Progress(source.id, enabled=bool(progress))
    client = OAIClient.for_source(source, settings.harvest)
    attempt = None
    try:
        attempt = attempts.begin(store.engine, source.id)
        summary.attempt = attempt
        SourceRun(store, source, client, summary, bar).run(full)
    except Exception as exc:      # one source's failure, whatever it is, must not stop the others
        summary.failed = True
        summary.error = str(exc) if isinstance(exc, HarvestError) else f"unexpected {type(exc).__name__}: {exc}"
        if not isinstance(exc, HarvestError):
            log.exception("harvest of %s failed", source.id)
        try:
            # Only a run that had begun its list is "failed" (and resumed next time); a failure before
            # that (Identify, the lock, the network) leaves the last completed run's window in charge.
            running = (store.checkpoint(source.id) or {}).get("status") in ("running", "failed")
            extra = {"status": "failed"} if running else {}
            store.save_checkpoint(source.id, last_error=summary.error[:4000], **extra)
        except Exception:         # the store itself is down: the summary still says why
            log.exception("could not record the failure of %s", source.id)
    finally:
        summary.retries = client.retries_done
        client.close()
        bar.close()
        summary.elapsed = time.monotonic() - started
        _finish_attempt(store, attempt, summary)
        lock.close()
    if attempt is not None:
        summary.alert = alerts.after_attempt(settings, store.engine, source)
    return summary


def _finish_attempt(store: RecordStore, attempt: int | None, summary: HarvestSummary) -> None:
    if attempt is None:
        return
    try:
        attempts.finish(store.engine, attempt, attempts.outcome(summary.failed, summary.quarantined),
                        records=summary.records, deletes=summary.deleted, quarantined=summary.quarantined,
                        error=summary.error)
    except Exception:             # the store is down: the summary and the log still say what happened
        log.exception("could not record the attempt of %s", summary.source)


def _lock(settings, source_id: str, engine=None):
    """An exclusive lock per source, so that overlapping runs (cron, the scheduler, a run by hand) never share
    a checkpoint: `core.locks.named_lock`, so on PostgreSQL also across machines. Its `close()` releases it."""
    stack = ExitStack()
    if stack.enter_context(named_lock(engine, settings.data_dir, f"harvest-{source_id}")):
        return stack
    stack.close()
    return None


class SourceRun:
    """One harvest of one source: the window, the page loop, and the deletes pass."""

    def __init__(self, store: RecordStore, source, client: OAIClient, summary: HarvestSummary, bar: Progress):
        self.store, self.source, self.client, self.summary, self.bar = store, source, client, summary, bar
        self.granularity = DAY
        self.has_holdings = False
        self.total_pages = 0
        self.records_seen = 0

    # -- the run -----------------------------------------------------------------------------

    def run(self, full: bool) -> None:
        source, store = self.source, self.store
        cp = store.checkpoint(source.id) or {}
        set_spec = source.set or None
        same_list = (cp.get("metadata_prefix") == source.metadata_prefix and (cp.get("set_spec") or None) == set_spec)
        resume = not full and cp.get("status") in ("running", "failed") and same_list
        if not full and cp.get("next_from") and not same_list:
            self.summary.notes.append("metadata prefix or set changed since the last run: harvesting in full")
        self.granularity = self._granularity()
        if resume:
            window_from, window_until, token = cp.get("window_from"), cp.get("window_until"), cp.get("token")
            self.summary.resumed = True
            self.total_pages, self.records_seen = cp.get("pages") or 0, cp.get("records_seen") or 0
            store.save_checkpoint(source.id, status="running", last_error=None)
        else:
            window_from = None if full or not same_list else cut(cp.get("next_from"), self.granularity)
            window_until, token = None, None
            store.save_checkpoint(source.id, status="running", metadata_prefix=source.metadata_prefix,
                                  set_spec=set_spec, window_from=window_from, window_until=window_until,
                                  token=None, started_at=now(), pages=0, records_seen=0, last_error=None)
        self.summary.window_from = window_from
        self.has_holdings = store.has_holdings(source.id)
        # A window walked from its start (fresh, or resumed before any token) takes its first responseDate.
        self._list_records(window_from, window_until, token, first_of_run=not token)
        next_from = (store.checkpoint(source.id) or {}).get("next_from")
        self.summary.next_from = next_from
        store.save_checkpoint(source.id, status="idle", token=None, last_harvest=now(), last_error=None)
        if not source.reports_deletes:
            try:
                self._find_deletes(next_from)
            except HarvestError as exc:
                self.summary.failed, self.summary.error = True, f"ListIdentifiers pass for deletes: {exc}"
                store.save_checkpoint(source.id, last_error=self.summary.error[:4000])

    def _granularity(self) -> str:
        if self.source.granularity:
            return SECONDS if "T" in self.source.granularity else DAY
        try:
            response = self.client.harvest(verb="Identify")
            root = etree.fromstring(response.content, _PARSER)
            for element in root.iter():
                if local(element.tag) == "granularity":
                    return SECONDS if "T" in (element.text or "") else DAY
        except HarvestFatal:
            raise
        except (HarvestError, etree.XMLSyntaxError) as exc:
            self.summary.notes.append(f"Identify unreadable ({type(exc).__name__}); assuming day granularity")
        return DAY

    def _offered_formats(self) -> str:
        """What the provider offers instead of a metadata_prefix it refused (the set is the provider's, so it
        can only be known here, not when the settings are read)."""
        try:
            response = self.client.harvest(verb="ListMetadataFormats")
            root = etree.fromstring(response.content, _PARSER)
        except (HarvestError, etree.XMLSyntaxError):
            return ""
        offered = [e.text.strip() for e in root.iter() if local(e.tag) == "metadataPrefix" and e.text]
        if not offered:
            return ""
        return (f" (the provider offers {', '.join(offered)}: set metadata_prefix of source "
                f"{self.source.id!r}{did_you_mean(self.source.metadata_prefix, offered)})")

    def _params(self, verb: str, token: str | None, window_from: str | None, window_until: str | None) -> dict:
        if token:
            return {"verb": verb, "resumptionToken": token}
        params = {"verb": verb, "metadataPrefix": self.source.metadata_prefix}
        if window_from:
            params["from"] = cut(window_from, self.granularity)
        if window_until:
            params["until"] = cut(window_until, self.granularity)
        if self.source.set:
            params["set"] = self.source.set
        return params

    def _list_records(self, window_from, window_until, token, first_of_run: bool) -> None:
        seen = {token} if token else set()
        resumed_token = token
        while True:
            params = self._params("ListRecords", token, window_from, window_until)
            response = self.client.harvest(**params)
            try:
                page = parse_page(response.content, "ListRecords", response.url)
            except OAIError as exc:
                if exc.code == "badResumptionToken" and token and token == resumed_token:
                    # The token saved by an interrupted run has expired: walk the same window again.
                    self.summary.notes.append("saved resumption token expired; restarted the window")
                    token = resumed_token = None
                    seen.clear()
                    self.store.save_checkpoint(self.source.id, token=None)
                    continue
                if exc.code == "badResumptionToken":
                    raise HarvestFatal(f"{exc}; the provider rejected resumption token {token!r} (expired or "
                                       f"invalid); checkpoint kept, the next run restarts this window") from None
                if exc.code == "cannotDisseminateFormat":
                    raise HarvestFatal(f"{exc}{self._offered_formats()}") from None
                raise HarvestFatal(str(exc)) from None
            resumed_token = None
            self._store_page(page, response.url, response.content)
            if page.broken and page.token is None and not page.token_found:
                raise HarvestFatal(f"{response.url}: {page.broken}; its resumption token cannot be read, so the "
                                   f"list cannot go on (page quarantined, checkpoint kept)")
            next_token = page.token
            if next_token and next_token in seen:
                raise HarvestFatal(f"{response.url}: the provider sent resumption token {next_token!r} a second "
                                   f"time (it would loop forever); stopped, checkpoint kept")
            self.total_pages += 1
            self.records_seen += len(page.records)
            values = {"token": next_token, "pages": self.total_pages, "records_seen": self.records_seen}
            if first_of_run:
                values["next_from"] = self._next_from(page.response_date)
                first_of_run = False
            self.store.save_checkpoint(self.source.id, **values)
            self.bar.update(self.summary.pages, self.summary.records, page.complete_list_size)
            if not next_token:
                return
            seen.add(next_token)
            token = next_token

    def _next_from(self, response_date: str | None) -> str | None:
        if response_date:
            return cut(response_date, self.granularity)
        # A provider that omits responseDate: our clock, a day back, so clock skew cannot open a gap.
        self.summary.notes.append("no responseDate; next from is our clock minus one day")
        return cut((datetime.now(timezone.utc) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                   self.granularity)

    def _store_page(self, page: Page, url: str, raw: bytes) -> None:
        source, store, summary = self.source.id, self.store, self.summary
        if page.broken:
            store.quarantine(source, page.broken, location=url, raw=raw)
            summary.notes.append(f"page {self.total_pages + 1} not well-formed, salvaged")
        for problem in page.problems:
            store.quarantine(source, problem.cause, identifier=problem.identifier, location=url, raw=problem.raw)
        summary.quarantined += len(page.problems) + (1 if page.broken else 0)
        if any(r.record_type == "holdings" for r in page.records):
            self.has_holdings = True
        stale = self._stale_holdings(page) if self.has_holdings else []
        result = store.upsert(source, page.records)
        if stale:
            result.deleted += store.mark_deleted(source, stale)
        summary.pages += 1
        summary.new += result.new
        summary.changed += result.changed
        summary.unchanged += result.unchanged
        summary.deleted += result.deleted
        summary.quarantined += result.errors

    def _stale_holdings(self, page: Page) -> list[str]:
        """Holdings rows of a bib that the provider no longer sends with it (or whose bib was deleted)."""
        incoming = {r.identifier for r in page.records}
        stale = []
        for rec in page.records:
            if "#" in rec.identifier:
                continue
            number = rec.control_number
            if rec.deleted or number is None:
                old = self.store.get(self.source.id, rec.identifier)
                number = old.control_number if old else None
            if not number:
                continue
            prefix = rec.identifier + "#"
            stale += [h.identifier for h in self.store.holdings_for(self.source.id, number)
                      if h.identifier.startswith(prefix) and (rec.deleted or h.identifier not in incoming)]
        return stale

    # -- providers that do not report deletes --------------------------------------------------

    def _find_deletes(self, datestamp: str | None) -> None:
        """List every identifier the provider still has; what the store holds beyond that was deleted."""
        listed: set[str] = set()
        token, seen = None, set()
        while True:
            response = self.client.harvest(**self._params("ListIdentifiers", token, None, None))
            try:
                page = parse_page(response.content, "ListIdentifiers", response.url)
            except OAIError as exc:
                raise HarvestFatal(str(exc)) from None
            if page.broken:
                self.store.quarantine(self.source.id, page.broken, location=response.url, raw=response.content)
                self.summary.notes.append("a ListIdentifiers page was broken: no deletes inferred this time")
                return
            listed.update(identifier for identifier, _stamp, deleted in page.headers if not deleted)
            if not page.token:
                break
            if page.token in seen:
                raise HarvestFatal(f"{response.url}: resumption token {page.token!r} repeated in ListIdentifiers")
            seen.add(page.token)
            token = page.token
        if not listed:
            self.summary.notes.append("ListIdentifiers listed nothing: no deletes inferred (safety)")
            return
        gone = [i for i in self.store.identifiers(self.source.id) if _DERIVED.sub("", i) not in listed]
        if gone:
            count = self.store.mark_deleted(self.source.id, gone, datestamp=datestamp)
            self.summary.deleted += count
            self.summary.notes.append(f"{count} found deleted by ListIdentifiers")
