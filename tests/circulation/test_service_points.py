"""Book-bus and book-boat stops as hold pickups, on real SQLite: placing for a stop (and the old library
contract still working), the expected date from the route's days, checkin sending the copy to the stop's
home library and into its "for the book bus" box, and the desk's morning list saying what goes on the bus."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from circulation import hold_states as st, routes as route_store
from circulation.holds import BAD_PICKUP, Holds

from tests.circulation.conftest import add_patron
from tests.circulation.test_holds import _records, _status

AT = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)          # a Tuesday


def _bus(circ) -> int:
    """The Thursday book bus out of Alta, stopping at Masi skole (a stop, not a library)."""
    with circ.engine.begin() as conn:
        route_id = route_store.put(conn, "Bokbussen", "bus", ["thu"], ["alta"])
        route_store.put_point(conn, "masi-skole", "Bokbussen: Masi skole", route_id, "alta")
    return route_id


def test_a_hold_for_a_stop_is_expected_on_the_bus_day_and_keeps_the_library_contract(circ):
    _records(circ.engine, ("alta", "rec2", "a2", "w2"))
    _bus(circ)
    h = Holds(circ)
    add_patron(circ.engine, "MASI1", library="alta")
    add_patron(circ.engine, "ALTA1", library="alta")
    stop = h.place("MASI1", record="alta-a2", pickup="masi-skole", at=AT).hold
    # the copy is on Alta's shelf today; the bus takes it to Masi on Thursday
    assert stop.pickup_library == "alta" and stop.pickup_point == "masi-skole"
    assert stop.lender_library == "alta" and stop.expected_on == date(2026, 12, 3)
    described = h.describe(stop)
    assert described["pickup"] == "masi-skole" and described["pickup_library"] == "alta"
    assert described["point"]["name"] == "Bokbussen: Masi skole" and described["point"]["days"] == ["thu"]
    # a library id is still a pickup, and a stop nobody knows is refused
    library = h.place("ALTA1", record="alta-a2", pickup="alta", at=AT).hold
    assert library.pickup_library == "alta"
    assert library.pickup_point is None and h.describe(library)["pickup"] == "alta"
    assert h.place("ALTA1", work="w2", pickup="no-such-stop", at=AT).reason == BAD_PICKUP
    assert [p["id"] for p in h.pickups() if p["point"]] == ["masi-skole"]


def test_checkin_sends_a_stop_hold_to_the_home_library_and_into_the_bus_box(circ):
    _records(circ.engine, ("tromso", "rec1", "r1", "w1"))
    _bus(circ)
    h = Holds(circ)
    add_patron(circ.engine, "READER")
    add_patron(circ.engine, "MASI1", library="alta")
    assert circ.checkout("READER", "B000001", "tromso", at=AT).ok
    hold = h.place("MASI1", record="tromso-r1", pickup="masi-skole", at=AT).hold
    # returned in Tromsø: in transit to Alta, the stop's home library
    back = circ.checkin("B000001", "tromso", at=AT + timedelta(days=1))
    assert back.destination == "transit" and back.to_library == "alta" and back.hold_id == hold.id
    # received in Alta on Friday: into the bus box, on next Thursday's bus
    friday = AT + timedelta(days=3)
    boxed = circ.checkin("B000001", "alta", at=friday)
    assert boxed.destination == "shelf" and boxed.hold_id == hold.id
    waiting = h.get(hold.id)
    assert waiting.status == st.WAITING and waiting.expected_on == date(2026, 12, 10)
    assert waiting.shelf_expires_on > date(2026, 12, 10)
    assert _status(circ, "B000001") == st.COPY_ON_SHELF
    before = h.morning_list("alta", at=friday)["bus"]
    assert [(r["hold"], r["point"], r["route"], r["runs_on"], r["today"]) for r in before] == \
        [(hold.id, "masi-skole", "Bokbussen", "2026-12-10", False)]
    on_the_day = h.morning_list("alta", at=datetime(2026, 12, 10, 6, 0, tzinfo=timezone.utc))["bus"]
    assert on_the_day[0]["today"] is True and on_the_day[0]["barcode"] == "B000001"
    assert h.morning_list("tromso", at=friday)["bus"] == []
    # the patron borrows it at the stop (the bus's desk is Alta's)
    assert circ.checkout("MASI1", "B000001", "alta", at=datetime(2026, 12, 10, 11, 0, tzinfo=timezone.utc)).ok
    assert h.get(hold.id).status == st.FILLED


def test_service_points_are_seeded_from_the_config_and_checked(circ):
    from core import settings as config

    with circ.engine.begin() as conn:
        route_id = route_store.put(conn, "Bokbåten", "boat", ["mon"], ["tromso"])
        assert route_store.point_problems("tromso", "X", route_id, "tromso", {"tromso"}, {route_id},
                                          {"tromso"}) == ["id"]
        assert route_store.point_problems("ok", "", 999, "nowhere", {"tromso"}, {route_id}, set()) == \
            ["name", "route", "library"]
        point = config.ServicePoint(id="skaland", name="Bokbåten: Skaland", route="Bokbåten", library="tromso")
        assert route_store.seed_points(conn, [point], lambda s: s) == 1
        assert route_store.seed_points(conn, [point], lambda s: s) == 0
        found = route_store.all_points(conn)["skaland"]
    assert found.route.kind == "boat" and found.library == "tromso"
    assert route_store.point_arrival(found, date(2026, 12, 1)) == date(2026, 12, 7)


def test_service_points_in_the_config_are_checked():
    import pytest

    from core import settings as config
    from core.errors import ConfigError

    sources = {"sources": [{"id": "tromso", "name": "Tromsø bibliotek", "circulation": True},
                           {"id": "alta", "name": "Alta bibliotek", "circulation": True}],
               "routes": [{"name": "Bokbussen", "kind": "bus", "days": ["thu"], "stops": ["alta"]}]}
    with pytest.raises(ConfigError) as problem:
        config.from_dict({**sources, "service_points": [
            {"id": "alta", "name": "X", "route": "Bokbussen", "library": "alta"},
            {"id": "masi", "name": "Masi", "route": "Bokbåten", "library": "kautokeino"}]})
    text = str(problem.value)
    assert "'alta' is already" in text and "'Bokbåten'" in text and "'kautokeino'" in text
    ok = config.from_dict({**sources, "service_points": [
        {"id": "masi-skole", "name": "Bokbussen: Masi skole", "route": "Bokbussen", "library": "alta"}]})
    assert ok.service_points[0].route == "Bokbussen" and ok.service_points[0].library == "alta"
