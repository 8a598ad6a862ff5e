"""Enrichment in a real Chromium, keyboard only: the diff of a thin record (Sami language codes first),
accepted with the form; the diff, the result and the batch view have no axe WCAG 2.1 AA violation in any
interface language."""

from __future__ import annotations

import pytest

from harvest.marcdata import DataField
from tests.browser.conftest import run_axe
from tests.deliveries import book, isbn13, write
from tests.staff_signin import sign_in_page

ISBN = isbn13("978820000041")
USER, PASSWORD = "tromso-librarian", "tromso-test-password-0123"
LANGS = ["nb", "nn", "se", "en"]


@pytest.fixture(scope="module")
def enrich_portal(tmp_path_factory):
    from core.settings import from_dict
    from harvest.files import import_files
    from harvest.store import RecordStore
    from portal.app import create_app
    from portal.serve import PortalServer
    from tests import staff_signin
    from transform.pipeline import run_transform
    tmp = tmp_path_factory.mktemp("enrich-portal")
    settings = from_dict({"data_dir": str(tmp / "data"), "base_uri": "http://data.grenselos.test", "sources": [
        {"id": "nb", "name": "Nasjonalbibliografien", "kind": "national"},
        {"id": "tromso", "name": "Tromsø bibliotek", "municipality": "Tromsø", "isil": "NO-1902000",
         "holdings": "marc-852"}]})
    store = RecordStore(settings.database_url)
    rich = book("nb1", ISBN, "Guovssahasat", "Hætta, Máret", org="NO-NB", language="sme")
    for field in (DataField("082", "0", "4", [("a", "839.4")]), DataField("520", " ", " ", [("a", "Románačála.")]),
                  DataField("650", " ", "7", [("a", "Guovssahasat")])):
        rich.add_ordered_field(field)
    thin = book("t1", ISBN, "Guovssahasat", "Hætta, Máret", org="NO-1902000", copies=[("0301", "Hæt")],
                language="und")
    import_files(store, settings.source("nb"), [write(tmp / "nb.mrc", [rich])])
    import_files(store, settings.source("tromso"), [write(tmp / "tromso.mrc", [thin])])
    run_transform(settings, store, progress=False)
    staff_signin.add(settings.database_url, user=USER, library="tromso", password=PASSWORD)
    app = create_app(settings, {"SECRET_KEY": "browser-test-key-" + "e" * 32})
    with PortalServer(app, "127.0.0.1", 0) as server:
        yield server.url
    store.close()


def _clean(page, axe_source, what):
    violations = run_axe(page, axe_source)
    assert violations == [], f"{what}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in violations)


def test_enrichment_pages_in_every_language_and_accepting_with_the_keyboard(page, enrich_portal, axe_source):
    base = enrich_portal
    sign_in_page(page, base, user=USER, password=PASSWORD)
    record = "/staff/records/tromso-t1/enrich"
    for lang in LANGS:
        for url in ("/staff/enrich", record):
            response = page.goto(base + url + f"?lang={lang}")
            assert response is not None and response.status == 200, url
            _clean(page, axe_source, f"{url} ({lang})")
    page.goto(base + record + "?lang=en")
    first = page.locator("input[name=group]").first
    assert first.get_attribute("value") == "languages"                       # Sami codes above all
    first.focus()
    page.keyboard.press("Space")                                               # leave the languages out
    page.locator("form.staff-form button[type=submit]").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#result")
    assert "3 groups of fields added." in page.inner_text("#result")
    assert "Románačála." in page.inner_text("table")
    _clean(page, axe_source, "after accepting")
    assert page.locator("input[name=group]").first.get_attribute("value") == "languages"   # still offered
