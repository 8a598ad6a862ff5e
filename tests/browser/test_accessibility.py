"""axe-core finds no WCAG 2.1 AA violation on the main pages, in all four interface languages."""

from __future__ import annotations

import pytest

from tests.browser.conftest import run_axe
from tests.portal.sample import EVERY_STATUS

LANGS = ["nb", "nn", "se", "en"]
PAGES = {
    "front": "/",
    "results": "/search?q=olsen",
    "results-filtered": "/search?q=olsen&filter=language:sme&filter=library:karasjok",
    "results-paged": "/search?q=lærebok&page=2",
    "zero-hits": "/search?q=fiskaran",
    "record": "/record/tromso:1001",
    "record-hostile": "/record/tromso:666",
    "record-every-status": f"/record/{EVERY_STATUS}",
    "work": "/work/w-fiskar",
    "libraries": "/libraries",
    "library": "/library/NO-2019020",
    "lists": "/lists",
    "saved": "/saved",
    "not-found": "/no/such/page",
    "bad-request": "/search?sort=bogus",
    "accessibility": "/accessibility",
    "sparql": "/sparql",
    "sparql-error": "/sparql?query=SELECT%20%3Fs%20WHERE%20%7B%20%3Fs",
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", list(PAGES))
def test_no_axe_violations(page, portal_url, axe_source, name, lang):
    url = PAGES[name]
    response = page.goto(portal_url + url + ("&" if "?" in url else "?") + f"lang={lang}")
    assert response is not None
    assert page.evaluate("() => document.documentElement.lang") == lang
    violations = run_axe(page, axe_source)
    assert violations == [], f"{name} ({lang}): " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in violations)
    assert page.csp_errors == [], page.csp_errors


def test_axe_harness_reports_a_planted_violation(page, portal_url, axe_source):
    """The checks above are only worth something if the harness can fail: plant an unlabelled control."""
    page.goto(portal_url + "/")
    page.evaluate("() => { const i = document.createElement('input'); i.type = 'text';"
                  " document.querySelector('main').appendChild(i); }")
    assert "label" in {v["id"] for v in run_axe(page, axe_source)}
