"""The holds pages in a real Chromium with no axe WCAG 2.1 AA violation in any interface language: My page
with holds (cancel and pause), the desk's morning list, and the routes page as a county admin edits it."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from tests.browser.conftest import run_axe

LANGS = ["nb", "nn", "se", "en"]
ADMIN = "county-admin"
PASSWORD = "county-admin-password-0123"


@pytest.fixture(scope="module")
def holds_url(tmp_path_factory):
    from sqlalchemy import insert

    from circulation.holds import Holds
    from circulation.service import Circulation
    from core import settings as core_settings
    from core.db import engine_for, migrate
    from portal.app import create_app
    from portal.serve import PortalServer
    from tests import staff_signin
    from tests.circulation.conftest import CONFIG, add_copies, add_patron
    from transform.tables import transform_records
    data = tmp_path_factory.mktemp("holds-browser")
    settings = core_settings.from_dict({**CONFIG, "data_dir": str(data), "routes": [
        {"name": "Bokbåten", "kind": "boat", "days": ["thu"], "stops": ["tromso", "alta"]}]})
    engine = engine_for(settings.database_url)
    migrate(engine)
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
    app = create_app(settings, {"SECRET_KEY": "browser-holds-key-" + "h" * 32})
    with PortalServer(app, "127.0.0.1", 0) as server:
        yield server.url


def _check(page, axe_source, what):
    violations = run_axe(page, axe_source)
    assert violations == [], f"{what}: " + "; ".join(f"{v['id']}: {v['help']} at {v['nodes']}" for v in violations)


@pytest.mark.parametrize("lang", LANGS)
def test_holds_pages_have_no_axe_violations(page, holds_url, axe_source, lang):
    page.goto(f"{holds_url}/staff/login")
    page.fill("#username", ADMIN)
    page.fill("#password", PASSWORD)
    page.click("form.staff-login button[type=submit]")
    page.wait_for_url(re.compile(r".*/staff$"))
    for url in ("/staff/holds", "/staff/routes", "/staff/desk/patron?card=N123456789"):
        page.goto(holds_url + url + ("&" if "?" in url else "?") + f"lang={lang}")
        assert page.evaluate("() => document.documentElement.lang") == lang
        _check(page, axe_source, f"{url} ({lang})")
    assert page.locator("table.loans tbody tr").count() >= 1
    page.goto(holds_url + f"/my?lang={lang}")
    page.fill("#card", "N123456789")
    page.fill("#pin", "2468")
    page.click("form.patron-login button[type=submit]")
    page.wait_for_selector("#holds-heading")
    _check(page, axe_source, f"/my with holds ({lang})")
    assert page.locator("input[type=date]").count() == 2                  # both holds can be paused
    assert page.csp_errors == [], page.csp_errors
