"""Main journeys in a real Chromium against the real server: keyboard only, language switch, 320 px."""

from __future__ import annotations

import os
from pathlib import Path

from tests.browser.conftest import follow

FOCUS_VISIBLE = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return false;
    const s = getComputedStyle(el);
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
    const shadow = s.boxShadow && s.boxShadow !== 'none';
    return outline || shadow;
}"""


def tab_until(page, predicate_js: str, limit: int = 150) -> int:
    """Press Tab until the focused element satisfies the predicate; each stop must show its focus."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        assert page.evaluate(FOCUS_VISIBLE), f"focus not visible on {page.evaluate('() => document.activeElement.outerHTML.slice(0, 120)')}"
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!({predicate_js}); }}"):
            return presses
    raise AssertionError(f"never reached focus on {predicate_js}")


def test_keyboard_only_search_facet_record_and_back(page, portal_url):
    page.goto(portal_url + "/")
    assert tab_until(page, "el.classList.contains('skip-link')") == 1     # the first stop is the skip link
    tab_until(page, "el.id === 'q'")
    page.keyboard.type("olsen")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=olsen")
    assert "1" in page.inner_text("#results-heading")

    tab_until(page, "el.value === 'language:sme'")
    page.keyboard.press("Space")
    assert page.is_checked("input[type=checkbox][value='language:sme']")
    tab_until(page, "el.classList.contains('apply')")
    page.keyboard.press("Enter")
    page.wait_for_url("**filter=language%3Asme**")
    assert page.locator(".active-filters .chip").count() == 1

    tab_until(page, "el.closest('.hit-title') !== null")
    page.keyboard.press("Enter")
    page.wait_for_url("**/record/**")
    assert page.inner_text("h1").startswith("Fiskaren og havet") or page.inner_text("h1").startswith("Guolásteaddji")
    page.go_back()
    page.wait_for_url("**filter=language%3Asme**")
    assert page.is_checked("input[type=checkbox][value='language:sme']")


def test_paging_and_zero_hits(page, portal_url):
    page.goto(portal_url + "/search?q=lærebok")
    follow(page, "nav.paging a[rel=next]", "**page=2**")
    assert page.get_attribute("nav.paging a[aria-current=page]", "href").endswith("page=2")
    page.goto(portal_url + "/search?q=fiskaran")
    follow(page, ".zero-hits a", "**q=fiskaren**")
    assert page.locator(".hit").count() == 1


def test_language_switch_is_remembered(page, portal_url):
    page.goto(portal_url + "/search?q=olsen")
    follow(page, "nav.lang-switch a[hreflang=se]", "**lang=se**")
    assert page.evaluate("() => document.documentElement.lang") == "se"
    follow(page, "nav.main-nav a[href='/libraries']", "**/libraries")
    assert page.evaluate("() => document.documentElement.lang") == "se"
    assert page.inner_text("h1") == "Girjerájut"


def test_no_horizontal_scroll_at_320_px(browser, portal_url):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    shots = Path(os.environ.get("GRENSELOS_SCREENSHOTS", "")) if os.environ.get("GRENSELOS_SCREENSHOTS") else None
    try:
        for name, url in (("front", "/"), ("results", "/search?q=olsen&filter=language:sme"),
                          ("record", "/record/tromso:1001"), ("libraries", "/libraries"),
                          ("not-found", "/nope?lang=se")):
            page.goto(portal_url + url)
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 320, f"{url} is {width}px wide at a 320px viewport"
            if shots:
                shots.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(shots / f"320-{name}.png"), full_page=True)
    finally:
        context.close()


def test_desktop_screenshots(page, portal_url):
    """Screenshots for a human to judge the design (written only when GRENSELOS_SCREENSHOTS is set)."""
    target = os.environ.get("GRENSELOS_SCREENSHOTS")
    page.goto(portal_url + "/search?q=olsen")
    assert page.locator(".facets fieldset").count() >= 3
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        for name, url in (("front", "/"), ("results", "/search?q=olsen"), ("browse", "/search"),
                          ("record", "/record/tromso:1001"), ("libraries", "/libraries")):
            page.goto(portal_url + url)
            page.screenshot(path=str(Path(target) / f"desktop-{name}.png"), full_page=True)
