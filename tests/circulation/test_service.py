"""The circulation service's transactions on real SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import insert, select

from circulation import reasons, rules
from circulation.tables import holds, loans, patrons
from libraries.calendar import main_point
from libraries.tables import closed_days, service_points
from transform.copies import copies

from tests.circulation.conftest import add_patron

AT = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)


def _status(circ, barcode):
    with circ.engine.connect() as conn:
        return conn.execute(select(copies.c.status, copies.c.due_date).where(copies.c.item_id == barcode)).first()


def test_checkout_writes_status_and_a_double_scan_is_the_same_loan(circ):
    add_patron(circ.engine, "N123456789")
    first = circ.checkout("N123456789", "B000001", "tromso", at=AT)
    assert first.ok and first.reason == "" and not first.repeat
    assert first.loan.due_date == date(2026, 12, 29) and first.loan.barcode == "B000001"
    assert tuple(_status(circ, "B000001")) == ("on_loan", "2026-12-29")
    again = circ.checkout("N123456789", "B000001", "tromso", at=AT)
    assert again.ok and again.repeat and again.loan.id == first.loan.id
    assert [l.barcode for l in circ.loans("N123456789")] == ["B000001"]
    item = circ.item("B000001")
    assert item.status == "on_loan" and item.due_date == date(2026, 12, 29) and item.home_library == "tromso"


def test_another_patron_is_refused_and_unknowns_are_named(circ):
    add_patron(circ.engine, "N123456789")
    add_patron(circ.engine, "LOCAL42")
    assert circ.checkout("N123456789", "B000001", "tromso", at=AT).ok
    other = circ.checkout("LOCAL42", "B000001", "tromso", at=AT)
    assert not other.ok and other.reason == reasons.ALREADY_ON_LOAN
    assert circ.checkout("NOBODY1", "B000002", "tromso").reason == reasons.PATRON_NOT_FOUND
    assert circ.checkout("LOCAL42", "X999", "tromso").reason == reasons.NOT_FOUND
    assert circ.checkout("LOCAL42", "K000001", "tromso").reason == reasons.NOT_FOUND     # does not lend here
    assert circ.checkout("LOCAL42", "B000002", "kautokeino").reason == reasons.NOT_CIRCULATING
    assert circ.item("K000001") is None


def test_blocked_and_limit(circ):
    add_patron(circ.engine, "BLOCK1", status="blocked", block_reason="lost card")
    assert circ.checkout("BLOCK1", "B000001", "tromso").reason == reasons.BLOCKED
    assert circ.checkout("BLOCK1", "B000001", "tromso", no_block=True).ok
    add_patron(circ.engine, "KID1", category="child")
    with circ.engine.begin() as conn:
        rules.put(conn, category="child", loan_days=21, renewals=1, loan_limit=2, hold_limit=2)
    assert circ.checkout("KID1", "B000002", "tromso", at=AT).loan.due_date == date(2026, 12, 22)
    assert circ.checkout("KID1", "B000003", "tromso").ok
    over = circ.checkout("KID1", "B000004", "tromso")
    assert not over.ok and over.reason == reasons.LIMIT
    assert circ.patron_status("KID1").loans == 2 and circ.patron_status("KID1").loan_limit == 2


def test_checkin_routes_and_anonymises(circ):
    add_patron(circ.engine, "READER1")
    add_patron(circ.engine, "KEEPER1", keep_history=True)
    circ.checkout("READER1", "B000001", "tromso", at=AT)
    circ.checkout("KEEPER1", "A000001", "alta", at=AT)
    back = circ.checkin("B000001", "alta")
    assert back.ok and back.destination == "transit" and back.to_library == "tromso"
    assert _status(circ, "B000001").status == "in_transit"
    home = circ.checkin("B000001", "tromso")
    assert home.ok and home.reason == reasons.NOT_ON_LOAN and home.destination == "shelf"
    assert _status(circ, "B000001").status == "available"
    assert circ.checkin("A000001", "alta").destination == "shelf"
    with circ.engine.connect() as conn:
        kept = {r.barcode: r.patron_id for r in conn.execute(select(loans))}
    assert kept["B000001"] is None and kept["A000001"] is not None
    assert [l.barcode for l in circ.history("KEEPER1")] == ["A000001"] and circ.history("READER1") == []


def test_renew_limits_and_holds(circ):
    add_patron(circ.engine, "READER1")
    add_patron(circ.engine, "WAITER1")
    assert circ.checkout("READER1", "B000001", "tromso", at=AT).ok
    renewed = circ.renew("READER1", "B000001", at=datetime(2026, 12, 20, 9, tzinfo=timezone.utc), channel="online")
    assert renewed.ok and renewed.loan.due_date == date(2027, 1, 17) and renewed.loan.renewals_left == 1
    assert circ.renew("READER1", "B000001", at=datetime(2026, 12, 21, 9, tzinfo=timezone.utc)).ok
    last = circ.renew("READER1", "B000001")
    assert not last.ok and last.reason == reasons.RENEWAL_LIMIT
    assert circ.checkout("READER1", "B000002", "tromso", at=AT).ok
    with circ.engine.begin() as conn:
        waiter = conn.execute(select(patrons.c.id).where(patrons.c.card == "WAITER1")).scalar()
        conn.execute(insert(holds).values(patron_id=waiter, source="tromso", identifier="rec2",
                                          pickup_library="tromso", status="waiting", placed_at=AT))
    held = circ.renew("READER1", "B000002")
    assert not held.ok and held.reason == reasons.HOLD_WAITING
    assert circ.item("B000002").holds_waiting == 1
    assert circ.renew("WAITER1", "B000002").reason == reasons.NOT_ON_LOAN


def test_due_date_skips_closed_days(circ):
    add_patron(circ.engine, "READER1")
    with circ.engine.begin() as conn:
        conn.execute(insert(service_points).values(library="tromso", code="main", kind="main", name="Tromsø",
                                                   updated_at=AT))
        conn.execute(insert(closed_days).values(library="tromso", day=date(2026, 12, 29), reason="test"))
        assert main_point(conn, "tromso") is not None
    assert circ.checkout("READER1", "B000001", "tromso", at=AT).loan.due_date == date(2026, 12, 30)


def test_pin_throttled_per_card(circ):
    add_patron(circ.engine, "READER1", pin="2468")
    assert circ.authenticate_patron("READER1", "2468").ok
    for _ in range(5):
        assert circ.authenticate_patron("READER1", "0000", client="10.0.0.1").reason == reasons.BAD_PIN
    locked = circ.authenticate_patron("READER1", "2468", client="10.0.0.2")
    assert not locked.ok and locked.reason == reasons.THROTTLED
    assert circ.authenticate_patron("NOPE99", "1111").reason == reasons.PATRON_NOT_FOUND


def test_staff_see_only_their_library_and_every_look_up_is_audited(circ):
    from accounts import Principal
    from accounts.tables import staff_events
    add_patron(circ.engine, "READER1", library="tromso")
    librarian = Principal("ann", "alta", "librarian")
    county = Principal("cat", "alta", "county-admin")
    assert circ.staff_lookup("READER1", librarian, client="10.1.1.1") is None
    assert circ.staff_lookup("READER1", county).card == "READER1"
    assert circ.staff_lookup("READER1", Principal("tor", "tromso", "librarian")).card == "READER1"
    with circ.engine.connect() as conn:
        events = [(r.event, r.principal, r.target) for r in conn.execute(select(staff_events).order_by(staff_events.c.id))]
    assert events == [("patron_view_refused", "ann", "READER1"), ("patron_viewed", "cat", "READER1"),
                      ("patron_viewed", "tor", "READER1")]


def test_a_loan_writes_the_copy_status_and_nothing_of_the_record(circ):
    """The index follows copies.updated_at; the record's own row (its OAI datestamp, its graph) is untouched."""
    from transform.tables import transform_records
    stamp = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with circ.engine.begin() as conn:
        conn.execute(insert(transform_records).values(source="tromso", identifier="rec1", record_id="r1",
                                                      status="ok", triples=10, updated_at=stamp))
    add_patron(circ.engine, "READER1")
    result = circ.checkout("READER1", "B000001", "tromso", at=AT)
    assert result.ok and result.loan.record_id == "tromso-r1" and result.item.record_id == "tromso-r1"
    with circ.engine.connect() as conn:
        record = conn.execute(select(transform_records)).first()
        copy_stamp = conn.execute(select(copies.c.updated_at).where(copies.c.item_id == "B000001")).scalar()
    assert record.updated_at.replace(tzinfo=timezone.utc) == stamp and record.triples == 10
    assert copy_stamp.replace(tzinfo=timezone.utc) > stamp


