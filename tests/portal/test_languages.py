"""Four interface languages: chosen on any page, remembered, announced to assistive technology."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal.i18n import LANGUAGES

TRANSLATIONS = Path(__file__).resolve().parents[2] / "portal" / "translations"
SEARCH_WORD = {"nb": "Søk", "nn": "Søk", "se": "Oza", "en": "Search"}
NOT_FOUND = {"nb": "Fant ikke siden", "nn": "Fann ikkje sida", "se": "Siidu ii gávdnon", "en": "Page not found"}


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_language_sets_html_lang_and_translates(client, lang):
    page = client.get(f"/search?q=fiskaren&lang={lang}")
    html = page.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    assert f">{SEARCH_WORD[lang]}</button>" in html
    missing = client.get(f"/no/such/page?lang={lang}")
    assert missing.status_code == 404 and NOT_FOUND[lang] in missing.get_data(as_text=True)


def test_default_is_bokmal(client):
    assert '<html lang="nb">' in client.get("/").get_data(as_text=True)


def test_choice_is_remembered_in_a_cookie(client):
    first = client.get("/?lang=se")
    assert "lang=se" in first.headers["Set-Cookie"]
    assert '<html lang="se">' in client.get("/libraries").get_data(as_text=True)
    assert '<html lang="nn">' in client.get("/libraries?lang=nn").get_data(as_text=True)
    assert '<html lang="nn">' in client.get("/").get_data(as_text=True)


def test_unknown_language_falls_back_to_default(client):
    page = client.get("/?lang=xx")
    assert page.status_code == 200 and '<html lang="nb">' in page.get_data(as_text=True)


def test_switcher_links_carry_lang_hreflang_and_keep_the_query(client):
    html = client.get("/search?q=olsen&filter=language:sme").get_data(as_text=True)
    for code, name in LANGUAGES.items():
        link = re.search(rf'<a href="([^"]+)" lang="{code}" hreflang="{code}"[^>]*>{name}</a>', html)
        assert link, code
        assert "q=olsen" in link.group(1) and "language%3Asme" in link.group(1) and f"lang={code}" in link.group(1)
    assert re.search(r'lang="nb" hreflang="nb"\s+aria-current="true"', html)


def test_language_names_come_from_vocab_in_the_interface_language(client):
    nb = client.get("/search?q=olsen").get_data(as_text=True)
    se = client.get("/search?q=olsen&lang=se").get_data(as_text=True)
    assert "nordsamisk" in nb.lower() and "davvisámegiella" in se.lower()


def test_catalogs_are_complete_and_compiled():
    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po
    template = read_po((TRANSLATIONS / "messages.pot").open("rb"))
    wanted = {m.id for m in template if m.id}
    for lang in LANGUAGES:
        folder = TRANSLATIONS / lang / "LC_MESSAGES"
        po = read_po((folder / "messages.po").open("rb"))
        mo = read_mo((folder / "messages.mo").open("rb"))
        translated = {m.id for m in po if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)}
        assert wanted <= translated, (lang, wanted - translated)
        def entries(catalog):
            return {tuple(m.id) if isinstance(m.id, (list, tuple)) else m.id:
                    tuple(m.string) if isinstance(m.string, (list, tuple)) else m.string for m in catalog if m.id}
        assert entries(po) == entries(mo), \
            f"{lang}: messages.mo is stale; run pybabel compile -d portal/translations"


def test_sami_catalog_asks_for_native_review():
    header = (TRANSLATIONS / "se" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")[:600]
    assert "NEEDS REVIEW BY A NATIVE SPEAKER" in header


def test_template_is_up_to_date_with_the_code(tmp_path):
    """Every string marked for translation in portal/ is in messages.pot (so no page shows English in nb)."""
    from babel.messages.extract import extract_from_dir
    root = Path(__file__).resolve().parents[2]
    method_map = [("portal/**.py", "python"), ("portal/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    found = {m[2] if isinstance(m[2], str) else m[2] for m in extract_from_dir(str(root), method_map,
                                                                               keywords=keywords)}
    from babel.messages.pofile import read_po
    template = {m.id for m in read_po((TRANSLATIONS / "messages.pot").open("rb")) if m.id}
    assert found <= template, found - template
