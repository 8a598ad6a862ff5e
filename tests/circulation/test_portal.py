"""My page, the patron API and the desk screens over a real app and SQLite database."""

from __future__ import annotations

import base64
import re

import pytest
from sqlalchemy import select

from accounts.tables import staff_events

from tests import staff_signin
from tests.circulation.conftest import add_copies, add_patron, staff_portal

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(sqlite_county):
    settings, engine = sqlite_county
    add_copies(engine, "tromso", 5)
    add_copies(engine, "alta", 2, prefix="A")
    add_patron(engine, "N123456789", pin="2468", name="Kari Nordmann")
    add_patron(engine, "ALTA1", pin="1357", library="alta")
    return staff_portal(settings, engine, staff=())


def basic(card, pin):
    return {"Authorization": "Basic " + base64.b64encode(f"{card}:{pin}".encode()).decode()}


def test_patron_api_needs_credentials_and_lists_loans(app):
    client = app.test_client()
    anonymous = client.get("/api/patron")
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Basic")
    assert client.get("/api/patron", headers=basic("N123456789", "0000")).status_code == 401
    with app.app_context():
        from portal import services
        assert services.circulation().checkout("N123456789", "B000001", "tromso").ok
    ok = client.get("/api/patron", headers=basic("N123456789", "2468"))
    assert ok.status_code == 200 and ok.headers["Cache-Control"] == "private, no-store"
    loans = ok.get_json()["loans"]
    assert [(l["barcode"], l["record_id"]) for l in loans] == [("B000001", "")] and loans[0]["due_date"]
    assert "Access-Control-Allow-Origin" not in ok.headers
    renewed = client.post("/api/patron/loans/B000001/renew", headers=basic("N123456789", "2468"))
    assert renewed.status_code == 200 and renewed.get_json()["ok"] and renewed.get_json()["loan"]["renewals"] == 1
    refused = client.post("/api/patron/loans/B000002/renew", headers=basic("N123456789", "2468"))
    assert refused.status_code == 404 and refused.get_json()["reason"] == "not_on_loan"
    assert client.post("/api/patron/loans/B000001/renew").status_code == 401       # no credentials at all
    # a browser adds remembered Basic credentials to another site's forged form post by itself: a form body
    # keeps the CSRF check even with the header
    forged = client.post("/api/patron/loans/B000001/renew", data={"x": "1"}, headers=basic("N123456789", "2468"))
    assert forged.status_code == 400
    assert client.post("/api/patron/loans/B000001/renew", headers={"Authorization": "Bearer x"}).status_code == 401


def test_pin_guessing_on_the_api_is_throttled(app):
    client = app.test_client()
    for _ in range(5):
        assert client.get("/api/patron", headers=basic("N123456789", "9999")).status_code == 401
    locked = client.get("/api/patron", headers=basic("N123456789", "2468"))
    assert locked.status_code == 429 and locked.get_json()["code"] == "throttled"


