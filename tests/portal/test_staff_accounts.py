"""Staff accounts on the web: the JSON API's credentials (HTTP Basic, bearer tokens, revocation), CSRF for
cookie sessions only, and the admin pages (accounts, tokens, own account with TOTP, audit log), through
the real app over a real SQLite database."""

from __future__ import annotations

import base64
import re

import pytest

from accounts import totp
from tests import staff_signin

PASSWORD = "a-staff-password-for-tests"
USERS = {"karasjok-librarian": ("karasjok", "librarian"), "karasjok-admin": ("karasjok", "library-admin"),
         "tromso-librarian": ("tromso", "librarian"), "tromso-admin": ("tromso", "library-admin"),
         "county": ("tromso", "county-admin")}


@pytest.fixture
def staff_app(app, settings):
    for user, (library, role) in USERS.items():
        staff_signin.add(settings.database_url, user, library, role, PASSWORD)
    return app


def signed_in(app, user):
    client = app.test_client()
    staff_signin.sign_in_client(client, user, PASSWORD)
    return client


def basic(user, password=PASSWORD):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def csrf(client, path="/staff"):
    return staff_signin.csrf_from(client, path)


def _accounts(app):
    with app.app_context():
        from portal.staff.access import accounts
        return accounts()


def test_no_credentials_is_401_with_a_basic_challenge(staff_app):
    response = staff_app.test_client().get("/api/staff/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Grenseløs"'
    body = response.get_json()
    assert body["ok"] is False and body["status"] == 401 and body["code"] == "unauthorized"


def test_http_basic_and_bearer_tokens_name_the_principal(staff_app):
    client = staff_app.test_client()
    me = client.get("/api/staff/me", headers=basic("karasjok-librarian")).get_json()
    assert me == {"user": {"username": "karasjok-librarian", "library": "karasjok", "role": "librarian"},
                  "via": "header"}
    assert client.get("/api/staff/me", headers=basic("karasjok-librarian", "wrong")).status_code == 401
    raw, _ = _accounts(staff_app).create_token("tromso-admin", "script")
    me = client.get("/api/staff/me", headers={"Authorization": f"Bearer {raw}"}).get_json()
    assert me["user"]["username"] == "tromso-admin"
    assert client.get("/api/staff/me", headers={"Authorization": "Bearer gls_forged"}).status_code == 401


def test_a_revoked_token_stops_working_at_once(staff_app):
    client = signed_in(staff_app, "karasjok-librarian")
    made = client.post("/staff/tokens.json", data={"csrf_token": csrf(client), "name": "nightly"})
    assert made.status_code == 201
    raw, token_id = made.get_json()["created"]["token"], made.get_json()["created"]["id"]
    assert raw.startswith("gls_") and raw not in client.get("/staff/tokens").get_data(as_text=True)
    bearer = {"Authorization": f"Bearer {raw}"}
    assert staff_app.test_client().get("/api/staff/me", headers=bearer).status_code == 200
    revoked = client.post(f"/staff/tokens/{token_id}/revoke", data={"csrf_token": csrf(client)})
    assert revoked.status_code == 303
    assert staff_app.test_client().get("/api/staff/me", headers=bearer).status_code == 401
    listed = client.get("/staff/tokens.json").get_json()["tokens"]
    assert [(t["id"], t["active"]) for t in listed] == [(token_id, False)]
    other = signed_in(staff_app, "tromso-librarian")               # nobody revokes another person's token
    raw2, entry = _accounts(staff_app).create_token("karasjok-librarian", "second")
    assert other.post(f"/staff/tokens/{entry['id']}/revoke", data={"csrf_token": csrf(other)}).status_code == 404
    assert staff_app.test_client().get("/api/staff/me", headers={"Authorization": f"Bearer {raw2}"}).status_code == 200


def test_csrf_is_checked_for_cookie_sessions_not_for_authorization_headers(staff_app):
    client = signed_in(staff_app, "karasjok-librarian")
    assert client.post("/staff/tokens", data={"name": "x"}).status_code == 400          # cookie, no token
    assert client.post("/staff/tokens", data={"name": "x", "csrf_token": "forged"}).status_code == 400
    fresh = staff_app.test_client()
    made = fresh.post("/staff/tokens.json", json={"name": "by script"}, headers=basic("karasjok-librarian"))
    assert made.status_code == 201 and made.get_json()["created"]["name"] == "by script"
    # a form body is what another site's page can post, and a browser adds remembered Basic credentials to
    # it by itself: with a form body the header does not excuse the CSRF token
    forged = fresh.post("/staff/tokens.json", data={"name": "forged"}, headers=basic("karasjok-librarian"))
    assert forged.status_code == 400
    assert "forged" not in str(fresh.get("/staff/tokens.json", headers=basic("karasjok-librarian")).get_json())
    # a header that does not authenticate is not a way round the CSRF check: it is simply nobody
    assert client.post("/staff/tokens.json", json={"name": "x"},
                       headers=basic("karasjok-librarian", "wrong")).status_code == 401


def test_a_basic_password_is_throttled_like_a_sign_in(staff_app):
    client = staff_app.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.77"
    answers = [client.get("/api/staff/me", headers=basic("karasjok-admin", f"guess-{n}")).status_code
               for n in range(7)]
    assert answers == [401] * 7
    assert client.get("/api/staff/me", headers=basic("karasjok-admin")).status_code == 401   # throttled
    other = staff_app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.78"
    assert other.get("/api/staff/me", headers=basic("karasjok-admin")).status_code == 200


def test_sign_in_lands_on_staff_and_shows_who(staff_app):
    client = staff_app.test_client()
    response = staff_signin.sign_in_client(client, "karasjok-librarian", PASSWORD)
    assert response.headers["Location"].endswith("/staff")
    page = client.get("/staff.json").get_json()
    assert page["user"]["username"] == "karasjok-librarian" and page["signed_in"]
    assert {s["name"] for s in page["sections"]} == {"desk", "lists", "catalogue", "receive", "enrich", "deposits", "languages",
                                                     "sources", "audit", "tokens", "account", "ill", "notices", "rules"}
    admin = signed_in(staff_app, "karasjok-admin").get("/staff.json").get_json()
    assert "users" in {s["name"] for s in admin["sections"]}


def test_a_library_admin_manages_their_own_library_s_staff_only(staff_app):
    admin = signed_in(staff_app, "karasjok-admin")
    names = [u["username"] for u in admin.get("/staff/users.json").get_json()["users"]]
    assert names == ["karasjok-admin", "karasjok-librarian"]
    added = admin.post("/staff/users.json", data={"csrf_token": csrf(admin), "username": "new-one",
                                                  "library": "karasjok", "role": "librarian",
                                                  "password": "new-one-password-123"})
    assert added.status_code == 201 and added.get_json()["added"]["username"] == "new-one"
    for library, role in (("tromso", "librarian"), ("karasjok", "county-admin")):
        refused = admin.post("/staff/users.json", data={"csrf_token": csrf(admin), "username": "sneaky",
                                                        "library": library, "role": role,
                                                        "password": "sneaky-password-123"})
        assert refused.status_code == 400
    assert _accounts(staff_app).get("sneaky") is None
    short = admin.post("/staff/users?lang=en", data={"csrf_token": csrf(admin), "username": "short",
                                                     "library": "karasjok", "role": "librarian", "password": "x"})
    assert short.status_code == 400 and "at least 12 characters" in short.get_data(as_text=True)
    assert admin.get("/staff/users/tromso-librarian.json").status_code == 404
    assert admin.post("/staff/users/tromso-librarian", data={"csrf_token": csrf(admin),
                                                            "action": "disable"}).status_code == 404
    assert admin.get("/staff/users/county").status_code == 404
    done = admin.post("/staff/users/new-one.json", data={"csrf_token": csrf(admin), "action": "disable"})
    assert done.status_code == 200 and done.get_json()["user"]["disabled"] is True
    reset = admin.post("/staff/users/karasjok-librarian.json", data={"csrf_token": csrf(admin),
                                                                    "action": "password",
                                                                    "password": "reset-by-admin-123"})
    assert reset.status_code == 200 and _accounts(staff_app).authenticate("karasjok-librarian",
                                                                          "reset-by-admin-123").ok


def test_librarians_have_no_staff_admin_and_county_admins_see_everyone(staff_app):
    librarian = signed_in(staff_app, "karasjok-librarian")
    assert librarian.get("/staff/users").status_code == 403
    assert librarian.get("/staff/users/karasjok-admin.json").status_code == 403
    county = signed_in(staff_app, "county")
    names = {u["username"] for u in county.get("/staff/users.json").get_json()["users"]}
    assert names == set(USERS)
    assert county.get("/staff/users/karasjok-librarian.json").get_json()["user"]["library"] == "karasjok"
    assert county.get("/staff/languages.json?source=karasjok").status_code == 200


def test_the_audit_log_shows_own_library_and_the_county_admin_everything(staff_app):
    signed_in(staff_app, "tromso-librarian")
    signed_in(staff_app, "karasjok-librarian")
    karasjok = signed_in(staff_app, "karasjok-admin").get("/staff/audit.json").get_json()["events"]
    assert karasjok and {e["library"] for e in karasjok} == {"karasjok"}
    assert "tromso-librarian" not in {e["principal"] for e in karasjok}
    everything = signed_in(staff_app, "county").get("/staff/audit.json").get_json()
    assert everything["all_libraries"] and {"karasjok", "tromso"} <= {e["library"] for e in everything["events"]}
    html = signed_in(staff_app, "karasjok-librarian").get("/staff/audit?lang=en").get_data(as_text=True)
    assert "Audit log" in html and "sign_in" in html


def test_changing_one_s_own_password_needs_the_current_one_and_signs_out(staff_app):
    client = signed_in(staff_app, "karasjok-librarian")
    wrong = client.post("/staff/account", data={"csrf_token": csrf(client), "action": "password",
                                                "current": "not-it", "new": "my-new-password-1",
                                                "confirm": "my-new-password-1"})
    assert wrong.status_code == 403
    differ = client.post("/staff/account", data={"csrf_token": csrf(client), "action": "password",
                                                 "current": PASSWORD, "new": "my-new-password-1",
                                                 "confirm": "my-new-password-2"})
    assert differ.status_code == 400
    done = client.post("/staff/account", data={"csrf_token": csrf(client), "action": "password",
                                               "current": PASSWORD, "new": "my-new-password-1",
                                               "confirm": "my-new-password-1"})
    assert done.status_code == 303 and done.headers["Location"].endswith("/staff/login")
    assert client.get("/staff/account.json").status_code == 401
    staff_signin.sign_in_client(client, "karasjok-librarian", "my-new-password-1")


def test_enrolling_totp_on_the_account_page_then_signing_in_with_a_code(staff_app):
    client = signed_in(staff_app, "karasjok-librarian")
    client.post("/staff/account", data={"csrf_token": csrf(client), "action": "totp-start"})
    pending = client.get("/staff/account.json").get_json()["totp_pending"]
    assert pending["uri"].startswith("otpauth://totp/") and pending["secret"] in pending["uri"]
    bad = client.post("/staff/account", data={"csrf_token": csrf(client), "action": "totp-confirm", "code": "000000"})
    assert bad.status_code == 400 and not _accounts(staff_app).get("karasjok-librarian").totp
    import time
    code = totp.code_at(pending["secret"], time.time())
    on = client.post("/staff/account", data={"csrf_token": csrf(client), "action": "totp-confirm", "code": code})
    assert on.status_code == 303 and _accounts(staff_app).get("karasjok-librarian").totp
    fresh = staff_app.test_client()
    no_code = fresh.post("/staff/login", data={"csrf_token": csrf(fresh, "/staff/login"),
                                               "username": "karasjok-librarian", "password": PASSWORD})
    assert no_code.status_code == 403
    later = totp.code_at(pending["secret"], time.time() + 30)     # the enrolment's code cannot be replayed
    staff_signin.sign_in_client(fresh, "karasjok-librarian", PASSWORD, code=later)
    assert fresh.get("/api/staff/me", headers=basic("karasjok-librarian")).status_code == 401   # Basic: use a token


def test_new_staff_pages_are_translated(staff_app):
    client = signed_in(staff_app, "karasjok-admin")
    for lang, word in (("nb", "Ansattkontoer"), ("nn", "Tilsettkontoar"), ("se", "Bargiid kontot"),
                       ("en", "Staff accounts")):
        html = client.get(f"/staff/users?lang={lang}").get_data(as_text=True)
        assert word in html, lang
    assert re.search(r'<label for="username">Brukernavn</label>',
                     staff_app.test_client().get("/staff/login?lang=nb").get_data(as_text=True))


def test_staff_pages_answer_json_to_accept_as_to_the_json_twin(staff_app):
    client = signed_in(staff_app, "karasjok-admin")
    for path in ("/staff", "/staff/users", "/staff/tokens", "/staff/account", "/staff/audit"):
        asked = client.get(path, headers={"Accept": "application/json"})
        assert asked.mimetype == "application/json" and asked.get_json() == client.get(path + ".json").get_json(), path
        assert client.get(path, headers={"Accept": "text/html,*/*;q=0.8"}).mimetype == "text/html", path
    assert staff_app.test_client().get("/staff/users", headers={"Accept": "application/json"}).status_code == 401
