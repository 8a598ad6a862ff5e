"""Faults injected by a loopback provider: busy answers, hangs, dropped connections, loops, retry caps.

The provider is the project's loopback OAI-PMH server with a hook that misbehaves on chosen requests;
timeouts and backoff are tiny so that the whole file runs in a few seconds.
"""

from __future__ import annotations

import email.utils
import socket
import time
from datetime import datetime, timedelta, timezone

import pytest

from harvest.loopback import LoopbackRecord, serve
from harvest.oai import cut, harvest_source
from harvest.oai_client import retry_after_seconds
from tests.peers.oai_servers import marc_records, settings_for

pytestmark = pytest.mark.peer


@pytest.fixture(scope="module")
def records(shared_data):
    xml = marc_records(shared_data / "vufindharvest" / "marc.xml", limit=9)
    return [LoopbackRecord(f"oai:f:{n}", "2024-03-01T10:00:00Z", x) for n, x in enumerate(xml)]


class Faults:
    """A hook for the loopback provider: `plan[n]` says what to do with the n-th list request."""

    def __init__(self, plan: dict):
        self.plan, self.count, self.seen = plan, 0, []

    def __call__(self, handler, params) -> bool:
        if params.get("verb") not in ("ListRecords", "ListIdentifiers"):
            return False
        self.count += 1
        self.seen.append(params.get("resumptionToken"))
        action = self.plan.get(self.count)
        if action is None:
            return False
        kind, arg = action
        if kind == "status":
            status, headers = arg
            body = b"busy"
            handler.send_response(status)
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
            return True
        if kind == "hang":
            time.sleep(arg)
            handler.close_connection = True
            return True
        if kind == "drop":
            body = handler.server.provider.respond(params)
            handler.send_response(200)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body[:len(body) // 2])
            handler.wfile.flush()
            handler.connection.shutdown(socket.SHUT_RDWR)
            handler.close_connection = True
            return True
        if kind == "body":
            body = arg(handler.server.provider.respond(params)) if callable(arg) else arg
            handler.send_response(200)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
            return True
        raise AssertionError(kind)


def run(tmp_path, records, plan, harvest=None, page_size=3, **source):
    faults = Faults(plan)
    with serve(records, page_size=page_size, hook=faults) as provider:
        settings = settings_for(tmp_path, f"sqlite:///{tmp_path / 'r.sqlite'}", provider.url, harvest, **source)
        from harvest.store import RecordStore
        store = RecordStore(settings.database_url)
        started = time.monotonic()
        summary = harvest_source(settings, store, settings.sources[0])
        summary.wall = time.monotonic() - started
    return summary, store, faults


def test_retry_after_both_forms():
    now = datetime(2026, 1, 5, 12, 0, 0, tzinfo=timezone.utc)
    assert retry_after_seconds("7", now) == 7
    assert retry_after_seconds("Mon, 05 Jan 2026 12:00:30 GMT", now) == 30
    assert retry_after_seconds("Mon, 05 Jan 2026 11:00:00 GMT", now) == 0      # in the past: at once
    assert retry_after_seconds("soon", now) is None and retry_after_seconds(None, now) is None


def test_cut_to_granularity():
    assert cut("2026-01-05T12:34:56Z", "YYYY-MM-DD") == "2026-01-05"
    assert cut("2026-01-05T12:34:56.789Z", "YYYY-MM-DDThh:mm:ssZ") == "2026-01-05T12:34:56Z"
    assert cut("2026-01-05", "YYYY-MM-DDThh:mm:ssZ") == "2026-01-05"


def test_503_retry_after_seconds_is_obeyed(tmp_path, records):
    summary, store, faults = run(tmp_path, records, {2: ("status", (503, {"Retry-After": "1"}))},
                                 harvest={"max_backoff": 5})
    assert not summary.failed, summary.line()
    assert summary.new == 9 and summary.retries == 1
    assert faults.seen[1] == faults.seen[2]           # the same page asked again
    assert summary.wall >= 1.0


def test_503_retry_after_http_date_is_obeyed_and_capped(tmp_path, records):
    later = email.utils.format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    summary, store, faults = run(tmp_path, records, {1: ("status", (503, {"Retry-After": later}))},
                                 harvest={"max_backoff": 0.6})
    assert not summary.failed, summary.line()
    assert summary.new == 9 and summary.retries == 1
    assert 0.6 <= summary.wall < 5                    # waited, but no longer than max_backoff


def test_hang_past_the_timeout_is_retried(tmp_path, records):
    summary, store, faults = run(tmp_path, records, {2: ("hang", 1.5)}, harvest={"timeout": 0.4})
    assert not summary.failed, summary.line()
    assert summary.new == 9 and summary.retries == 1


def test_dropped_connection_mid_page_is_retried(tmp_path, records):
    summary, store, faults = run(tmp_path, records, {2: ("drop", None)})
    assert not summary.failed, summary.line()
    assert summary.new == 9 and summary.retries == 1
    assert store.status()["s"]["quarantined"] == 0     # a cut-off page is a transport fault, not a bad page


def test_5xx_retried_4xx_not(tmp_path, records):
    summary, _, faults = run(tmp_path, records, {1: ("status", (500, {})), 2: ("status", (502, {}))})
    assert not summary.failed and summary.retries == 2 and summary.new == 9
    summary, _, faults = run(tmp_path / "b", records, {1: ("status", (404, {}))})
    assert summary.failed and "HTTP 404" in summary.error and faults.count == 1


def test_retry_cap_then_source_fails_with_checkpoint(tmp_path, records):
    plan = {n: ("status", (503, {"Retry-After": "0"})) for n in range(2, 20)}
    summary, store, faults = run(tmp_path, records, plan, harvest={"max_retries": 2})
    assert summary.failed and "gave up after 3 attempts" in summary.error and "HTTP 503" in summary.error
    assert faults.count == 1 + 3
    cp = store.checkpoint("s")
    assert cp["status"] == "failed" and cp["token"] == faults.seen[1] and cp["pages"] == 1


def test_all_attempts_hang_fails_in_bounded_time(tmp_path, records):
    plan = {n: ("hang", 1.0) for n in range(1, 10)}
    summary, store, faults = run(tmp_path, records, plan, harvest={"timeout": 0.3, "max_retries": 1})
    assert summary.failed and "no answer within 0.3 s" in summary.error
    assert summary.wall < 3


def test_repeated_token_is_detected(tmp_path, records):
    def same_token(body):
        return body.replace(b"!6</resumptionToken>", b"!3</resumptionToken>")
    summary, store, faults = run(tmp_path, records, {2: ("body", same_token)})
    assert summary.failed and "a second time" in summary.error
    assert store.checkpoint("s")["token"].endswith("!3")
    assert faults.count == 2


def test_bad_resumption_token_from_provider(tmp_path, records):
    bad = (b'<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>'
           b'2026-01-01T00:00:00Z</responseDate><request>x</request><error code="badResumptionToken">expired'
           b'</error></OAI-PMH>')
    summary, store, faults = run(tmp_path, records, {3: ("body", bad)})
    assert summary.failed and "badResumptionToken" in summary.error and "expired" in summary.error
    assert store.checkpoint("s")["token"] == faults.seen[2]


def test_broken_page_mid_list_is_salvaged_and_list_goes_on(tmp_path, records):
    def break_it(body):                        # an unescaped ampersand: the page is not well-formed
        return body.replace(b"<leader>", b"<leader>&", 1)
    summary, store, faults = run(tmp_path, records, {2: ("body", break_it)})
    assert not summary.failed, summary.line()
    assert summary.pages == 3 and summary.records == 9
    bad = [r for r in store.iter_records("s") if r.error]
    assert len(bad) == 1 and "not well-formed" in bad[0].error and bad[0].identifier == "oai:f:3"
    assert any(q["stage"] == "harvest" for q in store.quarantined("s"))


def test_one_failing_source_does_not_stop_the_others(tmp_path, records):
    from core.settings import from_dict
    from harvest.oai import harvest_sources
    from harvest.store import RecordStore
    with serve(records, page_size=4) as good:
        settings = from_dict({"data_dir": str(tmp_path), "harvest": {"timeout": 1, "max_retries": 1,
                                                                      "backoff": 0.01},
                              "sources": [{"id": "down", "name": "Down", "oai_url": "http://127.0.0.1:9/oai"},
                                          {"id": "up", "name": "Up", "oai_url": good.url}]})
        store = RecordStore(settings.database_url)
        import io
        out = io.StringIO()
        summaries = harvest_sources(settings, store, None, progress=False, out=out)
    assert [s.failed for s in summaries] == [True, False]
    assert "connection failed" in summaries[0].error
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("down: FAILED") and lines[1].startswith("up: ok") and "9 new" in lines[1]
    assert store.status()["up"]["records"] == 9


def test_failure_before_the_list_keeps_the_last_window(tmp_path, records):
    from harvest.store import RecordStore
    db = f"sqlite:///{tmp_path / 'r.sqlite'}"
    store = RecordStore(db)
    with serve(records, page_size=4) as provider:
        settings = settings_for(tmp_path, db, provider.url)
        assert not harvest_source(settings, store, settings.sources[0]).failed
        next_from = store.checkpoint("s")["next_from"]
        down = settings_for(tmp_path, db, "http://127.0.0.1:9/oai", harvest={"max_retries": 0})
        failed = harvest_source(down, store, down.sources[0])
        assert failed.failed and "connection failed" in failed.error
        cp = store.checkpoint("s")
        assert cp["status"] == "idle" and "connection failed" in cp["last_error"] and cp["next_from"] == next_from
        again = harvest_source(settings, store, settings.sources[0])
    assert not again.failed and not again.resumed and again.window_from == next_from
