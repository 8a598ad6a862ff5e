"""The holds contract of the patron API and My page over a real app and SQLite database: POST
/api/patron/holds with HTTP Basic → 201 and the hold; GET /api/patron lists holds with status and queue
position; DELETE /api/patron/holds/<id>; My page's cancel and pause; the record page's "Place hold"."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import insert, select

from accounts.tables import staff_events

from transform.tables import transform_records

from tests.circulation.test_portal import CSRF, app, basic  # noqa: F401  (fixture)
from tests.circulation.conftest import add_patron


def _record(app, source="tromso", identifier="rec1", record_id="r1", cluster="w1"):
    with app.engine.begin() as conn:
        conn.execute(insert(transform_records).values(source=source, identifier=identifier, record_id=record_id,
                                                      cluster_id=cluster, status="ok", triples=1,
                                                      updated_at=datetime.now(timezone.utc)))


def test_patron_api_places_lists_and_cancels_holds(app):
    _record(app)
    client = app.test_client()
    with app.app_context():
        from portal import services
        assert services.circulation().checkout("ALTA1", "B000001", "tromso").ok
    assert client.post("/api/patron/holds", json={"record": "tromso-r1", "pickup": "alta"}).status_code == 401
    placed = client.post("/api/patron/holds", json={"record": "tromso-r1", "pickup": "alta"},
                         headers=basic("N123456789", "2468"))
    assert placed.status_code == 201, placed.get_json()
    hold = placed.get_json()["hold"]
    assert hold["status"] == "placed" and hold["position"] == 1 and hold["pickup"] == "alta"
    assert hold["record"] == "tromso-r1" and hold["expected_on"]
    again = client.post("/api/patron/holds", json={"record": "tromso-r1", "pickup": "alta"},
                        headers=basic("N123456789", "2468"))
    assert again.status_code == 409 and again.get_json()["reason"] == "duplicate"
    assert client.post("/api/patron/holds", json={"record": "tromso-none", "pickup": "alta"},
                       headers=basic("N123456789", "2468")).status_code == 404
    assert client.post("/api/patron/holds", json={"work": "w1", "pickup": "kautokeino"},
                       headers=basic("N123456789", "2468")).status_code == 400
    add_patron(app.engine, "N222222222", pin="1111")
    second = client.post("/api/patron/holds", json={"work": "w1", "pickup": "tromso"},
                         headers=basic("N222222222", "1111"))
    assert second.status_code == 201 and second.get_json()["hold"]["position"] == 2
    listed = client.get("/api/patron", headers=basic("N123456789", "2468")).get_json()["holds"]
    assert [(h["id"], h["status"], h["position"]) for h in listed] == [(hold["id"], "placed", 1)]
    assert client.delete(f"/api/patron/holds/{hold['id']}", headers=basic("N222222222", "1111")).status_code == 404
    gone = client.delete(f"/api/patron/holds/{hold['id']}", headers=basic("N123456789", "2468"))
    assert gone.status_code == 200 and gone.get_json()["hold"]["status"] == "cancelled"
    assert client.get("/api/patron", headers=basic("N123456789", "2468")).get_json()["holds"] == []
    assert client.get("/api/patron", headers=basic("N222222222", "1111")).get_json()["holds"][0]["position"] == 1


def test_record_page_offers_a_hold_and_my_page_pauses_and_cancels_it(app):
    _record(app)
    client = app.test_client()
    page = client.get("/my")
    token = CSRF.search(page.get_data(as_text=True)).group(1)
    assert client.post("/my/login", data={"card": "N123456789", "pin": "2468", "csrf_token": token}).status_code == 303
    with app.app_context():
        from portal import services
        assert services.circulation().checkout("ALTA1", "B000001", "tromso").ok
    assert client.post("/my/holds", data={"record": "tromso-r1", "pickup": "tromso"}).status_code == 400   # CSRF
    token = CSRF.search(client.get("/my").get_data(as_text=True)).group(1)
    placed = client.post("/my/holds", data={"record": "tromso-r1", "pickup": "tromso", "csrf_token": token})
    assert placed.status_code == 303
    mine = client.get("/my.json").get_json()["holds"]
    assert len(mine) == 1 and mine[0]["status"] == "placed"
    html = client.get("/my").get_data(as_text=True)
    assert "/my/holds/%d/cancel" % mine[0]["id"] in html and 'type="date"' in html
    paused = client.post(f"/my/holds/{mine[0]['id']}/suspend", data={"until": "2099-01-01", "csrf_token": token})
    assert paused.status_code == 303
    assert client.get("/my.json").get_json()["holds"][0]["suspended_until"] == "2099-01-01"
    assert client.post(f"/my/holds/{mine[0]['id']}/cancel", data={"csrf_token": token}).status_code == 303
    assert client.get("/my.json").get_json()["holds"] == []


def test_staff_place_a_hold_see_the_morning_list_and_only_county_admins_edit_routes(app):
    from tests import staff_signin
    _record(app)
    url = app.config["GRENSELOS_SETTINGS"].database_url
    staff_signin.add(url, "tromso-desk", "tromso", "librarian", staff_signin.PASSWORD)
    staff_signin.add(url, "county", "tromso", "county-admin", staff_signin.PASSWORD)
    client = app.test_client()
    assert client.get("/staff/holds.json").status_code == 401
    staff_signin.sign_in_client(client, "tromso-desk", staff_signin.PASSWORD)
    html = client.get("/staff/desk/patron?card=N123456789").get_data(as_text=True)
    token = CSRF.search(html).group(1)
    assert 'value="hold"' in html
    placed = client.post("/staff/desk/patron/action.json", data={"csrf_token": token, "card": "N123456789",
                                                                 "action": "hold", "level": "record",
                                                                 "ref": "tromso-r1", "pickup": "tromso"})
    assert placed.status_code == 200, placed.get_json()
    holds = placed.get_json()["patron"]["holds"]
    assert len(holds) == 1 and holds[0]["placed_by"] == "tromso-desk" and holds[0]["lender"] == "tromso"
    with app.engine.connect() as conn:
        events = [r.event for r in conn.execute(select(staff_events.c.event))]
    assert "hold_placed_by_staff" in events
    morning = client.get("/staff/holds.json").get_json()
    assert [(r["barcode"], r["to"]) for r in morning["send"]] == [("B000001", "hold_shelf")]
    shelved = client.post("/staff/desk/checkin.json", data={"csrf_token": token, "barcode": "B000001"})
    result = shelved.get_json()["result"]
    assert result["hold"] == holds[0]["id"] and result["pickup_number"] == "1"
    assert "Kari" not in shelved.get_data(as_text=True)                     # the number, never the name
    assert client.get("/staff/routes.json").get_json()["may_edit"] is False
    assert client.post("/staff/routes.json", json={"name": "Bussen", "kind": "bus", "days": "mon",
                                                   "stops": "tromso alta"}, headers={"X-CSRF-Token": token}
                       ).status_code == 403
    admin = app.test_client()
    staff_signin.sign_in_client(admin, "county", staff_signin.PASSWORD)
    token = CSRF.search(admin.get("/staff/routes").get_data(as_text=True)).group(1)
    saved = admin.post("/staff/routes", data={"csrf_token": token, "name": "Bokbåten", "kind": "boat",
                                              "days": ["tue", "fri"], "stops": "tromso alta"})
    assert saved.status_code == 200
    routes = admin.get("/staff/routes.json").get_json()["routes"]
    assert routes == [{"id": routes[0]["id"], "name": "Bokbåten", "kind": "boat", "days": ["tue", "fri"],
                       "stops": ["tromso", "alta"], "points": []}]
    bad = admin.post("/staff/routes", data={"csrf_token": token, "name": "X", "kind": "boat", "stops": "nowhere"})
    assert bad.status_code == 400


def test_a_form_hold_on_a_work_carries_the_ticked_languages(app):
    _record(app)
    client = app.test_client()
    token = CSRF.search(client.get("/my").get_data(as_text=True)).group(1)
    assert client.post("/my/login", data={"card": "N123456789", "pin": "2468", "csrf_token": token}).status_code == 303
    token = CSRF.search(client.get("/my").get_data(as_text=True)).group(1)
    placed = client.post("/my/holds", data={"work": "w1", "pickup": "tromso", "languages": ["sme", "nob"],
                                            "csrf_token": token})
    assert placed.status_code == 303
    with app.engine.connect() as conn:
        from circulation.tables import holds
        assert conn.execute(select(holds.c.languages)).scalar() == "sme nob"
