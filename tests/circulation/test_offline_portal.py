"""The desk's offline sync and conflicts page over a real app and SQLite: CSRF header, own library only,
a resend answered from the first outcome, bad items reported, conflicts resolved from the page."""

from __future__ import annotations

from tests import staff_signin
from tests.circulation.test_portal import CSRF, app  # noqa: F401  (the fixture)


def _signed(app, user, library):
    staff_signin.add(app.config["GRENSELOS_SETTINGS"].database_url, user, library, "librarian",
                     staff_signin.PASSWORD)
    client = app.test_client()
    staff_signin.sign_in_client(client, user, staff_signin.PASSWORD)
    token = CSRF.search(client.get("/staff/desk/checkin").get_data(as_text=True)).group(1)
    return client, token


def test_sync_and_conflicts(app):  # noqa: F811
    client, token = _signed(app, "tromso-desk", "tromso")
    batch = {"transactions": [
        {"id": "u2", "kind": "checkin", "barcode": "B000001", "at": "2026-12-01T10:00:00Z"},
        {"id": "u1", "kind": "checkout", "card": "N123456789", "barcode": "B000001", "at": "2026-12-01T09:00:00Z"},
        {"id": "u3", "kind": "checkin", "barcode": "B000002", "at": "2026-12-01T11:00:00Z"},
        {"id": "u4", "kind": "checkout", "card": "N123456789", "barcode": "B000003", "at": "2026-12-01T12:00:00Z"},
        {"id": "bad", "kind": "checkout", "barcode": "B000004", "at": "2026-12-01T12:00:00Z"}]}
    assert client.post("/staff/desk/sync", json=batch).status_code == 400            # no CSRF header
    sent = client.post("/staff/desk/sync", json=batch, headers={"X-CSRF-Token": token})
    body = sent.get_json()
    assert sent.status_code == 200 and [r["outcome"] for r in body["results"]] == [
        "applied", "applied", "conflict", "applied", "refused"]
    assert body["applied"] == 3 and body["conflicts"] == 1 and body["refused"] == 1
    again = client.post("/staff/desk/sync", json=batch, headers={"X-CSRF-Token": token}).get_json()
    assert [r["duplicate"] for r in again["results"][:4]] == [True] * 4
    assert client.get("/staff/desk/sync", headers={"Accept": "application/json"}).get_json()["conflicts"] == 1
    listed = client.get("/staff/desk/conflicts.json").get_json()["conflicts"]
    assert [(c["barcode"], c["reason"]) for c in listed] == [("B000002", "not_on_loan")]
    page = client.get("/staff/desk/conflicts").get_data(as_text=True)
    assert "B000002" in page and 'value="dismiss"' in page
    alta, alta_token = _signed(app, "alta-desk", "alta")
    assert alta.get("/staff/desk/conflicts.json").get_json()["conflicts"] == []      # own library only
    assert alta.post("/staff/desk/conflicts", data={"csrf_token": alta_token, "id": listed[0]["id"],
                                                   "action": "dismiss"}).status_code == 404
    done = client.post("/staff/desk/conflicts.json", data={"csrf_token": token, "id": listed[0]["id"],
                                                           "action": "dismiss"})
    assert done.status_code == 200 and done.get_json()["message"]["ok"] and done.get_json()["conflicts"] == []
    assert client.post("/staff/desk/sync", json={"transactions": "x"},
                       headers={"X-CSRF-Token": token}).status_code == 400
