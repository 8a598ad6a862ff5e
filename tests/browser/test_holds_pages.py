"""The holds pages in a real Chromium with no axe WCAG 2.1 AA violation in any interface language: My page
with holds (cancel and pause), the desk's morning list, and the routes page as a county admin edits it."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests import staff_signin
from tests.browser.conftest import assert_no_axe_violations, county_settings, serving

LANGS = ["nb", "nn", "se", "en"]
ADMIN = "county-admin"
PASSWORD = "county-admin-password-0123"


@pytest.fixture(scope="module")
def holds_url(tmp_path_factory):
    from sqlalchemy import insert

    from circulation.holds import Holds
    from circulation.service import Circulation
    from tests.circulation.conftest import add_copies, add_patron
    from transform.tables import transform_records
    settings, engine = county_settings(tmp_path_factory, "holds-browser", routes=[
        {"name": "Bokbåten", "kind": "boat", "days": ["thu"], "stops": ["tromso", "alta"]}])
    add_copies(engine, "tromso", 4)
    with engine.begin() as conn:
        conn.execute(insert(transform_records), [
            {"source": "tromso", "identifier": f"rec{n}", "record_id": f"r{n}", "cluster_id": f"w{n}",
             "status": "ok", "triples": 1, "updated_at": datetime.now(timezone.utc)} for n in (1, 2)])
    add_patron(engine, "N123456789", pin="2468", name="Kari Nordmann")
    add_patron(engine, "N222222222", pin="1111")
    circ = Circulation(engine, settings)
    holds = Holds(circ)
    assert circ.checkout("N222222222", "B000002", "tromso").ok
    assert holds.place("N123456789", record=("tromso", "rec1"), pickup="tromso").ok      # a copy to send
    assert holds.place("N123456789", work="w2", pickup="alta").ok                       # in the queue
    engine.dispose()
    staff_signin.add(settings.database_url, ADMIN, "tromso", "county-admin", PASSWORD)
    with serving(settings, "browser-holds-key-" + "h" * 32) as url:
        yield url


@pytest.mark.parametrize("lang", LANGS)
def test_holds_pages_have_no_axe_violations(page, holds_url, axe_source, lang):
    staff_signin.sign_in_page(page, holds_url, ADMIN, PASSWORD)
    for url in ("/staff/holds", "/staff/routes", "/staff/desk/patron?card=N123456789"):
        page.goto(holds_url + url + ("&" if "?" in url else "?") + f"lang={lang}")
        assert page.evaluate("() => document.documentElement.lang") == lang
        assert_no_axe_violations(page, axe_source, f"{url} ({lang})")
    assert page.locator("table.loans tbody tr").count() >= 1
    page.goto(holds_url + f"/my?lang={lang}")
    page.fill("#card", "N123456789")
    page.fill("#pin", "2468")
    page.click("form.patron-login button[type=submit]")
    page.wait_for_selector("#holds-heading")
    assert_no_axe_violations(page, axe_source, f"/my with holds ({lang})")
    assert page.locator("input[type=date]").count() == 2                  # both holds can be paused
    assert page.csp_errors == [], page.csp_errors
