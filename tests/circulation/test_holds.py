"""Holds on real SQLite and PostgreSQL: placing with limits, queue positions, lenders chosen by the routes,
checkin to the hold shelf or in transit, shelf expiry serving the next patron, holds following their work."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import insert, select, update

from circulation import hold_states as st, reasons, routes as route_store, rules
from circulation.holds import DUPLICATE, Holds, ready_events
from circulation.tables import holds as holds_table
from transform.copies import copies
from transform.tables import transform_records

from tests.circulation.conftest import add_patron

AT = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)          # a Tuesday


def _records(engine, *rows):
    """(source, identifier, record_id, cluster_id) rows of converted records."""
    with engine.begin() as conn:
        conn.execute(insert(transform_records), [
            {"source": s, "identifier": i, "record_id": r, "cluster_id": c, "status": "ok", "triples": 1,
             "updated_at": AT} for s, i, r, c in rows])


def _status(circ, barcode):
    with circ.engine.connect() as conn:
        return conn.execute(select(copies.c.status).where(copies.c.item_id == barcode)).scalar()


def test_place_by_public_record_id_gives_position_and_limit(circ):
    _records(circ.engine, ("tromso", "rec1", "r1", "w1"))
    h = Holds(circ)
    for card in ("PAT1", "PAT2", "PAT3"):
        add_patron(circ.engine, card)
    # every copy of rec1 is out, so holds queue up
    assert circ.checkout("PAT3", "B000001", "tromso", at=AT).ok
    first = h.place("PAT1", record="tromso-r1", pickup="tromso", at=AT)
    assert first.ok and first.hold.status == st.PLACED and first.hold.position == 1
    second = h.place("PAT2", record="tromso-r1", pickup="alta", at=AT + timedelta(minutes=1))
    assert second.ok and second.hold.position == 2
    assert second.hold.expected_on is not None and second.hold.expected_on > date(2026, 12, 1)
    again = h.place("PAT1", record="tromso-r1", pickup="tromso", at=AT)
    assert not again.ok and again.reason == DUPLICATE
    assert not h.place("PAT1", record="tromso-nothing", pickup="tromso").ok
    assert h.place("PAT1", record="tromso-r1", pickup="kautokeino").reason == "bad_pickup"
    # the reader cannot renew while others wait
    assert circ.renew("PAT3", "B000001").reason == reasons.HOLD_WAITING
    # cancelling moves the next one up
    assert h.cancel("PAT1", first.hold.id).ok
    assert h.get(second.hold.id).position == 1
    assert [x.id for x in h.of_patron("PAT2")] == [second.hold.id]
    with circ.engine.begin() as conn:
        rules.put(conn, loan_days=28, renewals=2, loan_limit=50, hold_limit=1)
    assert h.place("PAT2", copy="B000005", pickup="tromso").reason == reasons.LIMIT


def test_checkin_routes_a_wanted_copy_to_the_shelf_or_in_transit_and_receiving_shelves_it(circ):
    _records(circ.engine, ("tromso", "rec1", "r1", "w1"))
    h = Holds(circ)
    add_patron(circ.engine, "READER")
    add_patron(circ.engine, "ALTA01", library="alta")
    add_patron(circ.engine, "TROMSO1")
    assert circ.checkout("READER", "B000001", "tromso", at=AT).ok
    alta = h.place("ALTA01", record="tromso-r1", pickup="alta", at=AT).hold
    here = h.place("TROMSO1", record="tromso-r1", pickup="tromso", at=AT + timedelta(minutes=1)).hold
    back = circ.checkin("B000001", "tromso", at=AT + timedelta(days=1))
    assert back.destination == "transit" and back.to_library == "alta" and back.hold_id == alta.id
    assert _status(circ, "B000001") == "in_transit" and h.get(alta.id).status == st.IN_TRANSIT
    received = circ.checkin("B000001", "alta", at=AT + timedelta(days=2))
    assert received.destination == "shelf" and received.pickup_number == "1" and received.hold_id == alta.id
    waiting = h.get(alta.id)
    assert waiting.status == st.WAITING and waiting.pickup_number == "1" and waiting.shelf_expires_on
    assert _status(circ, "B000001") == "awaiting_pickup"
    assert circ.checkout("READER", "B000001", "alta").reason == reasons.HELD_FOR_ANOTHER
    with circ.engine.connect() as conn:
        assert [e["hold_id"] for e in ready_events(conn)] == [alta.id]
    # the shelf time runs out: the next in the queue (pickup Tromsø) gets it, in transit from Alta
    summary = h.run(at=datetime.combine(waiting.shelf_expires_on + timedelta(days=1), datetime.min.time(),
                                        tzinfo=timezone.utc).replace(hour=3))
    assert summary.expired == 1 and h.get(alta.id).status == st.EXPIRED
    assert h.get(here.id).status == st.IN_TRANSIT and _status(circ, "B000001") == "in_transit"
    shelf = circ.checkin("B000001", "tromso", at=AT + timedelta(days=20))
    assert shelf.destination == "shelf" and h.get(here.id).status == st.WAITING
    lent = circ.checkout("TROMSO1", "B000001", "tromso", at=AT + timedelta(days=20))
    assert lent.ok and h.get(here.id).status == st.FILLED


def test_lender_is_the_pickup_library_then_the_route_then_the_county(circ):
    # one work, held by tromso (rec1: 1 copy... all 20 sources have rec1..), alta (rec1) — same cluster
    _records(circ.engine, ("tromso", "rec3", "t3", "w3"), ("alta", "rec3", "a3", "w3"))
    h = Holds(circ)
    add_patron(circ.engine, "ALTA01", library="alta")
    with circ.engine.begin() as conn:
        route_store.put(conn, "Bokbåten", "boat", ["thu"], ["tromso", "alta"])
    placed = h.place("ALTA01", work="w3", pickup="alta", at=AT).hold
    assert placed.lender_library == "alta" and placed.expected_on == date(2026, 12, 1)
    add_patron(circ.engine, "ALTA02", library="alta")
    second = h.place("ALTA02", work="w3", pickup="alta", at=AT).hold
    # Alta's only copy is taken: Tromsø, on the Thursday boat
    assert second.lender_library == "tromso" and second.expected_on == date(2026, 12, 3)
    morning = h.morning_list("tromso", at=AT)
    assert [row["hold"] for row in morning["send"]] == [second.id] and morning["send"][0]["to"] == "transit"


def test_suspended_holds_keep_their_place_and_are_passed_over(circ):
    _records(circ.engine, ("alta", "rec2", "a2", "w2"))
    h = Holds(circ)
    add_patron(circ.engine, "PATA", library="alta")
    add_patron(circ.engine, "PATB", library="alta")
    add_patron(circ.engine, "PATR", library="alta")
    assert circ.checkout("PATR", "A000002", "alta", at=AT).ok
    a = h.place("PATA", record="alta-a2", pickup="alta", at=AT).hold
    b = h.place("PATB", record="alta-a2", pickup="alta", at=AT + timedelta(minutes=1)).hold
    assert h.suspend("PATA", a.id, date(2027, 1, 1), at=AT).ok
    assert h.get(a.id).position == 1 and h.get(b.id).position == 2
    back = circ.checkin("A000002", "alta", at=AT + timedelta(days=1))
    assert back.hold_id == b.id and back.destination == "shelf"
    assert not h.suspend("PATB", a.id, date(2027, 1, 1), at=AT).ok          # not B's hold


def test_work_holds_follow_their_record_when_clusters_change(circ):
    _records(circ.engine, ("tromso", "rec4", "t4", "w4"), ("alta", "rec4", "a4", "w4"))
    h = Holds(circ)
    add_patron(circ.engine, "RDR1")
    add_patron(circ.engine, "RDR2")
    add_patron(circ.engine, "RDR3")
    for barcode, library in (("B000004", "tromso"), ("A000004", "alta")):
        assert circ.checkout("RDR3", barcode, library, at=AT).ok
    first = h.place("RDR1", work="w4", pickup="tromso", at=AT).hold
    second = h.place("RDR2", record="tromso-t4", pickup="tromso", at=AT + timedelta(minutes=1)).hold
    assert (first.position, second.position) == (1, 2)
    with circ.engine.begin() as conn:          # a join: w4 is absorbed into w9
        conn.execute(update(transform_records).values(cluster_id="w9"))
    summary = h.run(at=AT + timedelta(hours=1))
    assert summary.retargeted == 1
    moved = h.get(first.id)
    assert moved.work_id == "w9" and moved.status == st.PLACED and moved.position == 1
    assert h.get(second.id).position == 2


def test_a_work_hold_in_chosen_languages_takes_only_those_editions(circ):
    from transform.statistics import facts_table
    _records(circ.engine, ("tromso", "rec2", "t2", "w2"), ("alta", "rec2", "a2", "w2"))
    with circ.engine.begin() as conn:
        conn.execute(insert(facts_table), [
            {"source": "tromso", "identifier": "rec2", "library": "", "language":
             "http://id.loc.gov/vocabulary/iso639-3/nob", "items": 1},
            {"source": "alta", "identifier": "rec2", "library": "", "language":
             "http://id.loc.gov/vocabulary/iso639-3/sme", "items": 1}])
    h = Holds(circ)
    add_patron(circ.engine, "SAMI1")
    placed = h.place("SAMI1", work="w2", pickup="tromso", languages=("sme",), at=AT).hold
    assert placed.lender_library == "alta"                  # Tromsø's own copy is the Norwegian edition
    add_patron(circ.engine, "NORSK1")
    assert h.place("NORSK1", work="w2", pickup="tromso", languages=("nob",), at=AT).hold.lender_library == "tromso"


def test_the_migration_keeps_the_old_holds_as_placed_record_holds(tmp_path):
    """A database from before c0004_holds: its "waiting" rows (someone waits for the record) stay in the
    queue as placed record holds, and renewals still refuse for them."""
    from alembic import command
    from sqlalchemy import text

    from core.db import alembic_config, engine_for, migrate
    engine = engine_for(f"sqlite:///{tmp_path / 'old.sqlite'}")
    config = alembic_config(engine)
    command.upgrade(config, "heads")
    command.downgrade(config, "c0003")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO patron_categories (code, name) SELECT 'adult', 'Adult' "
                          "WHERE NOT EXISTS (SELECT 1 FROM patron_categories WHERE code = 'adult')"))
        conn.execute(text("INSERT INTO patrons (card, pin_hash, name, library, category, created_at, updated_at) "
                          "VALUES ('OLD1', 'x', 'Old', 'tromso', 'adult', '2026-01-01', '2026-01-01')"))
        conn.execute(text("INSERT INTO holds (patron_id, source, identifier, pickup_library, status, placed_at) "
                          "VALUES (1, 'tromso', 'rec1', 'tromso', 'waiting', '2026-01-01')"))
    migrate(engine)
    with engine.connect() as conn:
        row = conn.execute(select(holds_table)).first()
    assert (row.status, row.level, row.queue_key) == ("placed", "record", "tromso:rec1")
    engine.dispose()
