"""The lists API's contract (201/400/401/403/404/405, Basic and Bearer) and the staff list pages: create,
edit, reorder, add from search and other lists, copy, co-owners, CSRF, and every route refusing another
library's librarian."""

from __future__ import annotations

import base64
import re

import pytest

from tests import staff_signin

KARASJOK = ("karasjok-librarian", "karasjok-test-password-0123")
TROMSO = ("tromso-librarian", "tromso-test-password-0123")


def _basic(user: tuple[str, str]) -> dict:
    raw = base64.b64encode(f"{user[0]}:{user[1]}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


@pytest.fixture
def staff(settings, app):
    staff_signin.add(settings.database_url, user=KARASJOK[0], library="karasjok", password=KARASJOK[1])
    staff_signin.add(settings.database_url, user=TROMSO[0], library="tromso", password=TROMSO[1])
    return app


def _create(client, user=KARASJOK, **extra) -> int:
    body = {"title": {"nb": "Samiske bøker"}, "items": ["karasjok:77", "tromso:1001"], "published": True, **extra}
    response = client.post("/api/lists", json=body, headers=_basic(user))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def test_post_creates_a_published_list_and_answers_201_with_its_id(staff, client):
    list_id = _create(client)
    response = client.get(f"/lists/{list_id}.json")
    assert response.status_code == 200
    data = response.get_json()
    assert data["title"] == "Samiske bøker" and [e["record"] for e in data["entries"]] == ["karasjok:77", "tromso:1001"]
    assert data["json_ld"]["@type"] == "ItemList"
    assert client.get(f"/lists/{list_id}").status_code == 200
    assert client.get(f"/lists/{list_id}.atom").status_code == 200


def test_no_credentials_is_401_with_a_challenge(staff, client):
    for method, url in (("POST", "/api/lists"), ("PUT", "/api/lists/1"), ("DELETE", "/api/lists/1")):
        response = client.open(url, method=method, json={"title": {"nb": "x"}})
        assert response.status_code == 401, (method, url)
        assert response.headers["WWW-Authenticate"].startswith("Basic")
        assert response.is_json
    wrong = client.post("/api/lists", json={"title": {"nb": "x"}}, headers=_basic((KARASJOK[0], "wrong")))
    assert wrong.status_code == 401


def test_another_librarys_librarian_gets_403_and_the_owner_may_change_it(staff, client):
    list_id = _create(client)
    assert client.put(f"/api/lists/{list_id}", json={"title": {"nb": "Mine nå"}},
                      headers=_basic(TROMSO)).status_code == 403
    assert client.delete(f"/api/lists/{list_id}", headers=_basic(TROMSO)).status_code == 403
    assert client.post("/api/lists", json={"title": {"nb": "x"}, "owners": ["karasjok"]},
                       headers=_basic(TROMSO)).status_code == 403
    changed = client.put(f"/api/lists/{list_id}", json={"title": {"se": "Sámegiel girjjit"},
                                                        "items": ["tromso:1001"]}, headers=_basic(KARASJOK))
    assert changed.status_code == 200 and changed.get_json()["title"] == {"se": "Sámegiel girjjit"}
    assert [i["record"] for i in changed.get_json()["items"]] == ["tromso:1001"]
    assert client.delete(f"/api/lists/{list_id}", headers=_basic(KARASJOK)).status_code == 200
    assert client.get(f"/lists/{list_id}").status_code == 404
    assert client.put(f"/api/lists/{list_id}", json={}, headers=_basic(KARASJOK)).status_code == 404
    assert client.delete("/api/lists/999999", headers=_basic(KARASJOK)).status_code == 404


def test_bad_input_is_400_naming_the_field_and_unknown_methods_405(staff, client):
    bad = client.post("/api/lists", json={"title": {"xx": "?"}}, headers=_basic(KARASJOK))
    assert bad.status_code == 400 and bad.get_json()["field"] == "title"
    assert client.post("/api/lists", json={"title": {"nb": "x"}, "published": "yes"},
                       headers=_basic(KARASJOK)).get_json()["field"] == "published"
    assert client.post("/api/lists", data="not json", headers=_basic(KARASJOK)).status_code == 400
    for method in ("PATCH", "PUT", "DELETE", "GET"):
        assert client.open("/api/lists", method=method, headers=_basic(KARASJOK)).status_code == 405, method
    assert client.patch("/api/lists/1", headers=_basic(KARASJOK)).status_code == 405


def test_a_bearer_token_works_and_a_revoked_one_does_not(staff, settings, client):
    from accounts.store import Accounts
    from core.settings import StaffSettings
    accounts = Accounts.open(settings.database_url, StaffSettings())
    raw, entry = accounts.create_token(KARASJOK[0], "script")
    bearer = {"Authorization": f"Bearer {raw}"}
    assert client.post("/api/lists", json={"title": {"nb": "Med nøkkel"}}, headers=bearer).status_code == 201
    accounts.revoke_token(KARASJOK[0], entry["id"])
    assert client.post("/api/lists", json={"title": {"nb": "Igjen"}}, headers=bearer).status_code == 401
    accounts.engine.dispose()


def test_a_session_json_request_without_the_csrf_header_is_refused(staff, client):
    staff_signin.sign_in_client(client, user=KARASJOK[0], password=KARASJOK[1])
    assert client.post("/api/lists", json={"title": {"nb": "x"}}).status_code == 400


def _csrf(client, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def test_librarian_builds_a_list_in_the_staff_pages(staff, client):
    staff_signin.sign_in_client(client, user=KARASJOK[0], password=KARASJOK[1])
    token = _csrf(client, "/staff/lists/new")
    created = client.post("/staff/lists/new", data={"csrf_token": token, "title_nb": "Fiske", "publish": "draft"})
    assert created.status_code == 303
    edit_url = created.headers["Location"]
    list_id = int(edit_url.rsplit("/", 1)[1])
    search = client.get("/search?q=fisk").get_data(as_text=True)
    assert f'action="/staff/lists/{list_id}/items"' in search                 # "Add to list" on every hit
    for record in ("tromso:1001", "karasjok:77"):
        added = client.post(f"/staff/lists/{list_id}/items", data={"csrf_token": token, "record": record,
                                                                    "next": "/search?q=fisk"})
        assert added.status_code == 303 and added.headers["Location"] == "/search?q=fisk"
    page = client.get(edit_url).get_data(as_text=True)
    assert page.index("Fiskaren og havet") < page.index("Guolásteaddji ja áhpi")
    form = {"csrf_token": token, "items_present": "1", "owners_present": "1", "owners": ["karasjok", "tromso"],
            "title_nb": "Fiske", "title_se": "Guolásteapmi", "item": ["tromso:1001", "karasjok:77"],
            "item_blurb_1_se": "Buorre girji.", "publish": "now", "action": "down:0", "audiences": ["adults"]}
    saved = client.post(edit_url, data=form)
    assert saved.status_code == 303
    data = client.get(f"/staff/lists/{list_id}.json").get_json()
    assert [i["record"] for i in data["list"]["items"]] == ["karasjok:77", "tromso:1001"]
    assert data["list"]["items"][0]["blurb"] == {"se": "Buorre girji."}        # the blurb moved with its title
    assert data["list"]["state"] == "published" and data["list"]["owners"] == ["karasjok", "tromso"]
    assert data["list"]["audiences"] == ["adults"]
    assert data["stats"]["views"] == 0 and "loans" in data["stats"]
    assert client.post(edit_url, data={**form, "csrf_token": "forged"}).status_code == 400
    assert client.get(f"/lists/{list_id}?lang=se").status_code == 200


def test_copying_another_librarys_list_and_adding_from_a_list(staff, client):
    origin = _create(client, user=TROMSO)
    staff_signin.sign_in_client(client, user=KARASJOK[0], password=KARASJOK[1])
    overview = client.get("/staff/lists.json").get_json()
    assert [o["id"] for o in overview["others"]] == [origin] and overview["lists"] == []
    token = _csrf(client, "/staff/lists")
    copied = client.post(f"/staff/lists/{origin}/copy", data={"csrf_token": token})
    assert copied.status_code == 303
    copy_id = int(copied.headers["Location"].rsplit("/", 1)[1])
    data = client.get(f"/staff/lists/{copy_id}.json").get_json()["list"]
    assert data["origin"] == origin and data["owners"] == ["karasjok"] and data["state"] == "draft"
    fresh = client.post("/staff/lists/new", data={"csrf_token": token, "title_se": "Ođđa", "publish": "draft"})
    fresh_id = int(fresh.headers["Location"].rsplit("/", 1)[1])
    client.post(f"/staff/lists/{fresh_id}/items", data={"csrf_token": token, "from_list": str(origin)})
    items = client.get(f"/staff/lists/{fresh_id}.json").get_json()["list"]["items"]
    assert [i["record"] for i in items] == ["karasjok:77", "tromso:1001"]


def test_every_staff_lists_route_refuses_another_librarys_list(staff, app, client):
    list_id = _create(client, user=TROMSO)
    staff_signin.sign_in_client(client, user=KARASJOK[0], password=KARASJOK[1])
    token = _csrf(client, "/staff/lists")
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("staff_lists.") or "list_id" not in rule.arguments:
            continue
        path = rule.rule.replace("<int:list_id>", str(list_id))
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if rule.endpoint == "staff_lists.copy":
                continue                        # copying a published list of another library is the point
            response = client.open(path, method=method, data={"csrf_token": token},
                                   headers={"X-CSRF-Token": token})
            assert response.status_code == 403, (method, path, response.status_code)
            checked += 1
    assert checked >= 7
    assert client.get("/staff/lists.json").get_json()["lists"] == []
    signed_out = app.test_client()
    assert signed_out.get("/staff/lists.json").status_code == 401
    assert signed_out.get("/staff/lists").status_code == 303


def test_a_deleted_lists_id_is_never_given_to_another_list(staff, client):
    """Feeds, widgets and links on municipal web pages name a list by its id: after a delete they must
    find nothing, not somebody else's list."""
    first = _create(client)
    assert client.delete(f"/api/lists/{first}", headers=_basic(KARASJOK)).status_code == 200
    second = _create(client)
    assert second != first and client.get(f"/lists/{first}").status_code == 404
