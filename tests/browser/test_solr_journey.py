"""One journey against Solr: the demo's records indexed into a real standalone Solr core, the portal
served on loopback with `[search] solr_url`, driven in Chromium: search → Sami facet → record → back."""

from __future__ import annotations

import dataclasses
import os
import uuid

import pytest

from tests.browser.conftest import follow
from tests.conftest import require


@pytest.fixture(scope="module")
def solr_portal_url(tmp_path_factory):
    base = os.environ.get("GRENSELOS_TEST_SOLR_URL", "")
    require(bool(base), "GRENSELOS_TEST_SOLR_URL is not set (scripts/test.sh starts Solr: start_solr)")
    from grenselos.demo import build
    from index import solr_admin
    from index.pipeline import index_changes
    from portal.app import create_app
    from portal.serve import PortalServer
    settings, store = build(tmp_path_factory.mktemp("demo-solr"), "http://127.0.0.1:5000", say=lambda *_: None)
    url = f"{base.rstrip('/')}/t_{uuid.uuid4().hex[:10]}"
    solr_admin.init(url, shards=1)
    solr_settings = dataclasses.replace(settings, search=dataclasses.replace(settings.search, solr_url=url))
    try:
        summary = index_changes(solr_settings, store, full=True)
        assert not summary.failed and summary.indexed > 300
        store.close()
        app = create_app(solr_settings, {"SECRET_KEY": "browser-solr-key-" + "s" * 32})
        with PortalServer(app, "127.0.0.1", 0) as server:
            yield server.url
    finally:
        solr_admin.drop(url)


def test_search_facet_record_and_back_on_solr(page, solr_portal_url):
    page.goto(solr_portal_url + "/search?q=nordlys")
    assert "nordlys" in page.inner_text("#results-heading").lower()
    page.check("input[type=checkbox][value='language:sme']")
    follow(page, "button.apply", "**filter=language%3Asme**")
    assert page.locator(".active-filters .chip").count() == 1
    follow(page, ".hit-title a", "**/record/**")
    assert page.inner_text("h1").startswith("Guovssahasat duoddara badjel")
    assert "Kautokeino" in page.inner_text("main")
    page.go_back()
    page.wait_for_url("**filter=language%3Asme**")
    assert page.is_checked("input[type=checkbox][value='language:sme']")
