"""The holds contract of the patron API and My page over a real app and SQLite database: POST
/api/patron/holds with HTTP Basic → 201 and the hold; GET /api/patron lists holds with status and queue
position; DELETE /api/patron/holds/<id>; My page's cancel and pause; the record page's "Place hold"."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import insert

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
