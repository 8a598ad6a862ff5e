"""/staff/rules in a real Chromium: no axe WCAG 2.1 AA violation in any interface language (the page as read,
and with refused values shown), a cell set with the keyboard alone, and reflow at 320 CSS px (no sideways
page scroll, wide tables in focusable named regions, no word split in a cell)."""

from __future__ import annotations

import pytest

from tests import staff_signin
from tests.browser.conftest import assert_no_axe_violations, county_settings, serving
from tests.browser.test_reflow_and_input import SPLIT_WORDS, UNREACHABLE_SCROLLERS

LANGS = ["nb", "nn", "se", "en"]
ADMIN = "tromso-admin"


@pytest.fixture(scope="module")
def rules_url(tmp_path_factory):
    settings, engine = county_settings(tmp_path_factory, "rules-browser")
    engine.dispose()
    staff_signin.add(settings.database_url, ADMIN, "tromso", "library-admin")
    with serving(settings, "browser-rules-key-" + "r" * 32) as url:
        yield url


@pytest.mark.parametrize("lang", LANGS)
def test_the_rules_page_has_no_axe_violations(page, rules_url, axe_source, lang):
    staff_signin.sign_in_page(page, rules_url, ADMIN)
    page.goto(f"{rules_url}/staff/rules?lang={lang}")
    assert page.evaluate("() => document.documentElement.lang") == lang
    assert page.locator("table th[scope=row]").count() >= 5
    assert_no_axe_violations(page, axe_source, f"/staff/rules ({lang})")
    # refused values: the browser's own checks are switched off so the server's messages show
    page.evaluate("() => { document.querySelector('form.rule-form').noValidate = true; }")
    page.fill("#rule-loan_days", "many")
    page.click("form.rule-form button[type=submit]")
    page.wait_for_selector("[role=alert]")
    assert page.get_attribute("#rule-loan_days", "aria-invalid") == "true"
    assert_no_axe_violations(page, axe_source, f"/staff/rules with a refused value ({lang})")
    assert page.csp_errors == [], page.csp_errors


def test_a_cell_is_set_with_the_keyboard_alone(page, rules_url):
    staff_signin.sign_in_page(page, rules_url, ADMIN)
    page.goto(f"{rules_url}/staff/rules?lang=en")
    page.focus("#rule-category")
    page.keyboard.press("ArrowDown")                    # Any category → Adults
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")                          # past the item type, to the loan period
    assert page.evaluate("() => document.activeElement.id") == "rule-loan_days"
    page.keyboard.press("Control+A")
    page.keyboard.type("12")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("[role=status]").inner_text().strip() == "The rule is saved."
    row = page.locator("table tbody tr", has_text="Adults").first
    assert "12" in row.inner_text()


@pytest.mark.parametrize("lang", ["nb", "se"])
def test_the_rules_page_reflows_at_320_px(browser, rules_url, lang):
    context = browser.new_context(viewport={"width": 320, "height": 800})
    page = context.new_page()
    try:
        staff_signin.sign_in_page(page, rules_url, ADMIN)
        page.goto(f"{rules_url}/staff/rules?lang={lang}")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
        assert page.evaluate(UNREACHABLE_SCROLLERS) == []
        assert page.evaluate(SPLIT_WORDS) == []
    finally:
        context.close()
