"""Book-bus stops over a real app and SQLite: a county admin adds a stop on the staff routes page, the record
page and the patron API offer it as the pickup, My page says when the bus brings it, and the desk's
morning list says what goes on the bus."""

from __future__ import annotations

from datetime import datetime, timezone

from tests.circulation.test_holds_portal import _record
from tests.circulation.test_portal import CSRF, app, basic  # noqa: F401  (fixture)


def test_a_stop_added_by_staff_is_a_pickup_in_the_forms_the_api_and_the_morning_list(app):
    from tests import staff_signin
    _record(app)
    url = app.config["GRENSELOS_SETTINGS"].database_url
    staff_signin.add(url, "county", "tromso", "county-admin", staff_signin.PASSWORD)
    staff_signin.add(url, "alta-desk", "alta", "librarian", staff_signin.PASSWORD)
    admin = app.test_client()
    staff_signin.sign_in_client(admin, "county", staff_signin.PASSWORD)
    token = CSRF.search(admin.get("/staff/routes").get_data(as_text=True)).group(1)
    assert admin.post("/staff/routes", data={"csrf_token": token, "name": "Bokbussen", "kind": "bus",
                                             "days": ["thu"], "stops": "alta"}).status_code == 200
    route_id = admin.get("/staff/routes.json").get_json()["routes"][0]["id"]
    # a stop id may not be a library's
    assert admin.post("/staff/routes", data={"csrf_token": token, "point": "alta", "point_name": "X",
                                             "route": route_id, "library": "alta"}).status_code == 400
    saved = admin.post("/staff/routes", data={"csrf_token": token, "point": "masi-skole", "route": route_id,
                                              "point_name": "Bokbussen: Masi skole", "library": "alta"})
    assert saved.status_code == 200 and "Bokbussen: Masi skole" in saved.get_data(as_text=True)
    listed = admin.get("/staff/routes.json").get_json()
    assert listed["routes"][0]["points"] == ["masi-skole"] and listed["points"]["masi-skole"]["library"] == "alta"

    # the hold forms offer it (the desk's, as the record page's: `record.pickup_options`)
    staff_signin.add(url, "tromso-desk", "tromso", "librarian", staff_signin.PASSWORD)
    tromso = app.test_client()
    staff_signin.sign_in_client(tromso, "tromso-desk", staff_signin.PASSWORD)
    page = tromso.get("/staff/desk/patron?card=N123456789").get_data(as_text=True)
    assert 'value="masi-skole"' in page and "Bokbussen: Masi skole (Bokbussen)" in page
    with app.test_request_context():
        from portal.views.record import pickup_options
        assert [p["id"] for p in pickup_options()][-1] == "masi-skole"
    client = app.test_client()
    placed = client.post("/api/patron/holds", json={"record": "tromso-r1", "pickup": "masi-skole"},
                         headers=basic("N123456789", "2468"))
    assert placed.status_code == 201, placed.get_json()
    hold = placed.get_json()["hold"]
    assert hold["pickup"] == "masi-skole" and hold["pickup_library"] == "alta" and hold["point"]["kind"] == "bus"
    expected = datetime.fromisoformat(hold["expected_on"]).date()
    assert expected.weekday() == 3                                        # a Thursday, with the bus
    mine = client.get("/api/patron", headers=basic("N123456789", "2468")).get_json()["holds"]
    assert mine[0]["pickup"] == "masi-skole"
    token = CSRF.search(client.get("/my").get_data(as_text=True)).group(1)
    assert client.post("/my/login", data={"card": "N123456789", "pin": "2468", "csrf_token": token}).status_code == 303
    html = client.get("/my?lang=en").get_data(as_text=True)
    assert "Bokbussen: Masi skole" in html and "with the book bus" in html
    assert "med bokbussen" in client.get("/my?lang=nb").get_data(as_text=True)

    # the copy comes home to Alta: it goes in the bus box, and Alta's morning list says so
    with app.app_context():
        from portal import services
        circ = services.circulation()
        assert circ.checkin("B000001", "tromso", at=datetime.now(timezone.utc)).destination == "transit"
    desk = app.test_client()
    staff_signin.sign_in_client(desk, "alta-desk", staff_signin.PASSWORD)
    token = CSRF.search(desk.get("/staff/desk/checkin").get_data(as_text=True)).group(1)
    boxed = desk.post("/staff/desk/checkin.json?lang=en", data={"csrf_token": token, "barcode": "B000001"}).get_json()
    assert boxed["result"]["pickup_point"] == "masi-skole" and boxed["result"]["destination"] == "shelf"
    assert "box for Bokbussen (Bokbussen: Masi skole)" in boxed["message"]["text"]
    bus = desk.get("/staff/holds.json").get_json()["bus"]
    assert [(r["barcode"], r["point"], r["route"]) for r in bus] == [("B000001", "masi-skole", "Bokbussen")]
    assert "Bokbussen: Masi skole" in desk.get("/staff/holds").get_data(as_text=True)
    # taking the stop off the route: it is no longer offered
    token = CSRF.search(admin.get("/staff/routes").get_data(as_text=True)).group(1)
    assert admin.post("/staff/routes", data={"csrf_token": token, "point": "masi-skole",
                                             "delete_point": "1"}).status_code == 200
    assert admin.get("/staff/routes.json").get_json()["points"] == {}
