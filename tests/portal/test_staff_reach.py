"""Every staff route, found in the app's URL map (so a route added later is walked too), keeps each
library's data to its own staff: anonymous gets 401 (JSON) or is sent to sign in (HTML); a librarian
or library admin of another library gets 403 or 404, or a page that holds none of Karasjok's data.

Staff routes are those under /staff, and those under /api outside the public blueprints (the ones that
allow cross-origin reads, `portal.security.CORS_PUBLIC`). Path variables are filled with Karasjok's
objects (its librarian's username, its librarian's API token id, which is also the id of its list), and every request also asks for
`?source=karasjok&library=karasjok`, so a route taking the library from the query is asked for
Karasjok's data too. Unsafe methods carry the intruder's valid CSRF token, so a refusal is the access
check's, not the CSRF check's."""

from __future__ import annotations

import re

import pytest

from tests import staff_signin

PASSWORD = "a-staff-password-for-tests"
VICTIM = "karasjok-librarian"
OPEN = {"/staff", "/staff.json", "/staff/login", "/staff/login.json", "/staff/logout"}
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
#: Desk transactions happen at the signed-in person's own library; a patron of another is not found.
DESK = ("/staff/desk/checkout", "/staff/desk/checkout.json", "/staff/desk/checkin", "/staff/desk/checkin.json",
        "/staff/desk/sync",        # the signed-in person's own library: the body names no library
        "/staff/desk/lost", "/staff/desk/lost.json",     # the service refuses another library's copies (403)
        # cataloguing and deliveries add copies to the signed-in person's own library: the body names none
        "/api/staff/copies", "/staff/catalogue", "/staff/catalogue.json", "/staff/receive", "/staff/receive.json",
        # inter-library loans of the signed-in person's own library: another library's request id is not found
        "/staff/ill", "/staff/ill.json",
        # a new deposit lends the signed-in person's own library's copies (another from_library: 403)
        "/staff/deposits", "/staff/deposits.json")


@pytest.fixture
def reach(app, settings):
    for user, library, role in ((VICTIM, "karasjok", "librarian"), ("karasjok-admin", "karasjok", "library-admin"),
                                ("tromso-librarian", "tromso", "librarian"), ("tromso-admin", "tromso", "library-admin")):
        staff_signin.add(settings.database_url, user, library, role, PASSWORD)
    with app.app_context():
        from portal.staff.access import accounts
        raw, entry = accounts().create_token(VICTIM, "victim's script")
        from portal.list_page import store
        list_id = store().create(["karasjok"], {"title": {"se": "Kárášjoga listu"}, "items": ["karasjok:77"]})
    assert list_id == entry["id"]         # so <int:…> in a lists route names Karasjok's (draft) list
    victim = app.test_client()
    staff_signin.sign_in_client(victim, VICTIM, PASSWORD)        # Karasjok has sessions and audit events
    return app, entry["id"], raw


def staff_routes(app):
    from portal.security import CORS_PUBLIC
    found = []
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.split(".")[0] if "." in rule.endpoint else None
        if blueprint == "patron":          # the patron's own API: tests/circulation/test_portal.py
            continue
        if rule.rule.startswith("/staff") or (rule.rule.startswith("/api/") and blueprint not in CORS_PUBLIC):
            found.append(rule)
    return found


def fill(rule, token_id: int) -> str:
    def value(match):
        converter, name = match.group(1) or "", match.group(2)
        if converter.startswith("int"):
            return str(token_id)
        return VICTIM if name in ("username", "user") else "karasjok"
    return re.sub(r"<(?:([a-z]+)(?:\([^)]*\))?:)?([a-z_]+)>", value, rule.rule)


def requests(app, token_id):
    for rule in staff_routes(app):
        path = fill(rule, token_id)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, path, method


def test_the_walk_finds_the_staff_routes(reach):
    app, _, _ = reach
    rules = {r.rule for r in staff_routes(app)}
    assert {"/staff/languages", "/staff/users", "/staff/users/<username>", "/staff/tokens",
            "/staff/tokens/<int:token_id>/revoke", "/staff/account", "/staff/audit", "/api/staff/me"} <= rules
    assert "/api/search" not in rules


def test_anonymous_gets_401_or_the_sign_in_page(reach):
    app, token_id, _ = reach
    client = app.test_client()
    token = staff_signin.csrf_from(client)
    for rule, path, method in requests(app, token_id):
        if rule.rule in OPEN:
            continue
        response = client.open(path + "?source=karasjok&library=karasjok", method=method,
                                data={"csrf_token": token} if method in UNSAFE else None)
        json_route = path.endswith(".json") or path.startswith("/api/")
        if json_route:
            assert response.status_code == 401, (method, path, response.status_code)
            assert response.headers["WWW-Authenticate"].startswith("Basic"), path
        else:
            assert response.status_code in (303, 401), (method, path, response.status_code)
            if response.status_code == 303:
                assert "/staff/login" in response.headers["Location"], (method, path)


@pytest.mark.parametrize("intruder", ["tromso-librarian", "tromso-admin"])
def test_another_library_s_staff_get_nothing_of_karasjok(reach, intruder):
    app, token_id, raw = reach
    client = app.test_client()
    staff_signin.sign_in_client(client, intruder, PASSWORD)
    token = staff_signin.csrf_from(client, "/staff")
    for rule, path, method in requests(app, token_id):
        if rule.rule in ("/staff/login", "/staff/login.json", "/staff/logout"):
            continue
        response = client.open(path + "?source=karasjok&library=karasjok", method=method,
                                data={"csrf_token": token, "action": "disable", "name": "x"}
                                if method in UNSAFE else None)
        body = response.get_data(as_text=True).replace(path, "")     # the page's own links name its path
        if "<" in rule.rule or method in UNSAFE and rule.rule not in ("/staff/tokens", "/staff/tokens.json",
                                                                       "/staff/account", "/staff/account.json",
                                                                       "/staff/users", "/staff/users.json",
                                                                       "/staff/lists/new", "/api/lists", *DESK):
            assert response.status_code in (403, 404), (intruder, method, path, response.status_code)
        else:
            assert response.status_code in (200, 201, 303, 400, 403, 404), (intruder, method, path,
                                                                             response.status_code)
        assert VICTIM not in body and "karasjok-admin" not in body, (intruder, method, path)
        assert "Kárášjoga" not in body or "<option" in body, (intruder, method, path)   # the page's library list
    with app.app_context():
        from portal.staff.access import accounts
        assert not accounts().get(VICTIM).disabled and accounts().principal_for_token(raw) is not None
    assert client.get("/staff/languages.json?source=karasjok").status_code == 403


def test_the_other_library_s_credentials_by_header_reach_nothing_either(reach):
    import base64
    app, token_id, _ = reach
    header = {"Authorization": "Basic " + base64.b64encode(f"tromso-librarian:{PASSWORD}".encode()).decode()}
    client = app.test_client()
    for rule, path, method in requests(app, token_id):
        if "<" not in rule.rule and rule.rule != "/staff/languages.json":
            continue
        response = client.open(path + "?source=karasjok", method=method, headers=header,
                               json={"action": "disable"} if method in UNSAFE else None)
        assert response.status_code in (403, 404), (method, path, response.status_code)