def test_my_page_sign_in_renew_settings_and_export(app):
    client = app.test_client()
    page = client.get("/my")
    assert page.status_code == 200 and 'name="pin"' in page.get_data(as_text=True)
    token = CSRF.search(page.get_data(as_text=True)).group(1)
    assert client.post("/my/login", data={"card": "N123456789", "pin": "1111", "csrf_token": token}).status_code == 403
    assert client.post("/my/login", data={"card": "N123456789", "pin": "2468"}).status_code == 400     # no CSRF
    signed = client.post("/my/login", data={"card": "N123456789", "pin": "2468", "csrf_token": token})
    assert signed.status_code == 303
    with app.app_context():
        from portal import services
        services.circulation().checkout("N123456789", "B000003", "tromso")
    mine = client.get("/my.json").get_json()
    assert mine["patron"]["name"] == "Kari Nordmann" and [l["barcode"] for l in mine["loans"]] == ["B000003"]
    html = client.get("/my").get_data(as_text=True)
    token = CSRF.search(html).group(1)
    assert "B000003" in html
    # the patron's own cookie is a credential: a post to the patron API riding on it needs the CSRF token
    assert client.post("/api/patron/loans/B000003/renew").status_code == 400
    after = client.post("/my/loans/B000003/renew", data={"csrf_token": token})
    assert after.status_code == 303
    assert client.get("/my.json").get_json()["loans"][0]["renewals"] == 1
    saved = client.post("/my/settings", data={"csrf_token": token, "email": "kari@example.no", "language": "se",
                                              "keep_history": "yes"})
    assert saved.status_code == 200
    assert client.get("/my.json").get_json()["patron"]["language"] == "se"
    exported = client.get("/my/export.json")
    assert exported.status_code == 200 and "attachment" in exported.headers["Content-Disposition"]
    data = exported.get_json()
    assert data["email"] == "kari@example.no" and data["loans"][0]["barcode"] == "B000003"
    assert "pin_hash" not in data and "$argon2" not in exported.get_data(as_text=True)


def test_desk_checkout_checkin_and_patron_look_up(app):
    staff_signin.add(app.config["GRENSELOS_SETTINGS"].database_url, "tromso-desk", "tromso", "librarian",
                     staff_signin.PASSWORD)
    client = app.test_client()
    assert client.get("/staff/desk/checkout").status_code == 303
    assert client.get("/staff/desk/checkout.json").status_code == 401
    staff_signin.sign_in_client(client, "tromso-desk", staff_signin.PASSWORD)
    page = client.get("/staff/desk/checkout?card=N123456789")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Kari Nordmann" in html and 'id="barcode"' in html and "autofocus" in html
    token = CSRF.search(html).group(1)
    lent = client.post("/staff/desk/checkout.json", data={"csrf_token": token, "card": "N123456789",
                                                          "barcode": "B000002"})
    assert lent.status_code == 200 and lent.get_json()["message"]["ok"]
    assert [l["barcode"] for l in lent.get_json()["patron"]["loans"]] == ["B000002"]
    twice = client.post("/staff/desk/checkout", data={"csrf_token": token, "card": "N123456789", "barcode": "B000002"})
    assert twice.status_code == 200 and 'role="status"' in twice.get_data(as_text=True)
    other = client.get("/staff/desk/checkout.json?card=ALTA1")               # another library's patron
    assert other.status_code == 404 and other.get_json()["patron"] is None
    back = client.post("/staff/desk/checkin.json", data={"csrf_token": token, "barcode": "A000001"})
    assert back.status_code == 200 and back.get_json()["result"]["destination"] == "transit"
    home = client.post("/staff/desk/checkin.json", data={"csrf_token": token, "barcode": "B000002"})
    assert home.get_json()["result"]["destination"] == "shelf" and home.get_json()["result"]["status"] == "available"
    blocked = client.post("/staff/desk/patron/action", data={"csrf_token": token, "card": "N123456789",
                                                            "action": "block", "block_reason": "lost card"})
    assert blocked.status_code == 200 and "lost card" in blocked.get_data(as_text=True)
    refused = client.post("/staff/desk/checkout.json", data={"csrf_token": token, "card": "N123456789",
                                                             "barcode": "B000004"})
    assert refused.status_code == 409 and refused.get_json()["message"]["reason"] == "blocked"
    with app.engine.connect() as conn:
        viewed = conn.execute(select(staff_events.c.event, staff_events.c.target).where(
            staff_events.c.event.like("patron_view%"))).all()
    assert ("patron_viewed", "N123456789") in viewed and ("patron_view_refused", "ALTA1") in viewed


