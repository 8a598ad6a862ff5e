"""The desk offline in a real Chromium: the connection goes, scans are kept in the browser, the connection
comes back, the batch is sent and the loans exist with the times they were scanned; the conflicts page has
no axe WCAG 2.1 AA violation in any interface language."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests import staff_signin
from tests.browser.conftest import assert_no_axe_violations, county_settings, serving

LIBRARIAN = "tromso-offline"
PASSWORD = "tromso-offline-password-0123"


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    from circulation.service import Circulation
    from tests.circulation.conftest import add_copies, add_patron
    settings, engine = county_settings(tmp_path_factory, "desk-offline")
    add_copies(engine, "tromso", 10)
    add_patron(engine, "N123456789", pin="2468", name="Kari Nordmann")
    staff_signin.add(settings.database_url, LIBRARIAN, "tromso", "librarian", PASSWORD)
    with serving(settings, "browser-offline-key-" + "o" * 32) as url:
        yield url, Circulation(engine, settings)
    engine.dispose()


def _sign_in(page, base):
    staff_signin.sign_in_page(page, base, LIBRARIAN, PASSWORD)


def _scan(page, field, barcode):
    page.fill(field, barcode)
    page.press(field, "Enter")


def test_scans_made_offline_are_sent_with_their_times(page, desk):
    url, circ = desk
    _sign_in(page, url)
    page.goto(url + "/staff/desk/checkout?card=N123456789&lang=en")
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    page.context.set_offline(True)
    _scan(page, "#barcode", "B000005")
    page.wait_for_function("() => document.getElementById('desk-offline').textContent.includes('(1 waiting)')")
    _scan(page, "#barcode", "B000006")
    page.wait_for_function("() => document.getElementById('desk-offline').textContent.includes('(2 waiting)')")
    queued = page.evaluate("() => JSON.parse(localStorage.getItem('grenselos-desk-offline'))")
    assert [t["barcode"] for t in queued] == ["B000005", "B000006"] and len({t["id"] for t in queued}) == 2
    assert circ.loans("N123456789") == []                       # nothing reached the server
    scanned = datetime.now(timezone.utc) + timedelta(seconds=1)
    page.wait_for_timeout(1500)                                  # the sync comes later than the scans
    page.context.set_offline(False)
    page.wait_for_selector("#desk-offline[data-state=sent]", timeout=30000)
    assert "were sent (2)" in page.inner_text("#desk-offline")
    assert page.evaluate("() => JSON.parse(localStorage.getItem('grenselos-desk-offline'))") == []
    lent = {loan.barcode: loan.out_at.astimezone(timezone.utc) for loan in circ.loans("N123456789")}
    assert sorted(lent) == ["B000005", "B000006"]
    assert all(before <= at <= scanned for at in lent.values()), lent
    _scan(page, "#barcode", "B000007")                           # online again: the form posts as before
    page.wait_for_selector(".desk-message.ok >> text=is lent until")
    assert page.csp_errors == [], page.csp_errors


def test_checkout_from_the_card_step_and_checkin_offline(page, desk):
    url, circ = desk
    _sign_in(page, url)
    page.goto(url + "/staff/desk/checkout?lang=en")
    page.context.set_offline(True)
    _scan(page, "#card", "N123456789")
    page.wait_for_selector("#offline-barcode", state="visible")
    _scan(page, "#offline-barcode", "B000008")
    page.wait_for_function("() => document.getElementById('desk-offline').textContent.includes('waiting')")
    page.context.set_offline(False)
    page.wait_for_selector("#desk-offline[data-state=sent]", timeout=30000)
    assert "B000008" in [loan.barcode for loan in circ.loans("N123456789")]


@pytest.mark.parametrize("lang", ["nb", "nn", "se", "en"])
def test_conflicts_page_has_no_axe_violations(page, desk, axe_source, lang):
    from circulation.offline import Offline, Transaction
    url, circ = desk
    Offline(circ).apply([Transaction(f"axe-{lang}", "checkin", "B000010",
                                     datetime(2026, 12, 1, 9, tzinfo=timezone.utc))], "tromso")
    _sign_in(page, url)
    page.goto(url + f"/staff/desk/conflicts?lang={lang}")
    assert page.locator("table.loans tbody tr").count() >= 1
    assert_no_axe_violations(page, axe_source, f"/staff/desk/conflicts ({lang})")
    assert page.csp_errors == [], page.csp_errors
