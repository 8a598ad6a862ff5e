"""Notices over real peers on loopback: an aiosmtpd SMTP server and an HTTP SMS gateway, on SQLite and a real
PostgreSQL: due soon, reminders, the claim after the last one, the patron's language, undeliverable patrons,
failures retried with backoff, and never a notice twice."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from circulation import notice_text, notices
from circulation.notice_tables import notices as notice_rows
from circulation.tables import loans, patrons
from core.clock import aware
from tests.circulation.conftest import add_patron, settings_for
from tests.peers.mail_server import SmtpPeer, free_port
from tests.peers.sms_gateway import SmsGateway

AT = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
NAMES = {"tromso": "Tromsø bibliotek", "alta": "Alta bibliotek"}


def _settings(circ, tmp_path, port, **notices_extra):
    return settings_for(circ.settings.database_url, tmp_path, notices={
        "smtp_host": "127.0.0.1", "smtp_port": port, "sender": "bibliotek@tromso.example.no",
        "retry_minutes": 5, **notices_extra})


def _run(circ, settings, day: date, **kw):
    now = datetime.combine(day, AT.timetz())
    return notices.send(circ.engine, settings, library_names=NAMES, now=now, today=day, **kw)


def _rows(circ):
    with circ.engine.connect() as conn:
        return {r.key: r for r in conn.execute(select(notice_rows))}


def test_due_soon_reminders_and_claim_each_once_in_the_patrons_language(circ, tmp_path):
    add_patron(circ.engine, "L0001", email="kari@example.no", language="nb")
    add_patron(circ.engine, "L0002", email="ante@example.no", language="se")
    assert circ.checkout("L0001", "B000001", "tromso", at=AT).ok
    assert circ.checkout("L0002", "B000002", "tromso", at=AT).ok
    due = circ.loans("L0001")[0].due_date
    with SmtpPeer() as smtp:
        settings = _settings(circ, tmp_path, smtp.port, due_soon_days=2, reminder_days=[1, 14])
        assert _run(circ, settings, due - timedelta(days=3)).sent == 0          # too early
        report = _run(circ, settings, due - timedelta(days=2))
        assert (report.queued, report.sent) == (2, 2), report
        assert _run(circ, settings, due - timedelta(days=1)).sent == 0          # the same notice: never again
        smtp.inbox.wait_for(2)
        by_to = {m["To"]: m for m in smtp.inbox.messages}
        assert len(by_to) == 2, (smtp.inbox.envelopes, report)
        assert by_to["kari@example.no"]["Subject"].startswith("Snart innleveringsfrist")
        sami = by_to["ante@example.no"]
        assert sami["Subject"].startswith("Fargga maŋimus máhcahanbeaivi") and sami["Content-Language"] == "se"
        assert "galgá máhcahuvvot ovdal" in sami.get_body(("plain",)).get_content()
        assert "Tromsø bibliotek" in sami.get_body(("html",)).get_content()
        # reminders: the 1st a day after, the 2nd after 14 days; nothing between
        assert _run(circ, settings, due + timedelta(days=1)).sent == 2
        assert _run(circ, settings, due + timedelta(days=5)).sent == 0
        assert _run(circ, settings, due + timedelta(days=14)).sent == 2
        smtp.inbox.wait_for(6)
        subjects = sorted(m["Subject"] for m in smtp.inbox.messages if m["To"] == "kari@example.no")
        assert [s.split(":")[0] for s in subjects] == ["1. purring", "2. purring", "Snart innleveringsfrist"]
        # the claim after the last reminder, reusing the circulation core's claims
        lost = circ.mark_overdue_lost(at=datetime.combine(due + timedelta(days=30), AT.timetz()), days=21)
        assert len(lost) == 2
        report = _run(circ, settings, due + timedelta(days=30))
        assert report.sent == 2 and _run(circ, settings, due + timedelta(days=31)).sent == 0
        smtp.inbox.wait_for(8)
        claims = [m for m in smtp.inbox.messages if "Erstatningskrav" in m["Subject"]
                  or "Buhtadusgáibádus" in m["Subject"]]
        assert len(claims) == 2
    keys = [m["Message-ID"] for m in smtp.inbox.messages]
    assert len(keys) == len(set(keys)) == 8
    rows = _rows(circ)
    assert all(r.status == "sent" and r.message_id for r in rows.values()) and len(rows) == 8


def test_patron_with_only_a_phone_gets_an_sms_through_the_gateway(circ, tmp_path, monkeypatch):
    add_patron(circ.engine, "L0003", phone="+4791234567", language="en")
    assert circ.checkout("L0003", "B000003", "tromso", at=AT).ok
    due = circ.loans("L0003")[0].due_date
    monkeypatch.setenv("TEST_SMS_TOKEN", "Bearer s3cret")
    with SmsGateway() as gateway:
        settings = _settings(circ, tmp_path, free_port(), sms_gateway_url=gateway.url, sms_sender="Biblio",
                             sms_auth_env="TEST_SMS_TOKEN")
        assert _run(circ, settings, due - timedelta(days=1)).sent == 1
        assert _run(circ, settings, due).sent == 0
        (request,) = gateway.requests
        assert request["method"] == "POST" and request["headers"]["Authorization"] == "Bearer s3cret"
        body = json.loads(request["body"])
        assert body["to"] == "+4791234567" and body["from"] == "Biblio"
        assert body["message"].startswith("Tromsø bibliotek:") and "is due on" in body["message"]
        assert body["reference"].startswith("due_soon:loan:")
    (row,) = _rows(circ).values()
    assert row.status == "sent" and row.channel == "sms" and row.message_id == "gw-1"


def test_sms_by_get_with_query_parameters(circ, tmp_path):
    add_patron(circ.engine, "L0004", phone="+4799999999", language="nn")
    assert circ.checkout("L0004", "B000004", "tromso", at=AT).ok
    due = circ.loans("L0004")[0].due_date
    with SmsGateway() as gateway:
        settings = _settings(circ, tmp_path, free_port(), sms_gateway_url=gateway.url, sms_method="GET",
                             sms_parameters='{"msisdn": "{to}", "txt": "{text}"}')
        assert _run(circ, settings, due - timedelta(days=1)).sent == 1
        (request,) = gateway.requests
        assert request["query"]["msisdn"] == ["+4799999999"] and "skal leverast innan" in request["query"]["txt"][0]


def test_patrons_without_contact_are_undeliverable_and_listed_for_staff(circ, tmp_path):
    add_patron(circ.engine, "L0005")
    assert circ.checkout("L0005", "B000005", "tromso", at=AT).ok
    due = circ.loans("L0005")[0].due_date
    settings = _settings(circ, tmp_path, free_port())
    report = _run(circ, settings, due - timedelta(days=1))
    assert report.undeliverable == 1 and report.sent == 0
    (row,) = notices.listing(circ.engine, library="tromso")
    assert row["status"] == "undeliverable" and row["card"] == "L0005"
    assert row["reason"] == "no e-mail address or phone number"
    assert _run(circ, settings, due).undeliverable == 0               # listed once, not counted again


def test_a_refused_notice_is_kept_and_retried_with_backoff(circ, tmp_path):
    add_patron(circ.engine, "L0006", email="per@example.no")
    assert circ.checkout("L0006", "B000006", "tromso", at=AT).ok
    due = circ.loans("L0006")[0].due_date
    port = free_port()
    settings = _settings(circ, tmp_path, port)
    day = due - timedelta(days=1)
    report = _run(circ, settings, day)                                  # nobody listens on the port
    assert report.failed == 1 and report.sent == 0
    (row,) = _rows(circ).values()
    assert row.status == "failed" and "SMTP server 127.0.0.1" in row.reason and row.attempts == 1
    now = datetime.combine(day, AT.timetz())
    assert aware(row.next_attempt_at) == now + timedelta(minutes=5)
    assert notices.send(circ.engine, settings, now=now + timedelta(minutes=4), today=day).failed == 0   # not yet
    report = notices.send(circ.engine, settings, now=now + timedelta(minutes=6), today=day)
    (row,) = _rows(circ).values()
    assert report.failed == 1 and row.attempts == 2
    assert aware(row.next_attempt_at) == now + timedelta(minutes=16)      # doubled
    from tests.peers import mail_server
    with SmtpPeer() as smtp:
        settings = _settings(circ, tmp_path, smtp.port)
        assert notices.send(circ.engine, settings, now=now + timedelta(minutes=17), today=day).sent == 1
        assert len(smtp.inbox.wait_for(1)) == 1
    assert mail_server and _rows(circ)[row.key].status == "sent"


def test_queue_is_the_public_door_for_hold_ready_and_escapes_html(circ, tmp_path):
    add_patron(circ.engine, "L0007", email="ingrid@example.no", language="nn")
    with circ.engine.connect() as conn:
        patron_id = conn.execute(select(patrons.c.id).where(patrons.c.card == "L0007")).scalar()
    params = {"title": "<b>Fisk</b> & fjord", "pickup": "Alta bibliotek", "pickup_number": "42",
              "expires": "2026-03-10"}
    with circ.engine.begin() as conn:
        assert notices.queue(conn, patron_id=patron_id, kind="hold_ready", key="hold:9:1", params=params,
                             library="alta", hold_id=9, at=AT)
        assert not notices.queue(conn, patron_id=patron_id, kind="hold_ready", key="hold:9:1", params=params)
    with pytest.raises(ValueError):
        with circ.engine.begin() as conn:
            notices.queue(conn, patron_id=patron_id, kind="nonsense", key="x", params={})
    with SmtpPeer() as smtp:
        settings = _settings(circ, tmp_path, smtp.port)
        assert _run(circ, settings, AT.date()).sent == 1
        (message,) = smtp.inbox.wait_for(1)
    assert message["Subject"] == "Klar til henting: <b>Fisk</b> & fjord"
    html = message.get_body(("html",)).get_content()
    assert "&lt;b&gt;Fisk&lt;/b&gt; &amp; fjord" in html and "<b>Fisk" not in html
    assert "Hentenummer: <strong>42</strong>" in html and "Alta bibliotek" in html
    assert "Han ventar på deg til og med 2026-03-10" in message.get_body(("plain",)).get_content()


def test_a_returned_loan_is_not_reminded(circ, tmp_path):
    add_patron(circ.engine, "L0008", email="nils@example.no")
    assert circ.checkout("L0008", "B000008", "tromso", at=AT).ok
    due = circ.loans("L0008")[0].due_date
    settings = _settings(circ, tmp_path, free_port())
    assert _run(circ, settings, due - timedelta(days=2), dry_run=True).queued == 1
    assert _rows(circ) == {}                                           # a dry run writes nothing
    notices.generate(circ.engine, settings, due - timedelta(days=2), now=datetime.combine(due - timedelta(days=2),
                                                                                        AT.timetz()))
    assert circ.checkin("B000008", "tromso").ok
    report = _run(circ, settings, due - timedelta(days=2))
    (row,) = _rows(circ).values()
    assert report.obsolete == 1 and row.status == "obsolete" and "returned" in row.reason


def test_a_library_template_override_wins_and_a_broken_one_is_refused(circ, tmp_path):
    add_patron(circ.engine, "L0009", email="elle@example.no", language="en")
    assert circ.checkout("L0009", "B000009", "tromso", at=AT).ok
    due = circ.loans("L0009")[0].due_date
    with circ.engine.begin() as conn:
        with pytest.raises(notice_text.TemplateProblem):
            notice_text.save(conn, "tromso", "due_soon", "en", "subject", "{% if %}", "admin")
        with pytest.raises(notice_text.TemplateProblem):
            notice_text.save(conn, "tromso", "due_soon", "en", "html", "{{ ''.__class__.__mro__ }}", "admin")
        notice_text.save(conn, "tromso", "due_soon", "en", "subject", "Tromsø says: {{ barcode }} by {{ due_date }}",
                         "admin")
    with SmtpPeer() as smtp:
        settings = _settings(circ, tmp_path, smtp.port)
        assert _run(circ, settings, due - timedelta(days=1)).sent == 1
        (message,) = smtp.inbox.wait_for(1)
    assert message["Subject"] == f"Tromsø says: B000009 by {due.isoformat()}"


def test_a_stale_sending_notice_becomes_uncertain_and_is_never_resent(circ, tmp_path):
    add_patron(circ.engine, "L0010", email="aslak@example.no")
    assert circ.checkout("L0010", "B000010", "tromso", at=AT).ok
    due = circ.loans("L0010")[0].due_date
    day = due - timedelta(days=1)
    settings = _settings(circ, tmp_path, free_port(), stale_minutes=10)
    now = datetime.combine(day, AT.timetz())
    notices.generate(circ.engine, settings, day, now=now)
    with circ.engine.begin() as conn:                 # a run that died after its claim
        conn.execute(update(notice_rows).values(status="sending", claimed_at=now, message_id="<x@y>"))
    with SmtpPeer() as smtp:
        settings = _settings(circ, tmp_path, smtp.port, stale_minutes=10)
        assert notices.send(circ.engine, settings, now=now + timedelta(minutes=5), today=day).sent == 0
        report = notices.send(circ.engine, settings, now=now + timedelta(minutes=11), today=day)
        assert report.marked_uncertain == 1 and report.sent == 0
        assert smtp.inbox.messages == []
    (row,) = notices.listing(circ.engine)
    assert row["status"] == "uncertain" and row["message_id"] == "<x@y>"
    assert notices.requeue(circ.engine, row["id"])


def test_loans_without_a_patron_are_never_noticed(circ, tmp_path):
    add_patron(circ.engine, "L0011", email="x@example.no")
    assert circ.checkout("L0011", "B000011", "tromso", at=AT).ok
    with circ.engine.begin() as conn:
        conn.execute(update(loans).values(patron_id=None))
    with circ.engine.connect() as conn:
        assert notices.candidates(conn, _settings(circ, tmp_path, 25), date(2026, 3, 30)) == []


def test_the_scheduler_sends_notices_on_its_interval(circ, tmp_path):
    from grenselos.scheduler import Scheduler
    add_patron(circ.engine, "L0012", email="mari@example.no")
    with circ.engine.begin() as conn:
        patron_id = conn.execute(select(patrons.c.id).where(patrons.c.card == "L0012")).scalar()
        notices.queue(conn, patron_id=patron_id, kind="hold_ready", key="hold:1:1", params={"title": "Bok"},
                      library="tromso", at=AT)
    with SmtpPeer() as smtp:
        runner = Scheduler(_settings(circ, tmp_path, smtp.port, schedule_minutes=30))
        try:
            now = datetime.now(timezone.utc)
            first = runner.run_notices(now)
            assert first.ran and "sent 1" in first.line()
            assert runner.run_notices(now + timedelta(minutes=10)) is None          # not due yet
            assert runner.run_notices(now + timedelta(minutes=31)).line().startswith("notices: queued 0, sent 0")
        finally:
            runner.close()
        assert len(smtp.inbox.wait_for(1)) == 1


def test_old_notices_of_returned_loans_are_forgotten_but_open_ones_keep_their_key(circ, tmp_path):
    add_patron(circ.engine, "L0013", email="o@example.no")
    assert circ.checkout("L0013", "B000013", "tromso", at=AT).ok
    assert circ.checkout("L0013", "B000014", "tromso", at=AT).ok
    due = circ.loans("L0013")[0].due_date
    with SmtpPeer() as smtp:
        settings = _settings(circ, tmp_path, smtp.port, keep_days=30)
        assert _run(circ, settings, due - timedelta(days=1)).sent == 2
        assert circ.checkin("B000013", "tromso").ok
        later = due + timedelta(days=40)
        report = notices.send(circ.engine, settings, now=datetime.combine(later, AT.timetz()), today=later,
                              library_names=NAMES)
        assert report.forgotten == 1 and report.sent == 1                 # B000014's reminder, not its due soon
    keys = sorted(_rows(circ))
    assert len(keys) == 2 and keys[0].startswith("due_soon:") and keys[1].startswith("overdue:")


def test_hold_ready_is_told_once_with_the_pickup_number_and_not_after_pickup(circ, tmp_path):
    """The holds' `hold_ready` events become "ready for pickup" notices: once per time on the shelf, with
    the pickup number and not the name on a slip, and none for a hold collected before the run."""
    from tests.circulation.test_holds import _records
    from circulation.holds import Holds
    _records(circ.engine, ("tromso", "rec1", "r1", "w1"))
    add_patron(circ.engine, "READER", email="reader@example.no")
    add_patron(circ.engine, "WAITS1", email="venter@example.no", language="nn")
    add_patron(circ.engine, "WAITS2", email="andre@example.no")
    assert circ.checkout("READER", "B000001", "tromso", at=AT).ok
    assert circ.checkout("READER", "B000002", "tromso", at=AT).ok
    holds = Holds(circ)
    first = holds.place("WAITS1", copy="B000001", pickup="tromso", at=AT).hold
    second = holds.place("WAITS2", copy="B000002", pickup="tromso", at=AT).hold
    assert circ.checkin("B000001", "tromso", at=AT + timedelta(days=1)).destination == "shelf"
    assert circ.checkin("B000002", "tromso", at=AT + timedelta(days=1)).destination == "shelf"
    day = (AT + timedelta(days=1)).date()
    with SmtpPeer() as smtp:
        settings = _settings(circ, tmp_path, smtp.port, due_soon_days=0, reminder_days=[])
        assert len(notices.generate(circ.engine, settings, day, titles={"tromso-r1": "Čáppa girji"}.get,
                                    now=datetime.combine(day, AT.timetz()))) == 2
        assert circ.checkout("WAITS2", "B000002", "tromso", at=AT + timedelta(days=1, hours=1)).ok  # collected
        report = _run(circ, settings, day, titles={"tromso-r1": "Čáppa girji"}.get)    # by the public record id
        assert report.sent == 1 and report.obsolete == 1, report
        assert _run(circ, settings, day + timedelta(days=1)).sent == 0            # never twice
        smtp.inbox.wait_for(1)
        (message,) = smtp.inbox.messages
        assert message["To"] == "venter@example.no" and message["Content-Language"] == "nn"
        assert message["Subject"].endswith("Čáppa girji")
        text = message.get_body(("plain",)).get_content()
        assert holds.get(first.id).pickup_number in text and "Tromsø bibliotek" in text
    rows = {r.hold_id: r for r in _rows(circ).values() if r.kind == "hold_ready"}
    assert rows[first.id].status == "sent" and rows[second.id].status == "obsolete"
