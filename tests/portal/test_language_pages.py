"""Language landing pages, the languages overview, Atom feeds and the grouped language facet."""

from __future__ import annotations

import pytest
from lxml import etree

from portal.i18n import LANGUAGES
from tests.portal.sample import HOSTILE_TITLE

ATOM = "{http://www.w3.org/2005/Atom}"
HEADINGS = {"nb": "Les på nordsamisk", "nn": "Les på nordsamisk", "se": "Loga girjjiid: davvisámegiella",
            "en": "Read in Northern Sami"}


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_landing_page_in_every_interface_language(client, lang):
    html = client.get(f"/language/sme?lang={lang}").get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    assert f"<h1>{HEADINGS[lang]}</h1>" in html
    assert 'href="/search?filter=language%3Asme"' in html
    assert 'type="application/atom+xml" href="/language/sme/feed.atom"' in html
    assert "Guolásteaddji ja áhpi" in html                   # the Northern Sami title is shown


def test_landing_page_json_twin_counts_per_library(client):
    data = client.get("/language/sme.json").get_json()
    assert data["language"]["code"] == "sme" and data["language"]["titles"] == 1
    assert [(lib["library"], lib["count"]) for lib in data["libraries"]] == [("karasjok", 1)]
    assert data["newest"][0]["id"] == "karasjok:77"
    assert data["children"] == [] and data["children_total"] == 0
    assert data["language"]["feed_url"] == "/language/sme/feed.atom"
    html = client.get("/language/sme")
    assert "/language/sme.json" in html.headers["Link"]


def test_children_books_block_uses_the_audience(client):
    data = client.get("/language/nob.json").get_json()
    assert data["children_total"] == 0
    assert client.get("/search.json?filter=language:nob&filter=audience:young_adult").get_json()["total"] == 45


def test_sami_group_page_covers_every_sami_language(client):
    data = client.get("/language/sami.json").get_json()
    assert data["language"]["titles"] == 1
    assert client.get("/language/sami?lang=en").status_code == 200


def test_unknown_language_is_404(client):
    assert client.get("/language/xyz").status_code == 404
    assert client.get("/language/xyz/feed.atom").status_code == 404
    assert client.get("/language/%3Cscript%3E").status_code == 404


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_languages_overview(client, lang):
    html = client.get(f"/languages?lang={lang}").get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    for code in ("sme", "smj", "sma", "smn", "sms", "fkv", "fit", "fin", "rus"):
        assert f'href="/language/{code}"' in html
    if lang != "se":                                          # autonym marked with its own language
        assert 'lang="se">davvisámegiella<' in html
    data = client.get("/languages.json").get_json()
    by_code = {entry["code"]: entry for entry in data["languages"]}
    assert by_code["sme"]["titles"] == 1 and by_code["fkv"]["titles"] == 1 and by_code["smj"]["titles"] == 0


def _parse_feed(response):
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    return etree.fromstring(response.get_data())


def test_language_feed_is_valid_atom(client):
    feed = _parse_feed(client.get("/language/fkv/feed.atom"))
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{name}") is not None and feed.find(f"{ATOM}{name}").text
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == ["Kainun kieli tänään"]
    entry = entries[0]
    assert entry.find(f"{ATOM}id").text == "http://localhost:5000/record/tromso:1002"     # base_uri, not Host
    assert entry.find(f"{ATOM}updated").text.endswith("Z")
    assert entry.find(f"{ATOM}category").get("term") == "fkv"


def test_library_feed_escapes_hostile_titles(client):
    response = client.get("/library/NO-2019020/feed.atom")
    body = response.get_data(as_text=True)
    assert "<script>" not in body and "&lt;script&gt;" in body
    feed = _parse_feed(response)
    titles = [e.find(f"{ATOM}title").text for e in feed.findall(f"{ATOM}entry")]
    assert HOSTILE_TITLE in titles                             # round-trips as text, never as markup
    assert client.get("/library/NO-0000000/feed.atom").status_code == 404
    assert "nosniff" == response.headers["X-Content-Type-Options"]


def test_language_facet_groups_sami_with_a_group_value_on_top(client):
    html = client.get("/search?q=olsen&lang=en").get_data(as_text=True)
    group = html[html.index('class="facet-group"'):]
    group = group[:group.index("</fieldset>")]
    assert "<legend>Sami languages</legend>" in group
    assert group.index('value="language:sami"') < group.index('value="language:sme"')
    assert "All Sami languages" in group


def test_group_value_filters_every_sami_language(client):
    body = client.get("/api/search?filter=language:sami").get_json()
    assert body["total"] == 1 and body["hits"][0]["id"] == "karasjok:77"
    html = client.get("/search?filter=language:sami&lang=en").get_data(as_text=True)
    assert "Language: All Sami languages" in html                # the active filter chip names the group


def test_kven_is_listed_even_below_the_facet_cut(client):
    body = client.get("/api/search").get_json()
    assert {"value": "fkv", "count": 1} in body["facets"]["language"]


def test_zero_hits_suggest_a_search_with_fewer_words(client):
    body = client.get("/api/search?q=fiskaren+zzzqqq").get_json()
    assert body["total"] == 0
    assert {"q": "fiskaren", "url": "/search?q=fiskaren", "total": 1, "kind": "fewer_words"} in body["suggestions"]
