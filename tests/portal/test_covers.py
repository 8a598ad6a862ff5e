"""Covers: the record's own, else the configured cover service by ISBN, else a typographic placeholder."""

from __future__ import annotations

import re

from portal.covers import cover


def test_the_records_own_cover_comes_first_then_the_service_then_nothing():
    record = {"title": "Fiskaren og havet", "identifiers": {"isbn": ["82-02-00001-1"]},
              "covers": ["https://covers.example.org/own.jpg"]}
    assert cover(record, "https://svc.example.org/{isbn}.jpg")["url"] == "https://covers.example.org/own.jpg"
    found = cover({**record, "covers": []}, "https://svc.example.org/{isbn}.jpg")
    assert found["url"] == "https://svc.example.org/9788202000011.jpg" and found["source"] == "service"
    none = cover({**record, "covers": []}, "")
    assert none["url"] == "" and none["initial"] == "F" and 0 <= none["hue"] < 8
    assert cover({"title": "«Ávvu»"})["initial"] == "Á"
    assert cover({"title": "x", "covers": ["http://insecure.example.org/c.jpg"]})["url"] == ""


def test_record_page_shows_a_placeholder_by_default_and_no_image(client):
    html = client.get("/record/tromso:1001").get_data(as_text=True)
    block = re.search(r'<div class="cover cover-large cover-hue-\d" aria-hidden="true">(.*?)</div>', html, re.S)
    assert block and '<span class="cover-initial">F</span>' in block.group(1) and "<img" not in block.group(1)


def test_configured_cover_service_by_isbn(settings, record_store):
    import dataclasses
    from portal.app import create_app
    configured = dataclasses.replace(settings, portal=dataclasses.replace(
        settings.portal, cover_url="https://covers.example.org/{isbn}.jpg"))
    client = create_app(configured, {"TESTING": True, "SECRET_KEY": "cover-test-" + "c" * 32}).test_client()
    html = client.get("/record/tromso:1001").get_data(as_text=True)
    assert 'src="https://covers.example.org/9788202000011.jpg"' in html and 'alt=""' in html
    assert "img-src 'self' data: https:" in client.get("/record/tromso:1001").headers["Content-Security-Policy"]
    assert client.get("/api/record/tromso:1001").get_json()["cover"]["source"] == "service"
    no_isbn = client.get("/record/tromso:1002").get_data(as_text=True)       # no ISBN: the placeholder only
    assert "covers.example.org" not in no_isbn