def test_a_patron_closes_their_account_once_the_loans_are_back(app):
    client = app.test_client()
    token = CSRF.search(client.get("/my").get_data(as_text=True)).group(1)
    client.post("/my/login", data={"card": "N123456789", "pin": "2468", "csrf_token": token})
    token = CSRF.search(client.get("/my").get_data(as_text=True)).group(1)
    with app.app_context():
        from portal import services
        services.circulation().checkout("N123456789", "B000001", "tromso")
    refused = client.post("/my/close", data={"csrf_token": token, "confirm": "yes"})
    assert refused.status_code == 303 and "notice=" in refused.headers["Location"]
    with app.app_context():
        services.circulation().checkin("B000001", "tromso")
    closed = client.post("/my/close", data={"csrf_token": token, "confirm": "yes"})
    assert closed.status_code == 200 and 'role="status"' in closed.get_data(as_text=True)
    with app.app_context():
        assert services.circulation().patron("N123456789") is None
    assert client.get("/my.json").status_code == 401


def test_staff_statistics_own_library_exact_county_admin_all(app):
    client = app.test_client()
    assert client.get("/staff/statistics.json").status_code == 401
    assert client.get("/staff/statistics").status_code == 303                    # to sign in
    url = app.config["GRENSELOS_SETTINGS"].database_url
    staff_signin.add(url, "tromso-stat", "tromso", "librarian", staff_signin.PASSWORD)
    staff_signin.add(url, "county-stat", "tromso", "county-admin", staff_signin.PASSWORD)
    add_patron(app.engine, "KID9", pin="1111", category="child")
    with app.app_context():
        from portal import services
        circ = services.circulation()
        assert circ.checkout("KID9", "B000001", "tromso").ok                     # one loan: exact for staff
        assert circ.checkout("ALTA1", "A000001", "alta").ok
    staff_signin.sign_in_client(client, "tromso-stat", staff_signin.PASSWORD)
    data = client.get("/staff/statistics.json").get_json()
    assert data["library"]["id"] == "tromso" and data["report"]["loans"] == 1
    assert data["report"]["loans_by_item_type"]["book"]["children"] == 1     # staff see small cells
    assert client.get("/staff/statistics.json?library=alta").status_code == 403
    page = client.get("/staff/statistics?lang=en")
    assert page.status_code == 200 and b"Inter-library loans in" in page.data and b"/staff/statistics.json" in page.data
    other = app.test_client()
    staff_signin.sign_in_client(other, "county-stat", staff_signin.PASSWORD)
    alta = other.get("/staff/statistics.json?library=alta").get_json()
    assert alta["report"]["loans"] == 1 and {"tromso", "alta"} <= {lib["id"] for lib in alta["libraries"]}


def test_public_circulation_statistics_are_suppressed(app):
    add_patron(app.engine, "KID8", pin="1111", category="child")
    with app.app_context():
        from portal import services
        assert services.circulation().checkout("KID8", "B000002", "tromso").ok
    client = app.test_client()
    data = client.get("/statistics/circulation.json?library=tromso").get_json()
    assert data["public"] and data["report"]["suppress_below"] == 3
    assert data["report"]["loans"] is None                                 # one loan: withheld
    assert data["report"]["loans_by_item_type"]["book"]["children"] is None
    assert data["report"]["stock"] == 5
    page = client.get("/statistics/circulation?library=tromso&lang=en")
    assert page.status_code == 200 and b"Figures under 3 are withheld" in page.data
    assert client.get("/statistics/circulation.json?library=kautokeino").status_code == 404   # does not lend


def test_circulation_cube_is_listed_in_void(app):
    from circulation import statistics_cube
    from transform.graphstore import GraphStore
    settings = app.config["GRENSELOS_SETTINGS"]
    with GraphStore.open(settings) as graph:
        statistics_cube.write(app.engine, graph, ["tromso"], [2026], 3, f"{settings.base_uri}/library/{{}}".format)
    body = app.test_client().get("/.well-known/void.nt").get_data(as_text=True)
    dataset = f"<{settings.base_uri}/statistics/circulation>"
    assert f"<http://rdfs.org/ns/void#subset> {dataset}" in body
    assert f"{dataset} <http://rdfs.org/ns/void#entities>" in body


