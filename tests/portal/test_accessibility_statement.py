"""The accessibility statement Norwegian law asks for: four languages, a JSON twin, linked from every page."""

from __future__ import annotations

import pytest

from portal.i18n import LANGUAGES

HEADING = {"nb": "Tilgjengelighetserklæring", "nn": "Tilgjengeerklæring", "se": "Olahahttivuođačilgehus",
           "en": "Accessibility statement"}


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_the_statement_in_every_interface_language(client, lang):
    html = client.get(f"/accessibility?lang={lang}").get_data(as_text=True)
    assert f"<h1>{HEADING[lang]}</h1>" in html
    assert "WCAG 2.1" in html and "uutilsynet.no" in html
    # Linked from the footer of every page, in that language.
    front = client.get(f"/?lang={lang}").get_data(as_text=True)
    footer = front[front.index('<footer'):]
    assert f'<a href="/accessibility">{HEADING[lang]}</a>' in footer


def test_the_json_twin_lists_what_is_checked_and_what_does_not_conform(client):
    data = client.get("/accessibility.json?lang=en").get_json()
    assert data["statement"]["standard"] == "WCAG 2.1 AA" and data["statement"]["conformance"] == "partial"
    assert {c["id"] for c in data["statement"]["checks"]} >= {"axe", "nu-html", "keyboard", "reflow"}
    assert len(data["statement"]["known_issues"]) >= 3 and all(i["text"] for i in data["statement"]["known_issues"])
    assert data["statement"]["contact_email"] is None


def test_without_a_contact_address_visitors_are_sent_to_their_library(client):
    html = client.get("/accessibility?lang=en").get_data(as_text=True)
    assert "mailto:" not in html and "tell your library" in html


def test_the_contact_address_comes_from_the_settings(tmp_path):
    from core.settings import from_dict
    from portal.app import create_app
    settings = from_dict({"data_dir": str(tmp_path), "portal": {"contact_email": "uu@example.org"}})
    client = create_app(settings, {"TESTING": True, "SECRET_KEY": "k" * 40}).test_client()
    html = client.get("/accessibility?lang=nn").get_data(as_text=True)
    assert '<a href="mailto:uu@example.org">uu@example.org</a>' in html
    assert client.get("/accessibility.json").get_json()["statement"]["contact_email"] == "uu@example.org"
