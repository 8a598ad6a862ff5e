"""What a patron asks first of a hit: which libraries hold the work, is a copy on the shelf, at mine first.
And one shape for one fact: editions counted and contributors shown the same way by every API."""

from __future__ import annotations


def _hit(client, q, **args):
    body = client.get("/api/search", query_string={"q": q, **args}).get_json()
    return body, body["hits"][0]


def test_hit_lists_the_libraries_holding_any_edition_with_availability(client):
    # "fiskaren" matches the Norwegian edition only; Karasjok holds the Sami edition of the same work
    body, hit = _hit(client, "fiskaren")
    holdings = {h["library"]: h for h in hit["work"]["holdings"]}
    assert set(holdings) == {"tromso", "karasjok", "kongsbakken"}
    assert holdings["tromso"]["available"] == 1 and holdings["tromso"]["items"] == 2
    assert holdings["karasjok"]["available"] == 0 and holdings["karasjok"]["status"] == "in_transit"
    assert holdings["karasjok"]["name"] == "Kárášjoga gielda girjerádju"
    assert hit["work"]["libraries"] == 3
    assert [h["library"] for h in hit["holdings"]] != list(holdings)    # the edition's own stay as they were


def test_my_library_comes_first_in_hits_and_is_remembered(client):
    body, hit = _hit(client, "fiskaren", library="karasjok")
    assert body["my_library"] == "karasjok"
    first = hit["work"]["holdings"][0]
    assert first["library"] == "karasjok" and first["mine"] is True
    assert not any(h["mine"] for h in hit["work"]["holdings"][1:])
    again = client.get("/api/search?q=fiskaren").get_json()          # the cookie remembers the choice
    assert again["my_library"] == "karasjok" and again["hits"][0]["work"]["holdings"][0]["library"] == "karasjok"


def test_hit_html_names_libraries_and_availability(client):
    html = client.get("/search?q=fiskaren&library=karasjok&lang=en").get_data(as_text=True)
    entry = html.split('class="hit-libraries"', 1)[1].split("</ul>", 1)[0]
    assert entry.index("Kárášjoga gielda girjerádju") < entry.index("Tromsø bibliotek og byarkiv")
    assert "My library" in entry and "1 available" in entry and "In transit" in entry
    assert '<select id="library" name="library">' in html


def test_units_are_named_in_json_and_beside_the_facets(client):
    body = client.get("/api/search?q=olsen").get_json()
    assert body["units"] == {"total": "works", "facets": "editions"}
    assert body["total"] == 1 and sum(v["count"] for v in body["facets"]["format"]) == 2
    html = client.get("/search?q=olsen&lang=en").get_data(as_text=True)
    assert "The numbers in brackets count editions; the result count counts works." in html


def test_all_sami_languages_is_shown_once_when_selected(client):
    html = client.get("/search?filter=language:sami&lang=en").get_data(as_text=True)
    facets = html.split('id="filters"', 1)[1]
    assert facets.count('value="language:sami"') == 1
    assert facets.count("All Sami languages") == 1
    assert 'value="language:smi"' not in facets


def test_contributors_have_one_shape_in_search_and_record(client):
    _body, hit = _hit(client, "guolásteaddji")
    record = client.get(f"/api/record/{hit['id']}").get_json()["record"]
    for contributors in (hit["contributors"], record["contributors"]):
        gaup = next(c for c in contributors if c["name"] == "Gaup, Máret")
        assert set(gaup) == {"name", "id", "roles"}
        assert gaup["roles"] == [{"code": "trl", "label": gaup["roles"][0]["label"]}] and gaup["roles"][0]["label"]


def test_search_and_record_count_editions_by_one_rule(client):
    _body, hit = _hit(client, "fiskaren")
    work = client.get(f"/api/record/{hit['id']}").get_json()["work"]
    assert (work["editions"], work["records"]) == (hit["work"]["editions"], hit["work"]["records"]) == (2, 2)
    page = client.get(f"/work/{hit['work']['id']}.json").get_json()
    assert page["work"]["editions"] == 2 and len(page["editions"]) == 2
    assert {h["library"] for e in page["editions"] for h in e["holdings"]} == {"tromso", "karasjok", "kongsbakken"}


def test_record_content_is_tagged_with_its_own_language(client):
    html = client.get("/record/karasjok:77?lang=nb").get_data(as_text=True)
    assert '<h1 lang="se">Guolásteaddji ja áhpi' in html
    assert 'lang="nb">Guolásteaddji' not in html
    kven = client.get("/record/tromso:1002?lang=nb").get_data(as_text=True)
    assert '<h1 lang="fkv">Kainun kieli tänään' in kven
    hits = client.get("/search?q=guolásteaddji").get_data(as_text=True)
    assert 'lang="se">Guolásteaddji ja áhpi</a>' in hits
    summary = client.get("/record/tromso:1001").get_data(as_text=True)
    assert '<p class="summary" lang="nb">En roman' in summary


def test_a_language_is_found_by_its_name_in_every_interface_language_and_its_own(client):
    def ids(q):
        return {h["id"] for h in client.get("/api/search", query_string={"q": q}).get_json()["hits"]}
    for q in ("samisk", "Sami", "nordsamisk", "davvisámegiella", "sámegielat"):
        assert "karasjok:77" in ids(q), q
    for q in ("Kven", "kainun kieli", "kveanagiella"):
        assert "tromso:1002" in ids(q), q
    assert "tromso:1001" not in ids("samisk")
