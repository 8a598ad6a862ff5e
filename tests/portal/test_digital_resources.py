"""Shared digital resources: a source of kind `digital` (e-books and e-audiobooks with 856 links) is found
in the same search as print, filters as availability `digital`, offers "read/listen now" only to patrons
of the libraries that license it, shows no copy counts, and its JSON twin carries the links and access."""

from __future__ import annotations

import pytest

from core import settings as settings_mod
from harvest.store import IncomingRecord, RecordStore
from tests.linked_data.conftest import Server

BASE = "http://digital.grenselos.test"


def settings_for(data_dir, access=("tromso",)):
    return settings_mod.from_dict({
        "data_dir": str(data_dir), "base_uri": BASE,
        "sources": [
            {"id": "tromso", "name": "Tromsø bibliotek", "isil": "NO-1990001", "municipality": "Tromsø",
             "holdings": "koha-952", "circulation": True},
            {"id": "alta", "name": "Alta bibliotek", "isil": "NO-1990004", "municipality": "Alta",
             "circulation": True},
            {"id": "ebok", "name": "E-bøker i Troms og Finnmark", "kind": "digital", "access": list(access)},
        ]})


def build_site(data_dir):
    """Harvested (imported), transformed and indexed: the Tromsø demo records in print and the shared
    digital collection, with a patron of Tromsø and one of Alta. Returns (settings, record store)."""
    from grenselos.demo import samples
    from index.pipeline import index_changes
    from transform.pipeline import run_transform
    settings = settings_for(data_dir)
    store = RecordStore(settings.database_url)
    tromso = next(lib for lib in samples.LIBRARIES if lib.id == "tromso")
    store.upsert("tromso", [IncomingRecord(identifier=f"oai:tromso:{local}", marcxml=xml, control_number=local,
                                           datestamp="2026-01-01") for local, xml in samples.illustrative_for(tromso)])
    store.upsert("ebok", [IncomingRecord(identifier=f"oai:ebok:{local}", marcxml=xml, control_number=local,
                                         datestamp="2026-01-01") for local, xml in samples.digital_records()])
    run_transform(settings, store, progress=False)
    index_changes(settings, store, full=True)
    from core.db import migrate
    from tests.circulation.conftest import add_patron
    migrate(store.engine)
    add_patron(store.engine, "TROMSO1", pin="2468", library="tromso")
    add_patron(store.engine, "ALTA1", pin="1357", library="alta")
    return settings, store


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    settings, store = build_site(tmp_path_factory.mktemp("digital"))
    with Server(settings) as srv:
        yield settings, srv.app.test_client()
    store.close()


def test_access_names_configured_libraries_only(tmp_path):
    from core.errors import ConfigError
    with pytest.raises(ConfigError, match="access names 'tromsoe'.*did you mean"):
        settings_for(tmp_path, access=("tromsoe",))
    from vocab import libraries
    everyone = settings_for(tmp_path, access=())
    assert set(libraries.directory(everyone).digital_access(everyone.source("ebok"))) == {"tromso", "alta"}
    assert libraries.directory(everyone).digital_access(everyone.source("tromso")) == ()


def test_print_and_digital_are_found_in_one_search(site):
    _settings, web = site
    found = web.get("/search.json?q=Nordlys+over+vidda").get_json()
    hits = {hit["id"]: hit for hit in found["hits"]}
    assert hits["ebok-dig-nob-002"]["digital"] is True                 # the e-audiobook, a work of its own
    printed = hits["tromso-trb-ill-nob-001"]                             # the print novel's work...
    work = web.get(f"/work/{printed['work']['id']}.json").get_json()
    assert {e["id"] for e in work["editions"]} == {"tromso-trb-ill-nob-001", "ebok-dig-nob-001"}   # ...has the e-book
    every = web.get("/search.json?q=Nordlys+over+vidda&filter=available:digital").get_json()
    assert every["total"] >= 1 and all(hit["digital"] for hit in every["hits"])
    print_only = web.get("/search.json?q=Nordlys+over+vidda&filter=available:true").get_json()
    assert print_only["total"] >= 1 and not any(hit["digital"] for hit in print_only["hits"])


def test_availability_facet_has_digital(site):
    _settings, web = site
    facets = web.get("/search.json?q=").get_json()["facets"]
    values = {f["value"]: f["count"] for f in facets["available"]}
    assert values.get("digital") == 5 and values.get("true", 0) >= 1
    html = web.get("/search?q=Čáhppes").get_data(as_text=True)
    assert "Digitalt: les eller lytt på nett" in html


def test_json_twin_carries_links_and_access(site):
    _settings, web = site
    data = web.get("/record/ebok-dig-nob-001.json").get_json()
    record = data["record"]
    assert record["digital"] is True and record["access"] == ["tromso"]
    assert record["links"] == [{"url": "https://ebok.example.org/read/dig-nob-001",
                                "label": "Les e-boka Krever lånekort i et bibliotek i Troms og Finnmark"}]
    assert data["online"]["can_open"] is False and data["online"]["libraries"][0]["name"] == "Tromsø bibliotek"
    assert web.get("/record/ebok-dig-nob-001.json?library=tromso").get_json()["online"]["can_open"] is True
    cover_only = web.get("/record/ebok-dig-fkv-001.json").get_json()["record"]
    assert [link["url"] for link in cover_only["links"]] == ["https://ebok.example.org/read/dig-fkv-001"]
    assert cover_only["holdings"] == []              # its 852 makes no copy: access is licensed, not shelved
    print_record = web.get("/record/tromso-trb-ill-nob-001.json").get_json()
    assert print_record["record"]["digital"] is False and print_record["online"] is None


def test_read_now_only_for_patrons_of_a_licensing_library(site):
    _settings, web = site
    mine = web.get("/record/ebok-dig-sme-002?library=tromso").get_data(as_text=True)
    assert 'href="https://ebok.example.org/listen/dig-sme-002"' in mine and "Lytt nå" in mine
    other = web.get("/record/ebok-dig-sme-002?library=alta").get_data(as_text=True)
    assert "https://ebok.example.org/listen/dig-sme-002" not in other
    assert "Tromsø bibliotek" in other


def test_no_copy_counts_for_unlimited_access(site):
    _settings, web = site
    html = web.get("/record/ebok-dig-nob-001?library=tromso").get_data(as_text=True)
    assert "holdings-summary" not in html and "har registrert eksemplarer" not in html
    hits = web.get("/search?q=Čáhppes+beana&filter=available:digital").get_data(as_text=True)
    assert "Finnes i 0" not in hits


def test_a_signed_in_patron_uses_their_home_library(site):
    import re
    _settings, _web = site
    for card, pin, allowed in (("TROMSO1", "2468", True), ("ALTA1", "1357", False)):
        client = _web.application.test_client()
        page = client.get("/my").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert client.post("/my/login", data={"card": card, "pin": pin, "csrf_token": token}).status_code == 303
        # the chosen library (alta) does not count once a patron is signed in: their home library does
        online = client.get("/record/ebok-dig-nob-001.json?library=alta").get_json()["online"]
        assert online["can_open"] is allowed and online["home"] == card.lower().rstrip("1")


def test_the_digital_collection_is_no_library_to_choose(site):
    _settings, web = site
    assert [lib["id"] for lib in web.get("/libraries.json").get_json()["libraries"]] == ["alta", "tromso"]
    assert "ebok" not in {lib["id"] for lib in web.get("/record/ebok-dig-nob-001.json").get_json()["libraries"]}
