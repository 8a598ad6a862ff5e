"""A hold picked up at a book-bus or book-boat stop: its "ready" notice names the stop, the route and the day
the route brings it (sent through loopback SMTP, in the patron's language), where a hold at a library names
the library; the SMS says it too."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from circulation import notice_text, notices
from circulation import routes as route_store
from circulation.holds import Holds
from tests.circulation.conftest import add_patron
from tests.circulation.test_holds import _records
from tests.circulation.test_notices import NAMES, _run, _settings
from tests.peers.mail_server import SmtpPeer

AT = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)          # a Tuesday


def test_the_ready_notice_of_a_stop_hold_names_the_stop_route_and_day(circ, tmp_path):
    _records(circ.engine, ("alta", "rec1", "a1", "w1"), ("alta", "rec2", "a2", "w2"))
    with circ.engine.begin() as conn:
        route_id = route_store.put(conn, "Bokbåten", "boat", ["thu"], ["alta"])
        route_store.put_point(conn, "loppa", "Loppa kai", route_id, "alta")
    add_patron(circ.engine, "READER", library="alta")
    add_patron(circ.engine, "STOP1", library="alta", email="stopp@example.no", language="nb")
    add_patron(circ.engine, "DESK1", library="alta", email="disk@example.no", language="en")
    assert circ.checkout("READER", "A000001", "alta", at=AT).ok
    assert circ.checkout("READER", "A000002", "alta", at=AT).ok
    holds = Holds(circ)
    stop = holds.place("STOP1", copy="A000001", pickup="loppa", at=AT).hold
    desk = holds.place("DESK1", copy="A000002", pickup="alta", at=AT).hold
    friday = AT + timedelta(days=3)
    assert circ.checkin("A000001", "alta", at=friday).destination == "shelf"      # into the boat's box
    assert circ.checkin("A000002", "alta", at=friday).destination == "shelf"
    day = friday.date()
    with SmtpPeer() as smtp:
        settings = _settings(circ, tmp_path, smtp.port, due_soon_days=0, reminder_days=[])
        found = {c.hold_id: c for c in notices.generate(circ.engine, settings, day, dry_run=True,
                                                        now=datetime.combine(day, AT.timetz()))}
        params = found[stop.id].params
        assert (params["pickup"], params["route"], params["route_kind"], params["arrives"]) == \
            ("Loppa kai", "Bokbåten", "boat", "2026-12-10")               # the next Thursday the boat runs
        assert "route" not in found[desk.id].params
        assert _run(circ, settings, day).sent == 2
        smtp.inbox.wait_for(2)
        by_to = {m["To"]: m for m in smtp.inbox.messages}
    text = by_to["stopp@example.no"].get_body(("plain",)).get_content()
    assert "kommer med Bokbåten til bokbåtens stoppested Loppa kai 2026-12-10" in text
    assert holds.get(stop.id).pickup_number in text
    html = by_to["stopp@example.no"].get_body(("html",)).get_content()
    assert "<strong>Loppa kai</strong>" in html
    plain = by_to["disk@example.no"].get_body(("plain",)).get_content()
    assert "is ready for pickup at Alta bibliotek" in plain and "Bokbåten" not in plain
    assert NAMES["alta"] in plain


def test_every_language_says_the_stop_and_still_renders_without_one():
    parts = notice_text.defaults("hold_ready")
    stop = {"patron": "Ánne", "library": "Alta bibliotek", "portal": "https://x", "title": "Girji",
            "pickup": "Loppa kai", "pickup_number": "7", "expires": "", "route": "Bokbussen", "route_kind": "bus",
            "arrives": "2026-12-10"}
    for language in notice_text.LANGUAGES:
        rendered = notice_text.render(parts[language], stop, language)
        for part in (rendered.text, rendered.html, rendered.sms):
            assert "Loppa kai" in part and "Bokbussen" in part and "2026-12-10" in part, (language, part)
        plain = notice_text.render(parts[language], {**stop, "pickup": "", "route": "", "route_kind": "",
                                                     "arrives": ""}, language)
        assert "Alta bibliotek" in plain.sms and "Bokbussen" not in plain.text, language