def test_retention_expires_anonymises_then_deletes_but_never_with_a_loan_out(circ):
    from circulation import patrons as patron_store
    add_patron(circ.engine, "OLD1", expires_on=date(2024, 1, 1), email="old@example.no")
    add_patron(circ.engine, "MID1", expires_on=date(2025, 9, 1), email="mid@example.no")
    add_patron(circ.engine, "NEW1", expires_on=date(2026, 11, 1))
    add_patron(circ.engine, "LOAN1", expires_on=date(2024, 1, 1))
    assert circ.checkout("LOAN1", "B000001", "tromso", no_block=True).ok
    from circulation import notices as notice_store
    from circulation.notice_tables import notices
    with circ.engine.begin() as conn:
        notice_store.queue(conn, patron_id=circ.patron("MID1").id, kind="claim", key="claim:test:1", params={})
        conn.execute(notices.update().values(address="mid@example.no", status="sent"))
        dry = patron_store.retention(conn, date(2026, 12, 1), 365, 730, dry_run=True)
    assert circ.patron("OLD1").status == "active"                     # a dry run changes nothing
    with circ.engine.begin() as conn:
        done = patron_store.retention(conn, date(2026, 12, 1), 365, 730)
    assert done == dry
    assert sorted(done["expired"]) == ["LOAN1", "MID1", "NEW1", "OLD1"]
    assert done["deleted"] == ["OLD1"] and done["anonymised"] == ["MID1"] and done["kept_for_loans"] == ["LOAN1"]
    assert circ.patron("OLD1") is None
    mid = circ.patron("MID1")
    assert mid.name == patron_store.ANONYMISED and mid.email == "" and mid.status == "expired"
    with circ.engine.connect() as conn:                               # nor where its notices went
        assert conn.execute(select(notices.c.address)).scalars().all() == [""]
    assert circ.patron("NEW1").status == "expired" and circ.patron("LOAN1").name == "Patron LOAN1"


