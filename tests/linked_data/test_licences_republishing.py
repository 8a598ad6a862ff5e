"""The portal's own republishing paths honour `vocab.licences.publishable` too: a vendor's record (licensed for
the libraries' own use) is named by its title and link only in the schema.org JSON-LD of record and list
pages, a list's Atom feed and the snippet libraries paste into their sites — its description, authors and
identifiers do not leave — while patrons still read all of it on the portal's pages."""

from __future__ import annotations

import json
import re

import pytest
from lxml import etree

from harvest.marcdata import DataField, to_slim
from harvest.store import IncomingRecord, RecordStore
from tests import deliveries
from tests.linked_data.test_licences import settings_for

VENDOR_SUMMARY = "Leverandørens egen omtale av boka, lisensiert bare for bibliotekene."
OPEN_SUMMARY = "En åpen omtale alle kan bruke."
AUTHOR = "Forfatter, Frida"
ATOM = {"a": "http://www.w3.org/2005/Atom"}


def _incoming(prefix: str, title: str, summary: str) -> list[IncomingRecord]:
    record = deliveries.book(f"{prefix}0", deliveries.isbn13(f"97882{prefix == 'bs':d}000001"[:12]), title,
                             AUTHOR, copies=[(f"{prefix}-bc0", "839.8")])
    record.fields.append(DataField("520", " ", " ", [("a", summary)]))
    return [IncomingRecord(identifier=f"oai:{prefix}:0", control_number=f"{prefix}0",
                           marcxml=to_slim(record), datestamp="2026-01-01")]


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    from index.pipeline import index_changes
    from lists.store import ListStore
    from portal.app import create_app
    from transform.pipeline import run_transform
    settings = settings_for(tmp_path_factory.mktemp("republishing"))
    store = RecordStore(settings.database_url)
    store.upsert("open", _incoming("open", "Den åpne boka", OPEN_SUMMARY))
    store.upsert("bs", _incoming("bs", "Leverandørens bok", VENDOR_SUMMARY))
    run_transform(settings, store, progress=False)
    index_changes(settings, store, full=True)
    app = create_app(settings, {"TESTING": True, "SECRET_KEY": "republishing-tests-" + "k" * 32})
    list_id = ListStore(app.extensions["grenselos"]["sql"]).create(["open"], {
        "title": {"nb": "Nye bøker"}, "published": True,
        "items": [{"record": "bs-0", "blurb": {"nb": "Bibliotekarens egne ord."}}, "open-0"]})
    yield app.test_client(), list_id
    store.close()


def _json_ld(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))


def test_the_record_pages_json_ld_names_a_vendor_record_by_title_and_link_only(web):
    client, _list_id = web
    html = client.get("/record/bs-0").get_data(as_text=True)
    assert VENDOR_SUMMARY in html                                    # patrons still read the description
    data = _json_ld(html)
    assert data["name"] == "Leverandørens bok" and data["url"].endswith("/record/bs-0")
    assert set(data) == {"@context", "@type", "@id", "url", "name"}
    assert VENDOR_SUMMARY not in json.dumps(data, ensure_ascii=False)
    assert client.get("/record/bs-0.json").get_json()["json_ld"] == data
    opened = _json_ld(client.get("/record/open-0").get_data(as_text=True))
    assert opened["description"] == OPEN_SUMMARY and opened["author"] and opened["isbn"]


def test_a_lists_json_ld_feed_and_snippet_carry_only_title_and_link_of_a_vendor_record(web):
    client, list_id = web
    page = client.get(f"/lists/{list_id}").get_data(as_text=True)
    assert "Leverandørens bok" in page and "Frida" in page          # the list page shows patrons everything
    vendor, opened = (e["item"] for e in _json_ld(page)["itemListElement"])
    assert vendor == {"@type": "Book", "name": "Leverandørens bok", "url": vendor["url"],
                      "description": "Bibliotekarens egne ord."} and vendor["url"].endswith("/record/bs-0")
    assert opened["@id"].endswith("/instance/open-0") and opened["author"]

    feed = etree.fromstring(client.get(f"/lists/{list_id}.atom").data)
    first, second = feed.findall("a:entry", ATOM)
    assert first.findtext("a:title", namespaces=ATOM) == "Leverandørens bok"
    assert first.find("a:link", ATOM).get("href").endswith("/record/bs-0")
    assert first.find("a:author", ATOM) is None and first.find("a:category", ATOM) is None
    assert first.findtext("a:summary", namespaces=ATOM) == "Bibliotekarens egne ord."
    assert second.findtext("a:summary", namespaces=ATOM) == OPEN_SUMMARY
    assert second.findtext("a:author/a:name", namespaces=ATOM)
    assert VENDOR_SUMMARY.encode() not in etree.tostring(feed, encoding="utf-8")

    snippet = client.get(f"/lists/{list_id}/snippet").get_data(as_text=True)
    vendor_line, open_line = re.findall(r"<li>(.*?)</li>", snippet)
    assert "Leverandørens bok" in vendor_line and "/record/bs-0" in vendor_line and "Frida" not in vendor_line
    assert "Frida" in open_line
