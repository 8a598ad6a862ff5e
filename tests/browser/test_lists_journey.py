"""Curated lists in a real Chromium: a librarian signs in, builds a list from a search, writes a Northern
Sami blurb and publishes it; a patron finds it on the Sami landing page. axe finds no WCAG 2.1 AA
violation on the staff list pages, the public list pages and the widget, in all four languages."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import follow, run_axe
from tests.staff_signin import sign_in_page

LANGS = ["nb", "nn", "se", "en"]
SAMI_TITLE = "Sámegiel girjjit dálvái"
SAMI_BLURB = "Girjjit maid mii ráhkistit, sámegillii."


def _check(page, axe_source, name):
    violations = run_axe(page, axe_source)
    assert violations == [], f"{name}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in violations)
    assert page.csp_errors == [], page.csp_errors


@pytest.fixture(scope="module")
def published_list(browser, demo_portal_url, axe_source):
    """The librarian's journey, once: returns the list's edit path."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nb-NO")
    page = context.new_page()
    page.csp_errors = []
    page.on("console", lambda msg: page.csp_errors.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    base = demo_portal_url
    sign_in_page(page, base)
    follow(page, "a[href='/staff/lists']", "**/staff/lists")
    follow(page, "a[href='/staff/lists/new']", "**/staff/lists/new")
    page.fill("#title_nb", "Samiske bøker til vinteren")
    page.click("form.staff-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/staff/lists/\d+$"))
    edit_path = "/" + page.url.split("/", 3)[3]
    # a search for Northern Sami titles; add the first two hits with "Add to list"
    page.goto(base + "/search?filter=language:sme")
    hits = page.locator("form.add-to-list button[type=submit]")
    assert hits.count() >= 2
    for n in range(2):
        page.locator("form.add-to-list button[type=submit]").nth(n).click()
        page.wait_for_url(re.compile(r".*/search\?filter=language"))
    page.goto(base + edit_path)
    assert page.locator("ol.staff-items > li").count() == 2
    page.fill("#title_se", SAMI_TITLE)
    page.fill("#blurb_se", SAMI_BLURB)
    page.check("input[name=publish][value=now]")
    page.click("form.staff-form button[name=action][value=save]")
    page.wait_for_url(re.compile(r".*/staff/lists/\d+(#saved)?$"))
    assert "Publisert" in page.inner_text("p.lead")
    context.close()
    return edit_path


def test_a_patron_finds_the_list_on_the_sami_landing_page(page, demo_portal_url, published_list):
    page.goto(demo_portal_url + "/language/sme?lang=se")
    link = page.locator("section[aria-labelledby=lists-heading] a", has_text=SAMI_TITLE)
    assert link.count() == 1 and link.get_attribute("lang") == "se"
    follow(page, f"text={SAMI_TITLE}", "**/lists/*")
    assert page.inner_text("h1") == SAMI_TITLE
    assert SAMI_BLURB in page.inner_text("p.lead")
    assert page.locator("ol.list-entries > li").count() == 2
    assert page.locator("ol.list-entries h3 a[lang=se]").count() == 2       # the titles are in Northern Sami
    ld = page.locator("script[type='application/ld+json']").inner_text()
    assert '"@type": "ItemList"' in ld or '"@type":"ItemList"' in ld


@pytest.mark.parametrize("lang", LANGS)
def test_public_list_pages_have_no_axe_violations(page, demo_portal_url, axe_source, published_list, lang):
    list_id = published_list.rsplit("/", 1)[1]
    for name, path in (("lists", "/lists"), ("list", f"/lists/{list_id}"), ("embed", f"/lists/{list_id}/embed"),
                       ("front", "/"), ("language-sme", "/language/sme")):
        response = page.goto(f"{demo_portal_url}{path}?lang={lang}")
        assert response is not None and response.status == 200, path
        _check(page, axe_source, f"{name} ({lang})")


@pytest.mark.parametrize("lang", LANGS)
def test_staff_list_pages_have_no_axe_violations(page, demo_portal_url, axe_source, published_list, lang):
    sign_in_page(page, demo_portal_url)
    for name, path in (("staff-lists", "/staff/lists"), ("staff-new", "/staff/lists/new"),
                       ("staff-edit", published_list), ("search-with-add", "/search?filter=language:sme"),
                       ("record-with-add", "/record/kautokeino-kau-ill-sme-002")):
        response = page.goto(f"{demo_portal_url}{path}{'&' if '?' in path else '?'}lang={lang}")
        assert response is not None and response.status == 200, path
        page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
        _check(page, axe_source, f"{name} ({lang})")
