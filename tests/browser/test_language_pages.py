"""The language pages, a record with holdings and the staff report in a real Chromium: axe finds no
WCAG 2.1 AA violation in any interface language, and a patron can go from the front page to a Northern
Sami book and between it and its Norwegian original."""

from __future__ import annotations

import pytest

from tests.browser.conftest import follow, run_axe
from tests.staff_signin import sign_in_page

LANGS = ["nb", "nn", "se", "en"]
SME = "/record/kautokeino-kau-ill-sme-002"
PAGES = {
    "languages": "/languages",
    "language-sme": "/language/sme",
    "language-sami": "/language/sami",
    "record-holdings": SME,
    "record-original": "/record/tromso-trb-ill-nob-001",
    "results-sami-group": "/search?filter=language:sami",
}


def _check(page, axe_source, name, lang):
    assert page.evaluate("() => document.documentElement.lang") == lang
    violations = run_axe(page, axe_source)
    assert violations == [], f"{name} ({lang}): " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in violations)
    assert page.csp_errors == [], page.csp_errors


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", list(PAGES))
def test_no_axe_violations(page, demo_portal_url, axe_source, name, lang):
    url = PAGES[name]
    response = page.goto(demo_portal_url + url + ("&" if "?" in url else "?") + f"lang={lang}")
    assert response is not None and response.status == 200
    _check(page, axe_source, name, lang)


@pytest.mark.parametrize("lang", LANGS)
def test_staff_report_has_no_axe_violations(page, demo_portal_url, axe_source, lang):
    sign_in_page(page, demo_portal_url)
    page.goto(demo_portal_url + f"/staff/languages?lang={lang}")
    assert page.locator("table.suggestions tbody tr").count() >= 1
    _check(page, axe_source, "staff-languages", lang)
    page.goto(demo_portal_url + f"/staff/login?lang={lang}")
    _check(page, axe_source, "staff-login", lang)


def test_journey_front_to_northern_sami_book_and_its_original(page, demo_portal_url):
    page.goto(demo_portal_url + "/?lang=en")
    follow(page, "text=Read in Northern Sami", "**/language/sme")
    assert page.inner_text("h1") == "Read in Northern Sami"
    # whichever library's record of the edition
    follow(page, ".title-card a:text('Guovssahasat duoddara badjel')", "**-ill-sme-002")
    assert page.inner_text("h1").startswith("Guovssahasat duoddara badjel")
    assert page.locator(".holding-group").count() == 2
    assert page.inner_text(".byline") == "Nordmo, Kari; Somby, Ánte (translator)"
    assert "On loan (due 2026-12-02)" in page.inner_text(".holdings .status-on_loan")
    follow(page, ".relation-original a", "**-ill-nob-001")
    assert page.inner_text("h1").startswith("Nordlys over vidda")
    follow(page, ".relation-translation a", "**-ill-sme-002")
    assert page.inner_text("h1").startswith("Guovssahasat duoddara badjel")


def test_language_page_at_320_px(browser, demo_portal_url):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    try:
        for url in ("/languages", "/language/sme?lang=se", SME):
            page.goto(demo_portal_url + url)
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 320, f"{url} is {width}px wide at a 320px viewport"
    finally:
        context.close()