def test_desk_marks_lost_finds_again_settles_and_edits_a_patron(app):
    staff_signin.add(app.config["GRENSELOS_SETTINGS"].database_url, "tromso-desk", "tromso", "librarian",
                     staff_signin.PASSWORD)
    client = app.test_client()
    staff_signin.sign_in_client(client, "tromso-desk", staff_signin.PASSWORD)
    html = client.get("/staff/desk/patron?card=N123456789").get_data(as_text=True)
    token = CSRF.search(html).group(1)
    assert 'id="edit-name"' in html and 'value="adult" selected' in html
    assert client.post("/staff/desk/checkout.json", data={"csrf_token": token, "card": "N123456789",
                                                          "barcode": "B000001"}).status_code == 200
    page = client.get("/staff/desk/patron?card=N123456789").get_data(as_text=True)
    assert 'value="lost"' in page
    lost = client.post("/staff/desk/patron/action.json", data={"csrf_token": token, "card": "N123456789",
                                                               "action": "lost", "barcode": "B000001"})
    assert lost.status_code == 200, lost.get_data(as_text=True)
    body = lost.get_json()
    assert body["patron"]["loans"] == [] and [c["barcode"] for c in body["patron"]["claims"]] == ["B000001"]
    shelf = client.post("/staff/desk/lost.json", data={"csrf_token": token, "barcode": "B000002"})
    assert shelf.status_code == 200 and shelf.get_json()["result"]["status"] == "lost"
    not_ours = client.post("/staff/desk/lost.json", data={"csrf_token": token, "barcode": "A000001"})
    assert not_ours.status_code == 403 and not_ours.get_json()["message"]["reason"] == "not_allowed"
    found = client.post("/staff/desk/checkin.json", data={"csrf_token": token, "barcode": "B000002"})
    assert found.get_json()["result"]["found"] and found.get_json()["message"]["reason"] == "found"
    claim = body["patron"]["claims"][0]["id"]
    settled = client.post("/staff/desk/patron/action.json", data={"csrf_token": token, "card": "N123456789",
                                                                  "action": "settle", "claim": str(claim)})
    assert settled.status_code == 200 and settled.get_json()["patron"]["claims"] == []
    edited = client.post("/staff/desk/patron/action.json", data={
        "csrf_token": token, "card": "N123456789", "action": "edit", "name": "Kari Nordmann Hætta",
        "email": "kari@example.org", "phone": "", "language": "se", "category": "adult"})
    assert edited.status_code == 200 and edited.get_json()["patron"]["language"] == "se"
    assert edited.get_json()["patron"]["name"] == "Kari Nordmann Hætta"
    bad = client.post("/staff/desk/patron/action.json", data={"csrf_token": token, "card": "N123456789",
                                                              "action": "edit", "email": "not-an-address"})
    assert bad.status_code == 409 and bad.get_json()["message"]["reason"] == "invalid"
    other = client.post("/staff/desk/patron/action", data={"csrf_token": token, "card": "ALTA1",
                                                           "action": "edit", "name": "X"})
    assert other.status_code == 404
    with app.engine.connect() as conn:
        events = {r.event for r in conn.execute(select(staff_events.c.event))}
    assert {"patron_edited", "copy_marked_lost", "claim_settled"} <= events


