"""Copy cataloguing in two scans, in a real Chromium and with the keyboard only (a scanner types and
presses Enter): the ISBN brings the national and the county records side by side, the barcode and the shelf
add the copy; every state of the page has no axe WCAG 2.1 AA violation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from harvest.marcdata import DataField
from tests.browser.conftest import run_axe
from tests.deliveries import book, isbn13, write
from tests.staff_signin import sign_in_page

ISBN = isbn13("978820000021")
USER, PASSWORD = "tromso-librarian", "tromso-test-password-0123"


@pytest.fixture(scope="module")
def catalogue_portal(tmp_path_factory):
    from core.settings import from_dict
    from harvest.files import import_files
    from harvest.store import RecordStore
    from portal.app import create_app
    from portal.serve import PortalServer
    from tests import staff_signin
    from transform.pipeline import run_transform
    tmp = tmp_path_factory.mktemp("catalogue-portal")
    settings = from_dict({"data_dir": str(tmp / "data"), "base_uri": "http://data.grenselos.test", "sources": [
        {"id": "nb", "name": "Nasjonalbibliografien", "kind": "national"},
        {"id": "alta", "name": "Alta bibliotek", "municipality": "Alta", "isil": "NO-2012000", "holdings": "marc-852"},
        {"id": "tromso", "name": "Tromsø bibliotek", "municipality": "Tromsø", "isil": "NO-1902000",
         "holdings": "marc-852"}]})
    store = RecordStore(settings.database_url)
    rich = book("nb1", ISBN, "Nordlys over Vardø", "Hansen, Kari", org="NO-NB")
    rich.fields += [DataField("082", "0", "4", [("a", "839.823")]), DataField("520", " ", " ", [("a", "Ein roman.")])]
    import_files(store, settings.source("nb"), [write(tmp / "nb.mrc", [rich])])
    import_files(store, settings.source("alta"), [write(tmp / "alta.mrc", [
        book("a1", ISBN, "Nordlys over Vardø", "Hansen, Kari", org="NO-2012000", isil="NO-2012000",
             copies=[("0201", "Han")])])])
    run_transform(settings, store, progress=False)
    staff_signin.add(settings.database_url, user=USER, library="tromso", password=PASSWORD)
    app = create_app(settings, {"SECRET_KEY": "browser-test-key-" + "c" * 32})
    with PortalServer(app, "127.0.0.1", 0) as server:
        yield server.url, store
    store.close()


def _clean(page, axe_source, what):
    violations = run_axe(page, axe_source)
    assert violations == [], f"{what}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in violations)


def test_two_scans_with_the_keyboard_only(page, catalogue_portal, axe_source):
    base, store = catalogue_portal
    sign_in_page(page, base, user=USER, password=PASSWORD)
    page.goto(base + "/staff/catalogue?lang=en")
    _clean(page, axe_source, "empty page")
    assert page.evaluate("() => document.activeElement.id") == "isbn"        # the scanner's first scan lands here
    page.keyboard.type(ISBN)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**isbn={ISBN}**")
    assert "Nasjonalbibliografien" in page.inner_text("table") and "Alta bibliotek" in page.inner_text("table")
    _clean(page, axe_source, "candidates side by side")
    assert page.evaluate("() => document.activeElement.id") == "barcode"     # the second scan
    page.keyboard.type("03019100001")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "call_number"
    page.keyboard.type("839.82 Han")
    page.keyboard.press("Enter")
    page.wait_for_selector("#done")
    assert "03019100001" in page.inner_text("#done")
    _clean(page, axe_source, "copy added")
    from transform import copies as copies_store
    with store.engine.connect() as conn:
        rows = [(r.item_id, r.library, r.call_number) for r in conn.execute(
            select(copies_store.copies).where(copies_store.copies.c.library == "tromso"))]
    assert rows == [("03019100001", "tromso", "839.82 Han")]
    page.keyboard.press("Tab")                                               # the link to the record is reachable
    page.goto(base + f"/staff/catalogue?lang=en&isbn={isbn13('978820000099')}")
    assert page.locator("#title").count() == 1                               # the short form when nothing is found
    _clean(page, axe_source, "short form")
