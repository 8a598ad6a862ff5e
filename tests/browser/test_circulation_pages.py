"""The circulation desk and My page in a real Chromium: scanning a card and an item with the keyboard only
(a scanner types and presses Enter), the large message, and no axe WCAG 2.1 AA violation in any interface
language."""

from __future__ import annotations


import pytest

from tests import staff_signin
from tests.browser.conftest import assert_no_axe_violations, county_settings, serving

LANGS = ["nb", "nn", "se", "en"]
LIBRARIAN = "tromso-desk"
PASSWORD = "tromso-desk-password-0123"


@pytest.fixture(scope="module")
def circ_url(tmp_path_factory):
    from tests.circulation.conftest import add_copies, add_patron
    settings, engine = county_settings(tmp_path_factory, "circulation-browser")
    add_copies(engine, "tromso", 10)
    add_patron(engine, "N123456789", pin="2468", name="Kari Nordmann")
    engine.dispose()
    staff_signin.add(settings.database_url, LIBRARIAN, "tromso", "librarian", PASSWORD)
    with serving(settings, "browser-circ-key-" + "c" * 32) as url:
        yield url


def _sign_in(page, base):
    staff_signin.sign_in_page(page, base, LIBRARIAN, PASSWORD)


def _focused(page, element_id: str) -> None:
    """The field has the focus (autofocus), so a scanner can type into it without a click."""
    page.wait_for_function("(id) => document.activeElement && document.activeElement.id === id", arg=element_id,
                           timeout=10000)


def test_the_desk_works_from_the_keyboard_alone(page, circ_url):
    _sign_in(page, circ_url)
    page.goto(circ_url + "/staff/desk/checkout?lang=en")
    _focused(page, "card")
    page.keyboard.type("N123456789")
    page.keyboard.press("Enter")
    page.wait_for_selector("#barcode")
    _focused(page, "barcode")
    page.keyboard.type("B000001")
    page.keyboard.press("Enter")
    page.wait_for_selector(".desk-message.ok")
    assert "is lent until" in page.inner_text("[role=status]")
    _focused(page, "barcode")                                                  # ready for the next item
    page.goto(circ_url + "/staff/desk/checkin?lang=en")
    _focused(page, "barcode")       # a scan typed before the page has focused its field would go nowhere
    page.keyboard.type("B000001")
    page.keyboard.press("Enter")
    page.wait_for_selector(".desk-message.ok")
    assert "put it on the shelf" in page.inner_text("[role=status]")
    assert page.csp_errors == [], page.csp_errors


@pytest.mark.parametrize("lang", LANGS)
def test_desk_and_my_page_have_no_axe_violations(page, circ_url, axe_source, lang):
    _sign_in(page, circ_url)
    for url in ("/staff/desk/checkout", "/staff/desk/checkout?card=N123456789", "/staff/desk/checkin",
                "/staff/desk/patron", "/staff/desk/patron?card=N123456789", "/staff/desk/patron?card=NOBODY"):
        page.goto(circ_url + url + ("&" if "?" in url else "?") + f"lang={lang}")
        assert page.evaluate("() => document.documentElement.lang") == lang
        assert_no_axe_violations(page, axe_source, f"{url} ({lang})")
    page.goto(circ_url + f"/my?lang={lang}")
    assert_no_axe_violations(page, axe_source, f"/my sign-in ({lang})")
    page.fill("#card", "N123456789")
    page.fill("#pin", "2468")
    page.click("form.patron-login button[type=submit]")
    page.wait_for_selector("h1 .subtitle")
    assert_no_axe_violations(page, axe_source, f"/my ({lang})")
    page.goto(circ_url + f"/my/settings?lang={lang}")
    assert_no_axe_violations(page, axe_source, f"/my/settings ({lang})")
    assert page.csp_errors == [], page.csp_errors


@pytest.mark.parametrize("lang", LANGS)
def test_deposit_pages_scan_from_the_keyboard_with_no_axe_violations(page, circ_url, axe_source, lang):
    first = 2 + 2 * LANGS.index(lang)                  # each language its own copies: B000002 … B000009
    _sign_in(page, circ_url)
    page.goto(circ_url + f"/staff/deposits?lang={lang}")
    assert_no_axe_violations(page, axe_source, f"/staff/deposits ({lang})")
    page.select_option("#deposit-to", "kautokeino")
    page.fill("#deposit-place", "Kautokeino school")
    page.fill("#deposit-until", "2099-05-31")
    page.fill("#deposit-barcodes", f"B{first:06d}")
    page.click("form.staff-form button[type=submit]")
    page.wait_for_selector(".desk-message.ok")
    _focused(page, "barcode")                           # ready for the scanner
    page.keyboard.type(f"B{first + 1:06d}")
    page.keyboard.press("Enter")
    page.wait_for_selector(".desk-message.ok")
    assert f"B{first + 1:06d}" in page.inner_text("table.report-table")
    assert_no_axe_violations(page, axe_source, f"/staff/deposits/<id> ({lang})")
    assert page.csp_errors == [], page.csp_errors