def test_staff_deposits_pages_make_fill_and_return_a_crate(app):
    staff_signin.add(app.config["GRENSELOS_SETTINGS"].database_url, "tromso-desk", "tromso", "librarian",
                     staff_signin.PASSWORD)
    staff_signin.add(app.config["GRENSELOS_SETTINGS"].database_url, "alta-desk", "alta", "librarian",
                     staff_signin.PASSWORD)
    client = app.test_client()
    assert client.get("/staff/deposits.json").status_code == 401
    staff_signin.sign_in_client(client, "tromso-desk", staff_signin.PASSWORD)
    page = client.get("/staff/deposits")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="to_library"' in html and 'value="kautokeino"' in html
    token = CSRF.search(html).group(1)
    assert client.post("/staff/deposits", data={"to_library": "kautokeino", "until": "2099-05-31"}).status_code == 400
    made = client.post("/staff/deposits.json", data={
        "csrf_token": token, "to_library": "kautokeino", "until": "2099-05-31", "place": "Kautokeino school",
        "note": "Sami crate", "barcodes": "B000001\nB000002\nA000001"})
    assert made.status_code == 201
    deposit = made.get_json()["deposit"]
    assert [c["barcode"] for c in deposit["copies"]] == ["B000001", "B000002"]
    assert made.get_json()["message"]["refused"][0]["barcode"] == "A000001"
    url = f"/staff/deposits/{deposit['id']}"
    scanned = client.post(url + ".json", data={"csrf_token": token, "action": "add", "barcode": "B000003"})
    assert [c["barcode"] for c in scanned.get_json()["deposit"]["copies"]] == ["B000001", "B000002", "B000003"]
    shown = client.get(url).get_data(as_text=True)
    assert 'id="barcode"' in shown and "autofocus" in shown and "Kautokeino school" in shown
    listed = client.get("/staff/deposits.json").get_json()
    assert [d["id"] for d in listed["deposits"]] == [deposit["id"]] and listed["due_home"] == []
    other = app.test_client()
    staff_signin.sign_in_client(other, "alta-desk", staff_signin.PASSWORD)
    assert other.get(url + ".json").status_code == 404 and other.get("/staff/deposits.json").get_json()["deposits"] == []
    back = client.post(url + ".json", data={"csrf_token": token, "action": "return"})
    assert back.status_code == 200 and back.get_json()["deposit"]["status"] == "returned"
    assert client.get("/staff/deposits.json").get_json()["deposits"] == []


def test_my_page_shows_open_replacement_claims(app):
    client = app.test_client()
    token = CSRF.search(client.get("/my").get_data(as_text=True)).group(1)
    client.post("/my/login", data={"card": "N123456789", "pin": "2468", "csrf_token": token})
    assert client.get("/my.json").get_json()["claims"] == []
    with app.app_context():
        from accounts.principal import Principal
        from portal import services
        circ = services.circulation()
        circ.checkout("N123456789", "B000004", "tromso")
        lost = circ.mark_lost("B000004", Principal("desk", "tromso", "librarian"))
    claims = client.get("/my.json").get_json()["claims"]
    assert [(c["barcode"], c["status"], c["library_name"]) for c in claims] == \
        [("B000004", "open", "Tromsø bibliotek")]
    html = client.get("/my?lang=en").get_data(as_text=True)
    assert "Replacement claims" in html and "B000004" in html
    with app.app_context():
        services.circulation().settle_claim(lost.claim.id, Principal("desk", "tromso", "librarian"))
    assert client.get("/my.json").get_json()["claims"] == []
    assert client.get("/api/patron", headers=basic("N123456789", "2468")).get_json()["claims"] == []


def test_a_county_admin_chooses_the_lending_library(app):
    staff_signin.add(app.config["GRENSELOS_SETTINGS"].database_url, "county", "", "county-admin",
                     staff_signin.PASSWORD)
    client = app.test_client()
    staff_signin.sign_in_client(client, "county", staff_signin.PASSWORD)
    html = client.get("/staff/deposits").get_data(as_text=True)
    assert 'name="from_library"' in html
    token = CSRF.search(html).group(1)
    made = client.post("/staff/deposits.json", data={"csrf_token": token, "from_library": "alta",
                                                     "to_library": "kautokeino", "until": "2099-01-31",
                                                     "barcodes": "A000001 B000001"})
    assert made.status_code == 201 and made.get_json()["deposit"]["from_library"] == "alta"
    assert made.get_json()["message"]["refused"][0]["barcode"] == "B000001"      # Tromsø's copy