def test_annual_statistics_survive_anonymisation(circ):
    from circulation import statistics
    add_patron(circ.engine, "ADULT1")
    add_patron(circ.engine, "KID1", category="child")
    add_patron(circ.engine, "LIB1", category="ill-library")
    for card, barcode in (("ADULT1", "B000001"), ("ADULT1", "B000002"), ("KID1", "B000003"), ("LIB1", "B000004")):
        assert circ.checkout(card, barcode, "tromso", at=AT).ok
    assert circ.renew("ADULT1", "B000001", at=AT).ok
    for barcode in ("B000001", "B000002", "B000003", "B000004"):
        assert circ.checkin(barcode, "tromso", at=AT).ok             # every loan loses its patron
    with circ.engine.connect() as conn:
        assert conn.execute(select(loans.c.patron_id).where(loans.c.patron_id.is_not(None))).first() is None
        year = statistics.annual(conn, "tromso", 2026)
    assert year["loans"] == 4 and year["renewals"] == 1 and year["ill_loans_out"] == 1
    assert year["loans_by_item_type"] == {"book": {"children": 1, "adults": 2, "libraries": 1}}
    assert year["active_borrowers"] == 3 and year["active_borrowers_by_group"] == {"adults": 1, "children": 1,
                                                                                   "libraries": 1}
    assert year["stock"] == 20
    assert (circ.settings.data_dir / "statistics-key").stat().st_mode & 0o077 == 0


def test_pin_guessing_from_one_client_is_throttled_across_cards(circ):
    from circulation.tables import pin_failures
    for n in range(5):
        add_patron(circ.engine, f"CARD{n}", pin="2468")
    settings = circ.settings.circulation                  # 20 for the client, 5 per card: no card locks here
    for n in range(settings.client_pin_failures):
        assert circ.authenticate_patron(f"CARD{n % 5}", f"{n:04d}9", client="kiosk-1").reason == reasons.BAD_PIN
    add_patron(circ.engine, "FRESH1", pin="2468")                  # never guessed at: only the client is limited
    refused = circ.authenticate_patron("FRESH1", "2468", client="kiosk-1")
    assert not refused.ok and refused.reason == reasons.THROTTLED
    assert circ.authenticate_patron("FRESH1", "2468", client="kiosk-2").ok
    with circ.engine.connect() as conn:
        assert conn.execute(select(pin_failures)).first() is not None
