"""The shared digital resources' pages in Chromium: axe-core finds no WCAG 2.1 AA violation on a digital
record page (with and without "read/listen now") or on results filtered to digital, in all four languages."""

from __future__ import annotations

import pytest

from tests.browser.conftest import run_axe
from tests.linked_data.conftest import Server
from tests.portal.test_digital_resources import build_site

PAGES = {
    "ebook-mine": "/record/ebok-dig-nob-001?library=tromso",
    "audiobook-other-library": "/record/ebok-dig-sme-002?library=alta",
    "results-digital": "/search?q=Nordlys&filter=available:digital",
}


@pytest.fixture(scope="module")
def digital_url(tmp_path_factory):
    settings, store = build_site(tmp_path_factory.mktemp("digital-browser"))
    try:
        with Server(settings) as srv:
            yield srv.url
    finally:
        store.close()


@pytest.mark.parametrize("lang", ["nb", "nn", "se", "en"])
@pytest.mark.parametrize("name", list(PAGES))
def test_no_axe_violations_on_digital_pages(page, digital_url, axe_source, name, lang):
    page.goto(f"{digital_url}{PAGES[name]}&lang={lang}")
    assert page.evaluate("() => document.documentElement.lang") == lang
    violations = run_axe(page, axe_source)
    assert violations == [], f"{name} ({lang}): " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in violations)
    assert page.csp_errors == [], page.csp_errors
    if name == "ebook-mine":
        link = page.get_by_role("link", name={"nb": "Les nå", "nn": "Les no", "se": "Loga dál",
                                              "en": "Read now"}[lang])
        assert link.get_attribute("href") == "https://ebok.example.org/read/dig-nob-001"
