"""Curated lists: the model (languages with fallback, publish window, copies, co-owners), their public
pages, JSON-LD, Atom feed, widget and its frame policy, the lists graph over SPARQL and in VoID."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from lxml import etree

from lists.errors import ListError
from lists.model import pick

SAMI = {"title": {"se": "Sámegiel girjjit mánáide", "nb": "Samiske bøker for barn"},
        "blurb": {"se": "Buorre girjjit."}, "items": ["karasjok:77", {"record": "tromso:1001",
                                                                       "blurb": {"nb": "En klassiker."}}],
        "audiences": ["children"], "themes": ["samefolkets-dag"], "published": True}


@pytest.fixture
def store(app):
    from lists.store import ListStore
    return ListStore(app.extensions["grenselos"]["sql"])


def _html(response) -> str:
    return response.get_data(as_text=True)


def test_texts_fall_back_to_the_lists_first_language(store):
    list_id = store.create(["karasjok"], SAMI)
    curated = store.get(list_id)
    assert curated.languages == ("se", "nb")
    assert curated.title("nn").text == "Sámegiel girjjit mánáide" and curated.title("nn").lang == "se"
    assert curated.title("nb").text == "Samiske bøker for barn"
    assert curated.blurb("en").lang == "se"
    item = curated.items[1]
    assert curated.item_blurb(item, "se") == pick({"nb": "En klassiker."}, ("se", "nb"), "se")
    assert curated.item_blurb(item, "se").lang == "nb"
    with pytest.raises(ListError):
        store.create(["karasjok"], {"title": {"xx": "?"}})
    with pytest.raises(ListError):
        store.create(["karasjok"], {"title": {}})


def test_publish_and_unpublish_dates_decide_what_the_public_sees(store, client):
    now = datetime.now(timezone.utc)
    soon = store.create(["tromso"], {"title": {"nb": "Snart"}, "publish_at": (now + timedelta(days=2)).isoformat()})
    ended = store.create(["tromso"], {"title": {"nb": "Ferdig"}, "publish_at": (now - timedelta(days=9)).isoformat(),
                                      "unpublish_at": (now - timedelta(days=1)).isoformat()})
    draft = store.create(["tromso"], {"title": {"nb": "Utkast"}})
    up = store.create(["tromso"], {"title": {"nb": "Ute nå"}, "published": True})
    assert [store.get(i).state() for i in (soon, ended, draft, up)] == ["scheduled", "ended", "draft", "published"]
    assert [c.id for c in store.published()] == [up]
    assert [c.id for c in store.published(now + timedelta(days=3))] == [soon, up]
    for hidden in (soon, ended, draft):
        assert client.get(f"/lists/{hidden}").status_code == 404
        assert client.get(f"/lists/{hidden}.atom").status_code == 404
    assert client.get(f"/lists/{up}").status_code == 200
    with pytest.raises(ListError):
        store.create(["tromso"], {"title": {"nb": "x"}, "publish_at": "2027-02-06", "unpublish_at": "2027-02-01"})


def test_a_copy_remembers_its_origin_and_belongs_to_the_copier(store, client):
    origin = store.create(["karasjok"], SAMI)
    copied = store.copy(origin, "tromso", by="anne")
    copy = store.get(copied)
    assert copy.origin == origin and copy.origin_library == "karasjok" and copy.owners == ("tromso",)
    assert copy.state() == "draft" and [i.record_id for i in copy.items] == ["karasjok:77", "tromso:1001"]
    assert copy.items[1].blurbs == {"nb": "En klassiker."}
    store.update(copied, {"published": True})
    page = _html(client.get(f"/lists/{copied}"))
    assert f'href="/lists/{origin}"' in page


def test_co_owners_and_reordering(store, client):
    list_id = store.create(["karasjok", "tromso"], SAMI)
    assert store.get(list_id).owners == ("karasjok", "tromso")
    assert [c.id for c in store.owned_by("tromso")] == [list_id]
    store.set_owners(list_id, ["tromso", "kongsbakken"])
    assert store.owned_by("karasjok") == []
    store.update(list_id, {"items": ["tromso:1001", "karasjok:77"]})
    curated = store.get(list_id)
    assert [i.record_id for i in curated.items] == ["tromso:1001", "karasjok:77"]
    assert curated.items[0].blurbs == {"nb": "En klassiker."}        # blurbs follow their title
    assert "Samiske bøker for barn" in _html(client.get("/library/tromso"))
    assert "Samiske bøker for barn" not in _html(client.get("/library/karasjok"))


def test_list_page_shows_titles_with_language_tags_and_json_ld(store, client):
    list_id = store.create(["karasjok"], SAMI)
    page = client.get(f"/lists/{list_id}?lang=se")
    html = _html(page)
    assert page.status_code == 200
    assert '<h1 lang="se">Sámegiel girjjit mánáide</h1>' in html
    assert re.search(r'<a href="/record/karasjok:77" lang="se">Guolásteaddji ja áhpi</a>', html)
    assert re.search(r'lang="nb">Fiskaren og havet</a>', html)
    assert '<p class="item-blurb" lang="nb">En klassiker.</p>' in html        # no se blurb: the nb one, marked
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    data = json.loads(block)
    assert data["@type"] == "ItemList" and data["numberOfItems"] == 2
    assert [e["position"] for e in data["itemListElement"]] == [1, 2]
    assert data["itemListElement"][0]["item"]["inLanguage"] == "se"
    assert data["itemListElement"][0]["item"]["@id"].endswith("/instance/karasjok:77")
    twin = client.get(f"/lists/{list_id}.json").get_json()
    assert twin["json_ld"]["@type"] == "ItemList" and twin["entries"][0]["language"]["bcp47"] == "se"
    assert 'rel="alternate"; type="application/atom+xml"' in page.headers["Link"]


def test_views_are_counted_per_day_not_per_patron(store, client):
    list_id = store.create(["karasjok"], SAMI)
    for _ in range(3):
        client.get(f"/lists/{list_id}")
    client.get(f"/lists/{list_id}.json")                   # programs reading the twin are not views
    assert [n for _day, n in store.views(list_id)] == [3]


def test_atom_feed_parses_and_carries_the_titles(store, client):
    list_id = store.create(["karasjok"], SAMI)
    response = client.get(f"/lists/{list_id}.atom?lang=se")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    root = etree.fromstring(response.data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert root.findtext("a:title", namespaces=ns) == "Sámegiel girjjit mánáide"
    titles = [e.findtext("a:title", namespaces=ns) for e in root.findall("a:entry", ns)]
    assert titles == ["Guolásteaddji ja áhpi", "Fiskaren og havet"]
    assert all(e.findtext("a:id", namespaces=ns).startswith("http") for e in root.findall("a:entry", ns))


def test_widget_may_be_framed_only_where_the_owner_allows(store, app, client, settings):
    list_id = store.create(["karasjok"], SAMI)
    plain = client.get(f"/lists/{list_id}/embed")
    assert plain.status_code == 200
    assert "frame-ancestors 'self'" in plain.headers["Content-Security-Policy"]
    assert "script" not in plain.headers["Content-Security-Policy"].split("script-src")[1].split(";")[0].replace(
        "'self'", "").strip()
    assert client.get(f"/lists/{list_id}").headers["Content-Security-Policy"].endswith("frame-ancestors 'none'")
    from dataclasses import replace
    sources = tuple(replace(s, embed_origins=("https://www.karasjok.kommune.no",)) if s.id == "karasjok" else s
                    for s in settings.sources)
    app.config["GRENSELOS_SETTINGS"] = replace(settings, sources=sources)
    framed = client.get(f"/lists/{list_id}/embed")
    assert "frame-ancestors 'self' https://www.karasjok.kommune.no" in framed.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in framed.headers
    snippet = client.get(f"/lists/{list_id}/snippet").get_data(as_text=True)
    assert "<script" not in snippet and "style=" not in snippet and "karasjok:77" in snippet


def test_a_bad_embed_origin_is_a_configuration_error():
    from core.errors import ConfigError
    from core.settings import from_dict
    with pytest.raises(ConfigError, match="embed_origins"):
        from_dict({"sources": [{"id": "x", "name": "X", "embed_origins": ["https://a.no; script-src *"]}]})


def test_lists_appear_on_the_front_and_sami_landing_pages(store, client):
    store.create(["karasjok"], SAMI)
    store.create(["tromso"], {"title": {"nb": "Krim i påsken"}, "published": True})
    assert "Samiske bøker for barn" in _html(client.get("/"))
    sami = _html(client.get("/language/sme?lang=se"))
    assert "Sámegiel girjjit mánáide" in sami and "Krim i påsken" not in sami
    assert {entry["title"] for entry in client.get("/lists.json?lang=nb").get_json()["lists"]} == {
        "Samiske bøker for barn", "Krim i påsken"}


def test_the_reading_list_moved_to_saved_and_old_form_actions_follow(client):
    with client.session_transaction() as session:
        session["csrf_token"] = "t" * 32
    response = client.post("/lists/add", data={"record": "tromso:1001", "csrf_token": "t" * 32})
    assert response.status_code == 308 and response.headers["Location"].endswith("/saved/add")
    assert client.get("/saved").status_code == 200


def test_loans_and_holds_count_copy_statuses_set_while_the_list_was_up(store, app):
    from sqlalchemy import insert
    from lists import stats
    from transform.copies import copies
    from transform.tables import transform_records
    now = datetime.now(timezone.utc)
    list_id = store.create(["tromso"], {"title": {"nb": "Lån"}, "items": ["tromso-r1"],
                                        "publish_at": (now - timedelta(days=5)).isoformat()})
    with app.extensions["grenselos"]["sql"].begin() as conn:
        conn.execute(insert(transform_records).values(source="tromso", identifier="oai:1", record_id="r1",
                                                      status="ok", updated_at=now))
        conn.execute(insert(copies), [
            {"source": "tromso", "identifier": "oai:1", "n": 1, "status": "on_loan", "updated_at": now},
            {"source": "tromso", "identifier": "oai:1", "n": 2, "status": "awaiting_pickup", "updated_at": now},
            {"source": "tromso", "identifier": "oai:1", "n": 3, "status": "on_loan",
             "updated_at": now - timedelta(days=30)}])                         # lent before the list went up
    report = stats.report(store, store.get(list_id))
    assert (report["loans"], report["holds"]) == (1, 1)


def test_lists_graph_is_queryable_over_sparql_and_in_void(store, app, client, settings):
    from lists import graph as lists_graph
    from transform.graphstore import GraphStore
    list_id = store.create(["karasjok"], SAMI)
    store.create(["karasjok"], {"title": {"nb": "Utkast"}})
    with GraphStore.open(settings) as graph:
        first = lists_graph.write(settings, graph, store)
        again = lists_graph.write(settings, graph, store)
    assert first == again and first["lists"] == 1
    query = ("PREFIX schema: <https://schema.org/> SELECT ?list ?name WHERE { ?list a schema:ItemList ; "
             "schema:name ?name . FILTER(lang(?name) = 'se') }")
    answer = client.get("/sparql", query_string={"query": query},
                        headers={"Accept": "application/sparql-results+json"})
    assert answer.status_code == 200, answer.data[:300]
    rows = answer.get_json()["results"]["bindings"]
    assert [(r["list"]["value"], r["name"]["value"]) for r in rows] == [
        (f"{settings.base_uri}/list/{list_id}", "Sámegiel girjjit mánáide")]
    void = client.get("/.well-known/void.nt").get_data(as_text=True)
    assert f"<{settings.base_uri}/dataset/lists> <http://rdfs.org/ns/void#class> <https://schema.org/ItemList>" in void


def test_grenselos_lists_graph_rewrites_the_graph_idempotently(tmp_path):
    from click.testing import CliRunner
    from core import db
    from core.settings import load
    from grenselos.cli import cli
    from lists.store import ListStore
    from transform.graphstore import GraphStore
    config = tmp_path / "grenselos.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\nbase_uri = "http://lists.test"\n\n[[sources]]\n'
                      'id = "karasjok"\nname = "Kárášjoga gielda girjerádju"\n', encoding="utf-8")
    settings = load(config)
    engine = db.engine_for(settings.database_url)
    db.migrate(engine)
    store = ListStore(engine)
    store.create(["karasjok"], SAMI)
    taken_down = store.create(["karasjok"], {**SAMI, "title": {"nb": "Borte snart"}})
    outputs = []
    for _ in range(2):
        result = CliRunner().invoke(cli, ["--config", str(config), "lists", "graph"])
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    assert outputs[0] == outputs[1] and "2 published lists" in outputs[0]
    store.update(taken_down, {"published": False})
    assert "1 published lists" in CliRunner().invoke(cli, ["--config", str(config), "lists", "graph"]).output
    with GraphStore.open(settings, read_only=True) as graph:
        names = {str(row["name"]) for row in graph.query(
            "SELECT ?name WHERE { ?l a <https://schema.org/ItemList> ; <https://schema.org/name> ?name }")}
    assert names == {'"Sámegiel girjjit mánáide"@se', '"Samiske bøker for barn"@nb'}


def test_a_saved_search_keeps_adding_its_newest_hits_after_the_chosen_titles(store, client):
    list_id = store.create(["karasjok"], {"title": {"nb": "Nye samiske"}, "items": ["tromso:1001"],
                                          "saved_search": "filter=language:sme", "published": True})
    entries = client.get(f"/lists/{list_id}.json").get_json()["entries"]
    assert [e["record"] for e in entries][:2] == ["tromso:1001", "karasjok:77"]
    assert all(e["language"]["code"] == "sme" for e in entries[1:])
    broken = store.create(["karasjok"], {"title": {"nb": "Rar"}, "saved_search": "filter=nonsense",
                                         "published": True})
    assert client.get(f"/lists/{broken}.json").status_code == 200        # a stored search gone bad adds nothing
