"""What a keyboard walk and reflow checks found, kept fixed in a real Chromium.

- The sort list changes nothing until its button is pressed (WCAG 3.2.2 On Input): arrow keys in it
  must neither reload the page nor move the focus.
- At 320 CSS px (1280 px at 400 % zoom) and at 640 px (200 %), no page scrolls sideways (WCAG 1.4.10),
  the SPARQL query box included, and no table cell splits a word: a wide table scrolls inside a
  focusable, named region instead.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tests.browser.conftest import run_axe

#: For every word in every table cell: does it sit on one line? A word split mid-word spans two lines. (A URI
#: may still wrap after a hyphen or a slash: those are break opportunities, not the middle of a word.)
SPLIT_WORDS = """() => {
    const split = [];
    for (const cell of document.querySelectorAll('main th, main td')) {
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const re = /[\\p{L}\\p{N}]+/gu; let m;      // a run of letters and digits: a line may not break in it
            while ((m = re.exec(node.data)) !== null) {
                if (m[0].length < 2) continue;
                const range = document.createRange();
                range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
                const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
                if (lines.size > 1) split.push(m[0]);
            }
        }
    }
    return split;
}"""

#: Scrollable areas (wider than they show) that are not focusable and named regions.
UNREACHABLE_SCROLLERS = """() => [...document.querySelectorAll('main *')].filter(el => {
    const s = getComputedStyle(el);
    const scrolls = (s.overflowX === 'auto' || s.overflowX === 'scroll') && el.scrollWidth > el.clientWidth + 1;
    return scrolls && !(el.tabIndex >= 0 && el.getAttribute('role') === 'region' &&
                        (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')));
}).map(el => el.outerHTML.slice(0, 100))"""


def test_sort_list_submits_only_on_its_button(page, portal_url):
    page.goto(portal_url + "/search?q=lærebok&lang=en")
    url = page.url
    page.focus("#sort")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(300)
    assert page.url == url, "the sort list reloaded the page on an arrow key"
    assert page.evaluate("() => document.activeElement.id") == "sort"
    chosen = page.eval_on_selector("#sort", "el => el.value")
    assert chosen != "relevance"
    button = page.locator(".sort-form button[type=submit]")
    assert button.is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('.sort-form button') !== null")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert f"sort={chosen}" in page.url
    assert page.eval_on_selector("#sort", "el => el.value") == chosen


@pytest.fixture(scope="module")
def narrow_pages(demo_portal_url):
    query = quote("SELECT ?instance ?p ?o WHERE { GRAPH ?g { ?instance ?p ?o } } LIMIT 30")
    return {
        "sparql": "/sparql",
        "sparql-results": f"/sparql?query={query}",
        "sparql-error": "/sparql?query=" + quote("SELECT ?s WHERE { ?s ?p }"),
        "record": "/search?q=nordlys",        # followed to its first record below
        "libraries": "/libraries",
        "language": "/language/sme",
        "accessibility": "/accessibility",
    }


@pytest.mark.parametrize("width", [320, 640])
@pytest.mark.parametrize("lang", ["nb", "se"])
def test_no_sideways_page_scroll_and_no_split_words(browser, demo_portal_url, narrow_pages, width, lang):
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="nb-NO")
    page = context.new_page()
    try:
        for name, url in narrow_pages.items():
            page.goto(demo_portal_url + url + ("&" if "?" in url else "?") + f"lang={lang}")
            if name == "record":
                page.click(".hit-title a")
                page.wait_for_url("**/record/**")
            wide = page.evaluate("() => document.documentElement.scrollWidth")
            assert wide <= width, f"{name} ({lang}) is {wide}px wide at {width}px"
            assert page.evaluate(SPLIT_WORDS) == [], f"{name} ({lang}) splits words in table cells at {width}px"
            assert page.evaluate(UNREACHABLE_SCROLLERS) == [], f"{name} ({lang}): a scroll area keyboards cannot reach"
    finally:
        context.close()


def test_the_query_box_fits_320_px_with_its_label_above(browser, demo_portal_url):
    context = browser.new_context(viewport={"width": 320, "height": 800})
    page = context.new_page()
    try:
        page.goto(demo_portal_url + "/sparql?lang=en")
        box = page.locator("#sparql-query").bounding_box()
        label = page.locator("label[for=sparql-query]").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 320
        assert label["y"] + label["height"] <= box["y"] + 1, "the label is not above the query box"
        assert abs(label["x"] - box["x"]) < 4, "the label does not line up with the query box"
    finally:
        context.close()


def test_wide_results_scroll_in_a_named_region_reachable_by_keyboard(browser, demo_portal_url, axe_source):
    context = browser.new_context(viewport={"width": 320, "height": 800})
    page = context.new_page()
    try:
        query = quote("SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 20")
        page.goto(demo_portal_url + f"/sparql?query={query}&lang=en")
        region = page.locator("[role=region].table-scroll")
        assert region.count() == 1
        assert region.get_attribute("aria-label") == "Query results"
        assert page.locator("table.sparql-results caption").inner_text().startswith("Query results")
        assert page.evaluate("() => { const r = document.querySelector('.table-scroll');"
                             " return r.scrollWidth > r.clientWidth; }"), "the results should be wider than 320 px"
        region.focus()
        before = page.evaluate("() => document.querySelector('.table-scroll').scrollLeft")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(200)
        assert page.evaluate("() => document.querySelector('.table-scroll').scrollLeft") > before
        violations = run_axe(page, axe_source)
        assert violations == [], violations
    finally:
        context.close()


@pytest.mark.parametrize("url,title", [
    ("/search?q=lærebok&lang=en", "Search: lærebok – Grenseløs"),
    ("/search?q=lærebok&page=2&lang=en", "Search: lærebok – page 2 – Grenseløs"),
    ("/search?q=olsen&filter=language:sme&lang=en", "Search: olsen – 1 filter – Grenseløs"),
    ("/search?q=olsen&filter=language:sme&filter=library:karasjok&lang=nb", "Søk: olsen – 2 filtre – Grenseløs"),
    ("/record/tromso:1001?lang=en", "Edition: Fiskaren og havet (2019) – Grenseløs"),
    ("/work/w-fiskar?lang=en", r"Work: .+, all editions – Grenseløs"),
    ("/accessibility?lang=se", "Olahahttivuođačilgehus – Grenseløs"),
])
def test_page_titles_say_what_differs(page, portal_url, url, title):
    page.goto(portal_url + url)
    assert re.fullmatch(title.replace("(2019)", r"\(2019\)"), page.title()), page.title()
