"""My page and GET /api/patron show the patron's own inter-library loan requests (borrowing side), with their
state in the patron's words, read-only; another patron's requests and the lending side's rows stay out."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import insert, select

from circulation.ill_tables import ill_requests
from circulation.tables import patrons

from tests.circulation.conftest import add_patron
from tests.circulation.test_portal import CSRF, app, basic  # noqa: F401  (fixture)


def _request(engine, card: str | None, value: str, state: str, role: str = "borrowing", **kw):
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        patron_id = conn.execute(select(patrons.c.id).where(patrons.c.card == card)).scalar() if card else None
        conn.execute(insert(ill_requests).values(
            role=role, library="tromso", peer_agency="NO-2030000", request_agency="NO-2030100",
            request_value=value, state=state, patron_id=patron_id, title=f"Bok {value}", created_at=now,
            updated_at=now, **kw))


def test_my_page_and_the_patron_api_list_the_patrons_ill_requests(app):
    add_patron(app.engine, "N222222222", pin="1111")
    _request(app.engine, "N123456789", "1", "requested")
    _request(app.engine, "N123456789", "2", "lent", due_date=date(2027, 1, 15))
    _request(app.engine, "N222222222", "3", "shipped")                     # someone else's
    _request(app.engine, "N123456789", "4", "shipped", role="lending")    # not a request of theirs
    client = app.test_client()
    mine = client.get("/api/patron", headers=basic("N123456789", "2468")).get_json()["ill"]
    assert [(r["title"], r["state"], r["due_date"]) for r in mine] == [("Bok 2", "lent", "2027-01-15"),
                                                                        ("Bok 1", "requested", None)]
    assert mine[0]["lender"] == "NO-2030000" and mine[0]["lender_name"]
    other = client.get("/api/patron", headers=basic("N222222222", "1111")).get_json()["ill"]
    assert [r["title"] for r in other] == ["Bok 3"]
    token = CSRF.search(client.get("/my").get_data(as_text=True)).group(1)
    assert client.post("/my/login", data={"card": "N123456789", "pin": "2468", "csrf_token": token}).status_code == 303
    assert [r["state"] for r in client.get("/my.json").get_json()["ill"]] == ["lent", "requested"]
    html = client.get("/my?lang=en").get_data(as_text=True)
    assert "Inter-library loans" in html and "On loan to you" in html and "Asked for from another library" in html
    assert "Bok 3" not in html and "Bok 4" not in html
    nb = client.get("/my?lang=nb").get_data(as_text=True)
    assert "Fjernlån" in nb and "Utlånt til deg" in nb


def test_my_page_without_ill_requests_has_no_ill_section(app):
    client = app.test_client()
    assert client.get("/api/patron", headers=basic("N123456789", "2468")).get_json()["ill"] == []
    token = CSRF.search(client.get("/my").get_data(as_text=True)).group(1)
    assert client.post("/my/login", data={"card": "N123456789", "pin": "2468", "csrf_token": token}).status_code == 303
    assert "ill-heading" not in client.get("/my").get_data(as_text=True)
