"""Signing a librarian in, for tests: an account in the test's database, then a real sign-in (CSRF and all).

`add` writes the account straight into the database (as `grenselos staff add` does); `sign_in_client`
signs a Flask test client in through the sign-in form; `sign_in_page` does the same in Chromium and
leaves the page on /staff.
"""

from __future__ import annotations

import base64
import re

from accounts.store import Accounts
from core.settings import StaffSettings

USER = "kautokeino-librarian"
PASSWORD = "kautokeino-test-password-0123"

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def add(database_url: str, user: str = USER, library: str = "kautokeino", role: str = "librarian",
        password: str = PASSWORD):
    """Create the account (tables migrated first); returns the `accounts.store.User`."""
    accounts = Accounts.open(database_url, StaffSettings())
    try:
        return accounts.add(user, library, role, password)
    finally:
        accounts.engine.dispose()


def basic(user: str = USER, password: str = PASSWORD) -> dict:
    """The HTTP Basic header a JSON client signs in with."""
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def csrf_in(html: str, where: str = "the page") -> str:
    """The CSRF token a form in `html` carries."""
    found = _CSRF.search(html)
    assert found, f"no CSRF token on {where}"
    return found.group(1)


def csrf_from(client, path: str = "/staff/login") -> str:
    """The CSRF token of the client's session, as a form on `path` carries it."""
    return csrf_in(client.get(path).get_data(as_text=True), path)


def sign_in_client(client, user: str = USER, password: str = PASSWORD, code: str = ""):
    """Sign the test client in; returns the response (303 to /staff when it worked)."""
    response = client.post("/staff/login", data={"csrf_token": csrf_from(client), "username": user,
                                                  "password": password, "code": code})
    assert response.status_code == 303, f"sign-in of {user} failed: {response.status_code}"
    return response


def signed_in(app, user: str = USER, password: str = PASSWORD):
    """A new test client of `app`, signed in as `user`."""
    client = app.test_client()
    sign_in_client(client, user, password)
    return client


def sign_in_page(page, base: str, user: str = USER, password: str = PASSWORD) -> None:
    """Sign in through the form in a Playwright page; it ends on /staff."""
    page.goto(f"{base}/staff/login")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("form.staff-login button[type=submit]")
    page.wait_for_url(re.compile(r".*/staff$"))
