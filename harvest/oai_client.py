"""The request layer under the OAI-PMH harvester: sickle's client with the faults of real servers handled.

sickle 0.7 has no default timeout, retries only 503 (and crashes on a `Retry-After` given as an HTTP
date), never retries a dropped connection, and re-parses a response every time it is looked at. This
subclass keeps sickle's shape (an endpoint, `harvest(**params)` per request) and adds: a deadline on
every request as a whole, retries with capped exponential backoff on connection errors, timeouts,
truncated bodies and 5xx, `Retry-After` in both of its forms, and a hard cap on attempts. It returns
the raw bytes, because the harvester must be able to keep (quarantine) a page it cannot parse.
"""

from __future__ import annotations

import email.utils
import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlencode

import requests
from sickle import Sickle

from core.errors import reason
from harvest.errors import HarvestFatal

log = logging.getLogger(__name__)

#: Statuses worth asking again: the server is busy or broken for the moment, not refusing us.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_CLOSING_ROOT = re.compile(rb"</(?:[\w.-]+:)?OAI-PMH\s*>")


class TransientError(Exception):
    """One attempt failed in a way that a later attempt may not (the caller retries)."""

    def __init__(self, cause: str, wait: float | None = None):
        self.cause, self.wait = cause, wait
        super().__init__(cause)


@dataclass(frozen=True)
class RawResponse:
    """What one OAI-PMH request brought back, before any parsing."""
    url: str
    params: dict
    content: bytes
    status: int
    attempts: int


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds to wait: either delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class OAIClient(Sickle):
    """sickle's client for one endpoint, with timeouts, retries and backoff on every request."""

    def __init__(self, endpoint: str, *, timeout: float = 60, max_retries: int = 5, backoff: float = 2.0,
                 max_backoff: float = 120.0, user_agent: str = "Grenseløs", sleep=time.sleep):
        super().__init__(endpoint, max_retries=max_retries, timeout=timeout)
        self.timeout = float(timeout)
        self.backoff = float(backoff)
        self.max_backoff = float(max_backoff)
        self.sleep = sleep
        self.session = requests.Session()
        self.session.headers["User-Agent"] = user_agent
        self.session.headers["Accept-Encoding"] = "gzip, deflate"
        self.retries_done = 0

    @classmethod
    def for_source(cls, source, harvest_settings, **kw) -> "OAIClient":
        h = harvest_settings
        return cls(source.oai_url, timeout=h.timeout, max_retries=h.max_retries, backoff=h.backoff,
                   max_backoff=h.max_backoff, user_agent=h.user_agent, **kw)

    def close(self) -> None:
        self.session.close()

    def url_for(self, params: dict) -> str:
        return f"{self.endpoint}{'&' if '?' in self.endpoint else '?'}{urlencode(params)}"

    def harvest(self, **params) -> RawResponse:
        """One OAI-PMH request, retried until it succeeds or the retry cap is reached."""
        url = self.url_for(params)
        attempt = 0
        while True:
            attempt += 1
            try:
                status, content = self._fetch(params)
                return RawResponse(url, dict(params), content, status, attempt)
            except TransientError as exc:
                if attempt > self.max_retries:
                    raise HarvestFatal(f"{url}: gave up after {attempt} attempts; last: {exc.cause}") from None
                wait = self.backoff * (2 ** (attempt - 1))
                if exc.wait is not None:
                    wait = max(exc.wait, 0.0)
                wait = min(wait, self.max_backoff)
                log.warning("%s: %s; retry %d of %d in %.1f s", url, exc.cause, attempt, self.max_retries, wait)
                self.retries_done += 1
                self.sleep(wait)

    def _fetch(self, params: dict) -> tuple[int, bytes]:
        deadline = time.monotonic() + self.timeout
        try:
            response = self.session.get(self.endpoint, params=params, timeout=self.timeout, stream=True)
        except requests.Timeout:
            raise TransientError(f"no answer within {self.timeout:g} s") from None
        except requests.RequestException as exc:
            raise TransientError(f"connection failed: {reason(exc)}") from None
        with response:
            if response.status_code in RETRY_STATUSES:
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                raise TransientError(f"HTTP {response.status_code} {response.reason or ''}".strip(), wait)
            if response.status_code >= 400:
                raise HarvestFatal(f"{self.url_for(params)}: HTTP {response.status_code} {response.reason or ''}"
                                   .strip())
            chunks = []
            try:
                for chunk in response.iter_content(chunk_size=256 * 1024):
                    chunks.append(chunk)
                    if time.monotonic() > deadline:
                        raise TransientError(f"response not complete within {self.timeout:g} s")
            except requests.Timeout:
                raise TransientError(f"response stalled for {self.timeout:g} s") from None
            except requests.RequestException as exc:
                raise TransientError(f"connection dropped mid-response: {reason(exc)}") from None
        content = b"".join(chunks)
        if not content.strip():
            raise TransientError("empty response body")
        if not _CLOSING_ROOT.search(content[-65536:]) and b"OAI-PMH" in content[:4096]:
            # A page cut off in transit is not a bad page from the provider: ask again.
            raise TransientError(f"response cut off after {len(content)} bytes")
        return response.status_code, content
