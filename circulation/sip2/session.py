"""One kiosk's conversation: each request frame in, exactly one response frame out (one round trip per
transaction, so a kiosk on a slow mobile link waits one latency, not several).

The session speaks SIP2 and nothing else: every decision (may this patron borrow, is the PIN right, is a
hold waiting) is the circulation service's, and its stable reason codes become SIP2 flags and a screen
message in the patron's language. A frame we cannot read is answered with 96 (resend), a request with a
missing field with its own response marked not ok, and neither closes the line. The last response is kept
for 97, since a kiosk asks for it again when our answer was lost or garbled on the way.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import logging
import threading
import time as time_
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from functools import lru_cache
from pathlib import Path

from circulation import offline, reasons as circ_reasons
from circulation.results import LoanResult, ReturnResult
from circulation.service import LOCAL
from circulation.sip2 import codec
from vocab import statuses

log = logging.getLogger(__name__)

#: The messages this server answers, as the 98 response's BX flags list them (SIP2 2.00 order).
SUPPORTED = ("23", "11", "09", "01", "99", "97", "93", "63", "35", "37", "17", "19", "25", "15", "29", "65")
SERVED = {"23", "11", "09", "17", "35", "63", "29", "93", "97", "99"}
#: SIP2 language codes for the patron languages we keep (nb/nn share "Norwegian"; Sami has no code).
SIP_LANGUAGE = {"en": "001", "nb": "012", "nn": "012"}
#: SIP2 dates carry no zone ("ZZZZ" blank): they are the kiosk's local time, which is the region's (LOCAL).



class LoginGuard:
    """Failed kiosk logins per client address, shared by all connections: past `limit` within `window`
    seconds an address's logins are refused unchecked, so a kiosk password cannot be guessed by
    reconnecting."""

    def __init__(self, limit: int = 10, window: float = 900, clock=None):
        self.limit, self.window, self.clock = limit, window, clock or time_.monotonic
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str) -> list[float]:
        cutoff = self.clock() - self.window
        kept = [t for t in self._failures.get(address, []) if t > cutoff]
        self._failures[address] = kept
        return kept

    def blocked(self, address: str) -> bool:
        with self._lock:
            return len(self._recent(address)) >= self.limit

    def failed(self, address: str) -> None:
        with self._lock:
            self._recent(address).append(self.clock())


@dataclass(frozen=True)
class Account:
    """A kiosk's login (`[[sip2.accounts]]`): it lends and returns for one library (the institution id)."""
    login: str
    password: str
    library: str
    encoding: str = ""


@lru_cache(maxsize=1)
def _messages() -> dict[str, dict[str, str]]:
    path = Path(__file__).with_name("screen_messages.tsv")
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return {row["key"]: row for row in csv.DictReader(lines, delimiter="\t")}


def screen_message(key: str, language: str = "nb") -> str:
    row = _messages().get(key) or _messages()["error"]
    return row.get(language) or row["nb"]


def _yn(flag: bool) -> str:
    return "Y" if flag else "N"


def _due(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time(23, 59, 59))
    return None


