"""Staff accounts in a real Chromium: a librarian signs in and lands on /staff, makes an API token that is
shown once, and every staff page (signed in as a library admin, who sees them all) has no axe WCAG 2.1 AA
violation in any interface language."""

from __future__ import annotations

import pytest

from tests.browser.conftest import STAFF_ADMIN, run_axe
from tests.staff_signin import USER, sign_in_page

LANGS = ["nb", "nn", "se", "en"]
PAGES = {
    "staff": "/staff",
    "users": "/staff/users",
    "user": f"/staff/users/{USER}",
    "tokens": "/staff/tokens",
    "account": "/staff/account",
    "audit": "/staff/audit",
    "sources": "/staff/sources",
    "source": "/staff/sources/kautokeino",
    "catalogue": "/staff/catalogue",
    "receive": "/staff/receive",
    "notices": "/staff/notices",
    "notice-template": "/staff/notices/overdue/se",
    "ill": "/staff/ill",
}


def test_a_librarian_signs_in_and_lands_on_the_staff_page(page, demo_portal_url):
    sign_in_page(page, demo_portal_url)
    assert page.url == demo_portal_url + "/staff"
    assert USER in page.inner_text("main .lead")
    links = page.locator("ul.staff-sections a")
    hrefs = {links.nth(i).get_attribute("href").split("?")[0] for i in range(links.count())}
    assert "/staff/tokens" in hrefs and "/staff/account" in hrefs
    assert "/staff/users" not in hrefs                                  # no staff admin for a librarian
    page.goto(demo_portal_url + "/staff/login?lang=en")
    page.fill("#username", USER)
    page.fill("#password", "not the password")
    page.click("form.staff-login button[type=submit]")
    assert "Wrong username, password or code." in page.inner_text("[role=alert]")


def test_a_new_api_token_is_shown_once(page, demo_portal_url):
    sign_in_page(page, demo_portal_url)
    page.goto(demo_portal_url + "/staff/tokens?lang=en")
    page.fill("#token-name", "nightly list import")
    page.click("form.staff-login button[type=submit]")
    token = page.inner_text("code.new-token")
    assert token.startswith("gls_")
    page.goto(demo_portal_url + "/staff/tokens?lang=en")
    assert token not in page.content() and "nightly list import" in page.inner_text("table.staff-tokens")


@pytest.mark.parametrize("lang", LANGS)
def test_staff_pages_have_no_axe_violations(page, demo_portal_url, axe_source, lang):
    sign_in_page(page, demo_portal_url, user=STAFF_ADMIN)
    for name, url in PAGES.items():
        response = page.goto(demo_portal_url + url + f"?lang={lang}")
        assert response is not None and response.status == 200, name
        assert page.evaluate("() => document.documentElement.lang") == lang
        violations = run_axe(page, axe_source)
        assert violations == [], f"{name} ({lang}): " + "; ".join(
            f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in violations)
    page.goto(demo_portal_url + f"/staff/account?lang={lang}")
    page.click("button[value=totp-start]")                             # the enrolment step too
    assert page.locator("code.totp-secret").count() == 1
    assert run_axe(page, axe_source) == []
    assert page.csp_errors == [], page.csp_errors
