"""The first ten minutes of a patron, over the real pipeline (the demo harvested over loopback OAI-PMH,
transformed and indexed): the work page, the agent page, what a search for a language or place finds."""

from __future__ import annotations

NOB = "tromso-trb-ill-nob-001"          # "Nordlys over vidda", one edition sent by three libraries
EBOOK = "ebok-dig-nob-001"              # its e-book edition in the county's shared digital collection
SME = "kautokeino-kau-ill-sme-002"      # its Northern Sami translation


def test_work_page_lists_each_edition_once_with_its_libraries_and_the_translation(demo_client):
    work_id = demo_client.get(f"/api/record/{NOB}").get_json()["record"]["work_id"]
    page = demo_client.get(f"/work/{work_id}.json").get_json()
    assert page["work"]["editions"] == len(page["editions"]) == 2 and page["work"]["records"] == 4
    printed = next(e for e in page["editions"] if e["holdings"])
    ebook = next(e for e in page["editions"] if not e["holdings"])       # licensed online, no copies
    assert ebook["id"] == EBOOK and ebook["format"] == "ebook"
    libraries = {h["name"] for h in printed["holdings"]}
    assert len(libraries) == 3
    translations = [e for e in page["related"] if e["relation"] == "translation"]
    assert len(translations) == 1 and translations[0]["id"].endswith("ill-sme-002")      # one edition, two records
    assert {h["library"] for h in translations[0]["holdings"]} == {"kautokeino", "alta-vgs"}
    html = demo_client.get(f"/work/{work_id}?lang=en").get_data(as_text=True)
    assert html.count("Nordlys over vidda</a>") == 2                     # the print edition and the e-book
    assert "Guovssahasat duoddara badjel" in html and 'lang="se"' in html
    for name in libraries:
        assert name in html


def test_record_and_search_count_editions_alike(demo_client):
    record = demo_client.get(f"/api/record/{NOB}").get_json()["work"]
    hit = next(h for h in demo_client.get("/api/search?q=nordlys+over+vidda").get_json()["hits"]
               if h["work"]["id"] == record["id"])
    assert (record["editions"], record["records"]) == (hit["work"]["editions"], hit["work"]["records"]) == (2, 4)


def test_bylines_link_the_agent_page_which_shows_the_person_and_their_works(demo_client):
    record = demo_client.get(f"/api/record/{NOB}").get_json()["record"]
    nordmo = next(c for c in record["contributors"] if c["name"].startswith("Nordmo"))
    assert nordmo["id"] == "person/nordmo-kari"
    html = demo_client.get(f"/record/{NOB}?lang=en").get_data(as_text=True)
    assert '<a href="/agent/person/nordmo-kari" class="agent-link">Nordmo, Kari</a>' in html
    page = demo_client.get("/agent/person/nordmo-kari?lang=en")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "<h1>Nordmo, Kari" in text
    assert "Nordlys over vidda" in text and "Guovssahasat duoddara badjel" in text
    assert 'href="/agent/person/nordmo-kari.ttl"' in text          # the linked data, one click away
    assert "Accept" in page.headers["Vary"]
    assert demo_client.get("/agent/person/nordmo-kari.json").get_json()["agent"]["id"] == "person/nordmo-kari"
    assert 'href="/agent/person/nordmo-kari.json' in text                   # the page's JSON twin answers
    data = demo_client.get("/agent/person/nordmo-kari?format=json").get_json()
    assert data["agent"]["name"] == "Nordmo, Kari" and data["total"] >= 2
    assert {"code": "aut", "label": "author"} in [{**r, "label": r["label"].lower()} for r in data["agent"]["roles"]]
    turtle = demo_client.get("/agent/person/nordmo-kari", headers={"Accept": "text/turtle"})
    assert turtle.headers["Content-Type"].startswith("text/turtle")


def test_agent_page_names_dates_and_roles():
    from portal.agent_page import split_dates
    assert split_dates("Hillstrom, Kevin, 1963-") == ("Hillstrom, Kevin", "1963-")
    assert split_dates("Melville, Herman, 1819-1891") == ("Melville, Herman", "1819-1891")
    assert split_dates("Lewis, C. S.") == ("Lewis, C. S.", "")


def test_languages_and_places_are_searchable_over_the_pipeline(demo_client):
    def ids(q):
        return {h["id"] for h in demo_client.get("/api/search", query_string={"q": q, "page_size": 50})
                .get_json()["hits"]}
    assert any(i.endswith("ill-sme-001") for i in ids("samisk"))
    assert any(i.endswith("ill-smj-001") for i in ids("Sami"))
    assert any(i.endswith("ill-fkv-001") for i in ids("kvensk"))
    assert any(i.endswith("ill-nob-001") for i in ids("Tromsø"))        # published in Tromsø (264 $a)


def test_folk_tales_are_fiction(demo_client):
    hit = next(h for h in demo_client.get("/api/search?q=máidnasat").get_json()["hits"]
               if h["id"].endswith("ill-sme-003"))
    assert "fiction" in hit["genres"] and "nonfiction" not in hit["genres"] and "folk_tales" in hit["genres"]


def test_identifiers_are_named_or_left_to_the_json(demo_client):
    hits = demo_client.get("/api/search?page_size=100").get_json()["hits"]
    other = next(h for h in hits if h["identifiers"].get("other") and not h["identifiers"].get("isbn"))
    html = demo_client.get(f"/record/{other['id']}").get_data(as_text=True)
    assert "<dt>OTHER</dt>" not in html and other["identifiers"]["other"][0] not in html
    assert demo_client.get(f"/api/record/{other['id']}").get_json()["record"]["identifiers"]["other"]
    isbn = next(h for h in hits if h["identifiers"].get("isbn"))
    assert "<dt>ISBN</dt>" in demo_client.get(f"/record/{isbn['id']}").get_data(as_text=True)


def test_feed_entries_carry_the_records_language(demo_client):
    feed = demo_client.get("/language/sme/feed.atom").get_data(as_text=True)
    assert '<title xml:lang="se">' in feed


def test_agent_links_with_letters_beyond_ascii(demo_client):
    hit = next(h for h in demo_client.get("/api/search?q=boazodoallu+ja+luondu").get_json()["hits"]
               if h["id"].endswith("ill-smi-001"))
    [haetta] = [c for c in hit["contributors"] if c["name"].startswith("Hætta")]
    assert haetta["id"] == "person/hætta-mihkkal"
    html = demo_client.get(f"/record/{hit['id']}").get_data(as_text=True)
    assert 'href="/agent/person/h%C3%A6tta-mihkkal"' in html
    page = demo_client.get("/agent/person/h%C3%A6tta-mihkkal?lang=en")
    assert page.status_code == 200 and "BOAZODOALLU JA LUONDU" in page.get_data(as_text=True)