class Session:
    def __init__(self, service, accounts: dict[str, Account], peer: str = "", clock=lambda: datetime.now(LOCAL),
                 guard: LoginGuard | None = None):
        self.service, self.accounts, self.peer, self.clock = service, accounts, peer, clock
        self.guard = guard or LoginGuard()
        self.account: Account | None = None
        self.last_response: bytes | None = None
        self.last_request: bytes | None = None
        #: card → language of the patrons this kiosk has looked up (one at a time, so this stays tiny).
        self.languages: dict[str, str] = {}
        self.encoding = "cp850"

    # -- framing -------------------------------------------------------------------------------------
    def handle(self, frame: bytes) -> bytes:
        """The one response to one request frame; never raises for what a client sends."""
        forced = self.account.encoding if self.account and self.account.encoding else None
        try:
            message = codec.parse(frame, forced)
        except codec.BadChecksum:
            return codec.resend_request(with_checksum=True)
        except codec.Malformed as exc:
            log.info("sip2 %s: malformed frame (%s): %r", self.peer, exc, frame[:80])
            return codec.resend_request(with_checksum=b"AZ" in frame[-8:])
        if message.command == "97":
            return self.last_response or codec.resend_request(message.checksummed)
        request = frame.rstrip(b"\r\n")
        if message.sequence is not None and request == self.last_request and self.last_response:
            # The same frame with the same AY sequence is the kiosk retrying after our answer was lost:
            # answer it again rather than renew (or check out) twice.
            return self.last_response
        if message.encoding == "utf-8" and any(b > 127 for b in frame):
            self.encoding = "utf-8"
        elif message.encoding == "cp850" and any(b > 127 for b in frame):
            self.encoding = "cp850"
        elif forced:
            self.encoding = forced
        try:
            command, fixed, fields = self.dispatch(message)
        except codec.Malformed as exc:
            log.info("sip2 %s: unreadable %s (%s)", self.peer, message.command, exc)
            return codec.resend_request(message.checksummed)
        except Exception:                                 # the kiosk gets an answer; the log gets the cause
            log.exception("sip2 %s: %s failed", self.peer, message.command)
            command, fixed, fields = self.failure(message, "error")
        if command is None:
            return codec.resend_request(message.checksummed)
        response = codec.build(command, fixed, fields, message.sequence, message.checksummed, self.encoding)
        self.last_response, self.last_request = response, request
        return response

    def dispatch(self, message: codec.Message):
        command = message.command
        if command == "93":
            return self.login(message)
        if command == "99":
            return self.status(message)
        if self.account is None:
            return self.failure(message, "not_logged_in")
        return getattr(self, "on_" + command)(message)

    def now(self) -> datetime:
        return self.clock().replace(microsecond=0)

    @staticmethod
    def _offline_time(message, name: str) -> datetime | None:
        """When a no-block (offline) transaction really happened: the kiosk's date, in local time."""
        if message.fixed["no_block"] != "Y":
            return None
        moment = codec.parse_date(message.fixed[name])
        # In UTC: SQLite keeps a datetime's wall time and drops its zone, so only UTC reads back the same.
        return moment.replace(tzinfo=LOCAL).astimezone(timezone.utc) if moment else None

    def client(self) -> str:
        return f"sip2:{self.account.login}" if self.account else f"sip2:{self.peer}"

    # -- responses -----------------------------------------------------------------------------------
    def login(self, message):
        login, password = message.get("CN"), message.get("CO")
        address = self.peer.rsplit(":", 1)[0]
        account = self.accounts.get(login)
        ok = not self.guard.blocked(address) and account is not None and \
            hmac.compare_digest(account.password.encode(), password.encode())
        self.account = account if ok else None
        if not ok:
            self.guard.failed(address)
            log.warning("sip2 %s: refused login %r", self.peer, login)
        return "94", ["1" if ok else "0"], []

    def status(self, message):
        library = self.account.library if self.account else ""
        online = self.account is not None
        flags = "".join(_yn(code in SERVED) for code in SUPPORTED)
        return "98", [_yn(online), _yn(online), _yn(online), _yn(online), "N", "Y", "010", "003",
                      codec.format_date(self.now()), "2.00"], [
            ("AO", library), ("AM", library), ("BX", flags), ("AN", self.account.login if online else "")]

    @staticmethod
    def _pin(message) -> str | None:
        """The PIN the kiosk sent, or None: an empty AD (required in 23, "no PIN" to kiosks) is no PIN."""
        return message.get("AD") or None

    def _patron(self, card: str, pin: str | None):
        """(patron status or None, refusal reason or "", PIN checked ok / wrong / not asked = True/False/None)."""
        if pin is None:
            return self.service.patron_status(card), "", None
        auth = self.service.authenticate_patron(card, pin, client=self.client())
        if not auth.ok:
            return None, auth.reason, False
        return self.service.patron_status(card), "", True

    @staticmethod
    def _language(patron) -> str:
        return getattr(patron, "language", "nb") or "nb"

    @staticmethod
    def _patron_status(status) -> str:
        """The 14-character patron status: Y where a privilege is denied (charge, renew, recall, hold; too
        many items charged or overdue)."""
        patron = getattr(status, "patron", None)
        if patron is None:
            return "Y" * 4 + " " * 10
        blocked = patron.status != "active"
        flags = [("Y" if blocked else " ")] * 4 + [" "] * 10
        if status.loan_limit and status.loans >= status.loan_limit:
            flags[0] = flags[5] = "Y"
        if blocked and status.overdue:
            flags[6] = "Y"
        return "".join(flags)

    def _patron_head(self, message):
        card, pin = message.get("AA"), self._pin(message)
        if not card:
            raise codec.Malformed("AA (patron identifier) is required")
        status, refusal, pin_ok = self._patron(card, pin)
        patron = getattr(status, "patron", None) if status is not None else None
        refusal = refusal or (status.reason if status is not None and not status.ok else "")
        language = self._language(patron) if patron else "nb"
        if patron is not None:
            self.languages = {card: language}
        fields = [("AO", self.account.library), ("AA", card), ("AE", patron.name if patron else ""),
                  ("BL", _yn(patron is not None or refusal == "bad_pin"))]
        if pin is not None:
            fields.append(("CQ", _yn(bool(pin_ok))))
        if refusal:
            fields.append(("AF", screen_message(refusal, language)))
        return status if patron else None, patron, self._patron_status(status), \
            SIP_LANGUAGE.get(language, "000"), fields

    def on_23(self, message):
        _, _, status, language, fields = self._patron_head(message)
        return "24", [status, language, codec.format_date(self.now())], fields

    def on_63(self, message):
        result, patron, status, language, fields = self._patron_head(message)
        good = result is not None
        charged = tuple(getattr(result, "charged", ())) if good else ()
        overdue = tuple(getattr(result, "overdue_items", ())) if good else ()
        holds = getattr(result, "holds", 0) if good else 0
        counts = [f"{min(n, 9999):04d}" for n in (holds, len(overdue), len(charged), 0, 0, 0)]
        summary = message.fixed.get("summary", " " * 10)
        first, last = message.get("BP"), message.get("BQ")
        start = int(first) if first.isdigit() and int(first) > 0 else 1
        end = int(last) if last.isdigit() else 9999
        head, tail = fields[:4], fields[4:]
        if good:
            head += [("BZ", f"{min(getattr(result, 'hold_limit', 0), 9999):04d}"),
                     ("CB", f"{min(getattr(result, 'loan_limit', 0), 9999):04d}")]
            if self._pin(message):                     # contact details only to a patron who gave the PIN
                head.append(("BE", getattr(patron, "email", "") or None))
        if summary[1:2] == "Y":
            head += [("AT", b) for b in overdue[start - 1:end]]
        elif summary[2:3] == "Y":
            head += [("AU", b) for b in charged[start - 1:end]]
        return "64", [status, language, codec.format_date(self.now()), *counts], head + tail

    def _pin_refusal(self, message):
        """A refusal reason when the kiosk sent a PIN (AD) and it is wrong, else None."""
        if self._pin(message) is None:
            return None, None
        result = self.service.authenticate_patron(message.get("AA"), self._pin(message), client=self.client())
        patron = getattr(result, "patron", None)
        return (None if result.ok else result.reason), patron

    def on_11(self, message):
        card, barcode = message.get("AA"), message.get("AB")
        no_block = message.fixed["no_block"] == "Y"
        when = self._offline_time(message, "transaction_date")
        if not card or not barcode:
            return self.failure(message, "missing_field")
        refusal, patron = self._pin_refusal(message)
        if refusal:
            result = None
        else:
            result = self._no_block("checkout", barcode, when, card) if no_block else \
                self.service.checkout(card, barcode, self.account.library, at=when, desk=self.client(),
                                      channel="sip2")
            refusal = None if result.ok else result.reason
        loan, item = (getattr(result, "loan", None), getattr(result, "item", None)) if result else (None, None)
        language = self._language(patron) if patron else self._patron_language(card)
        title = (loan.title if loan else getattr(item, "title", "")) or ""
        due = _due(loan.due_date) if loan else None
        ok = refusal is None
        text = f"{screen_message('ok_checkout', language)} {due:%d.%m.%Y}" if ok and due else \
            screen_message(refusal or "error", language)
        fields = [("AO", self.account.library), ("AA", card), ("AB", barcode), ("AJ", title),
                  ("AH", codec.format_date(due) if due else ""), ("CK", "001"), ("AF", text)]
        renewal = bool(result and getattr(result, "repeat", False))
        return "12", ["1" if ok else "0", _yn(renewal), "N", _yn(ok), codec.format_date(self.now())], fields

    def _no_block(self, kind: str, barcode: str, when: datetime | None, card: str = ""):
        """A kiosk's no-block (offline) transaction under the offline conflict rule (`circulation.offline`):
        its id is derived from the kiosk, the message and its time, so a kiosk sending its store twice
        changes nothing."""
        when = when or datetime.now(timezone.utc)
        key = "\x1f".join((self.client(), kind, card, barcode, when.isoformat()))
        t = offline.Transaction("sip2-" + hashlib.sha256(key.encode()).hexdigest()[:40], kind, barcode, when, card)
        done = offline.Offline(self.service).apply_one(t, self.account.library, desk=self.client(), channel="sip2")
        if done.result is not None:
            return done.result
        accepted = done.outcome in (offline.APPLIED, offline.RESOLVED)
        if kind == "checkout":
            if accepted:                                  # a resend: the loan it made, nothing written
                return self.service.checkout(card, barcode, self.account.library, at=when, desk=self.client(),
                                             no_block=True, channel="sip2")
            return LoanResult(False, done.reason, item=self.service.item(barcode))
        return ReturnResult(True, circ_reasons.NOT_ON_LOAN if not accepted else circ_reasons.OK,
                            self.service.item(barcode))

    def _patron_language(self, card: str) -> str:
        if card in self.languages:
            return self.languages[card]
        try:
            patron = self.service.patron(card)
        except Exception:                                 # a message language is not worth failing a loan
            return "nb"
        language = self._language(patron) if patron is not None else "nb"
        self.languages = {card: language}
        return language

    def on_09(self, message):
        barcode = message.get("AB")
        if not barcode:
            return self.failure(message, "missing_field")
        no_block = message.fixed["no_block"] == "Y"
        when = self._offline_time(message, "return_date") or self._offline_time(message, "transaction_date")
        result = self._no_block("checkin", barcode, when) if no_block else \
            self.service.checkin(barcode, self.account.library, at=when)
        item = getattr(result, "item", None)
        reason = result.reason
        ok = result.ok or reason == "not_on_loan"          # a returned book scanned twice is still returned
        transit = ok and getattr(result, "destination", "") == "transit"
        held = ok and getattr(result, "hold_id", None) is not None
        if not ok:
            text = screen_message(reason)
        elif held:                 # a hold wants it: the desk, not the return shelf (alert 01 here, 02 elsewhere)
            text = screen_message("ok_checkin") + " " + screen_message("hold_transit" if transit else "hold_shelf")
        elif reason == "not_on_loan":
            text = screen_message("not_on_loan")
        else:
            text = screen_message("ok_checkin") + " " + screen_message("transit" if transit else "to_shelf")
        fields = [("AO", self.account.library), ("AB", barcode),
                  ("AQ", getattr(item, "home_library", "") or self.account.library),
                  ("AJ", getattr(item, "title", "") or "")]
        if held:
            fields += [("CT", self.service.source_of(result.to_library)), ("CV", "02"), ("CL", "3")] if transit \
                else [("CV", "01"), ("CL", "3")]
        elif transit:
            fields += [("CT", getattr(result, "to_library", "")), ("CV", "04"), ("CL", "2")]
        elif ok:
            fields.append(("CL", "1"))
        fields.append(("AF", text))
        return "10", ["1" if ok else "0", _yn(ok), "N", _yn(transit or held or not ok),
                      codec.format_date(self.now())], \
            fields

    def on_29(self, message):
        card, barcode = message.get("AA"), message.get("AB")
        if not card or not barcode:
            return self.failure(message, "missing_field")
        refusal, patron = self._pin_refusal(message)
        result = None
        if not refusal:
            result = self.service.renew(card, barcode, channel="sip2")
            refusal = None if result.ok else result.reason
            refusal = "renew_not_on_loan" if refusal == "not_on_loan" else refusal
        loan, item = (getattr(result, "loan", None), getattr(result, "item", None)) if result else (None, None)
        language = self._language(patron) if patron else self._patron_language(card)
        due = _due(loan.due_date) if loan else None
        ok = refusal is None
        text = f"{screen_message('ok_renew', language)} {due:%d.%m.%Y}" if ok and due else \
            screen_message(refusal or "error", language)
        fields = [("AO", self.account.library), ("AA", card), ("AB", barcode),
                  ("AJ", (loan.title if loan else getattr(item, "title", "")) or ""),
                  ("AH", codec.format_date(due) if due else ""), ("AF", text)]
        return "30", ["1" if ok else "0", _yn(ok), "N", _yn(ok), codec.format_date(self.now())], fields

    def on_17(self, message):
        barcode = message.get("AB")
        if not barcode:
            return self.failure(message, "missing_field")
        item = self.service.item(barcode)
        if item is not None and hasattr(item, "ok") and not hasattr(item, "barcode"):
            item = getattr(item, "item", None) if item.ok else None
        fixed = lambda circ: [circ, "00", "01", codec.format_date(self.now())]   # noqa: E731
        if item is None:
            return "18", fixed("01"), [("AB", barcode), ("AJ", ""), ("AF", screen_message("not_found"))]
        due = _due(getattr(item, "due_date", None))
        fields = [("CF", str(getattr(item, "holds_waiting", 0) or 0)), ("AH", codec.format_date(due) if due else None),
                  ("AB", barcode), ("AJ", item.title or ""), ("BG", getattr(item, "home_library", "")),
                  ("AQ", getattr(item, "home_library", "")), ("AP", getattr(item, "location", "") or None),
                  ("CK", "001")]
        return "18", fixed(statuses.get(item.status).sip2), fields

    def on_35(self, message):
        return "36", ["Y", codec.format_date(self.now())], [("AO", self.account.library),
                                                            ("AA", message.get("AA"))]

    def failure(self, message, key: str):
        """The request's own response marked not ok (a missing field, not signed in, an error on our side)."""
        now = codec.format_date(self.now())
        library = self.account.library if self.account else ""
        card, barcode, text = message.get("AA"), message.get("AB"), screen_message(key)
        shapes = {
            "23": ("24", ["Y" * 4 + " " * 10, "000", now], [("AO", library), ("AA", card), ("AE", ""),
                                                            ("BL", "N"), ("AF", text)]),
            "63": ("64", ["Y" * 4 + " " * 10, "000", now, *["0000"] * 6],
                   [("AO", library), ("AA", card), ("AE", ""), ("BL", "N"), ("AF", text)]),
            "11": ("12", ["0", "N", "N", "N", now], [("AO", library), ("AA", card), ("AB", barcode), ("AJ", ""),
                                                     ("AH", ""), ("AF", text)]),
            "09": ("10", ["0", "N", "N", "Y", now], [("AO", library), ("AB", barcode), ("AQ", ""), ("AF", text)]),
            "29": ("30", ["0", "N", "N", "N", now], [("AO", library), ("AA", card), ("AB", barcode), ("AJ", ""),
                                                     ("AH", ""), ("AF", text)]),
            "17": ("18", ["01", "00", "01", now], [("AB", barcode), ("AJ", ""), ("AF", text)]),
            "35": ("36", ["N", now], [("AO", library), ("AA", card), ("AF", text)]),
        }
        return shapes.get(message.command, ("94", ["0"], []) if message.command == "93" else (None, None, None))
