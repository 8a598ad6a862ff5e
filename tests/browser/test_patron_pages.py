"""What a patron sees, checked in Chromium: separators between the meta line's items only, and a cover
that cannot load leaving its typographic placeholder, never a broken image."""

from __future__ import annotations

import dataclasses

import pytest

from tests.portal import sample


@pytest.fixture(scope="module")
def cover_portal_url(tmp_path_factory):
    """The sample, with a cover service configured that cannot answer (nothing listens on port 9)."""
    from core.settings import from_dict
    from portal.app import create_app
    from portal.serve import PortalServer
    data = tmp_path_factory.mktemp("cover-portal")
    settings = from_dict({"data_dir": str(data), "sources": sample.SOURCES})
    settings = dataclasses.replace(settings, portal=dataclasses.replace(
        settings.portal, cover_url="https://127.0.0.1:9/covers/{isbn}.jpg"))
    sample.build_index(settings)
    app = create_app(settings, {"SECRET_KEY": "browser-cover-key-" + "c" * 32})
    with PortalServer(app, "127.0.0.1", 0) as server:
        yield server.url


def test_separators_stand_between_meta_items_not_inside_the_language_list(page, portal_url):
    page.goto(f"{portal_url}/search?q=guolásteaddji")
    meta = page.locator(".hit-meta").first
    # a record in two languages: the language item holds two tags, as "nordsamisk, norsk bokmål"
    page.evaluate("""() => {
        const tag = document.querySelector('.hit-meta .lang-tag');
        tag.after(document.createTextNode(', '), tag.cloneNode(true));
    }""")
    inner = meta.evaluate("""m => [...m.querySelectorAll('span span')]
        .map(s => getComputedStyle(s, '::before').content)""")
    assert len(inner) == 2 and all(c in ("none", "normal") for c in inner), inner
    outer = meta.evaluate("""m => [...m.querySelectorAll(':scope > span')]
        .map(s => getComputedStyle(s, '::before').content)""")
    assert outer[0] in ("none", "normal") and all(c == '" · "' for c in outer[1:]), outer
    assert ", ·" not in meta.inner_text()


def test_a_cover_that_cannot_load_leaves_the_placeholder(page, cover_portal_url):
    page.goto(f"{cover_portal_url}/record/tromso:1001")
    page.wait_for_load_state("load")
    page.wait_for_function("() => document.querySelectorAll('img.cover-image').length === 0", timeout=10000)
    placeholder = page.locator(".cover .cover-initial")
    assert placeholder.is_visible() and placeholder.inner_text() == "F"
    box = page.locator(".cover").bounding_box()
    assert box["width"] > 50 and box["height"] > 80
    assert not page.csp_errors, page.csp_errors


def test_record_title_is_read_in_the_records_language(page, portal_url):
    page.goto(f"{portal_url}/record/karasjok:77?lang=nb")
    assert page.locator("h1").get_attribute("lang") == "se"
    assert page.locator("html").get_attribute("lang") == "nb"
    assert page.locator("article.record").get_attribute("lang") is None
