"""Work clustering with its tables on SQLite: assignment, translations, ignore list, overrides, explain."""

import copy
import json

import pytest
from lxml import etree
from sqlalchemy import insert, select

from core.clock import now
from harvest.marcdata import DataField, Subfield, from_stored
from harvest.marcxml import find_records
from harvest.store import RecordStore
from tests.unit.test_cluster_keys import _swedish_original
from transform.cluster_keys import keys_for
from transform.cluster_rules import load_ignore_list
from transform.clusters import Clusterer, Member
from transform.explain import add_join, add_split, explain, explain_text
from transform.tables import clusters, transform_records


@pytest.fixture(scope="module")
def koha(shared_data):
    root = etree.parse(str(shared_data / "koha-misc4dev" / "koha_sample_biblios.marcxml")).getroot()
    return {r["001"].data: r for r in (from_stored(el) for el in find_records(root)) if r.get("001")}


@pytest.fixture
def engine(tmp_path):
    store = RecordStore(f"sqlite:///{tmp_path / 'records.sqlite'}")
    yield store.engine
    store.close()


def place(engine, source, identifier, record, ignored=frozenset()):
    """Key and place one record the way the pipeline does, in its own transaction."""
    with engine.begin() as conn:
        row = conn.execute(select(transform_records.c.cluster_id).where(
            transform_records.c.source == source, transform_records.c.identifier == identifier)).first()
        if row is None:
            conn.execute(insert(transform_records).values(source=source, identifier=identifier,
                                                          record_id=identifier, status="ok", triples=0,
                                                          updated_at=now()))
        member = Member(source, identifier, identifier, keys_for(record), row.cluster_id if row else None)
        return Clusterer(conn, ignored).assign([member]).assigned[(source, identifier)]


def cluster_of(engine, source, identifier):
    with engine.connect() as conn:
        return conn.execute(select(transform_records.c.cluster_id).where(
            transform_records.c.source == source, transform_records.c.identifier == identifier)).scalar()


def without_isbn(record):
    rec = copy.deepcopy(record)
    rec.remove_fields("020", "015", "016")
    return rec


def test_same_edition_from_two_sources_clusters_and_id_is_stable(engine, koha):
    frost = koha["4233980"]
    first = place(engine, "tromso", "oai:tromso:1", frost)
    assert first == "tromso-oai:tromso:1"
    assert place(engine, "alta", "oai:alta:77", frost) == first
    # a third library without ISBN joins by title, author, year and extent
    assert place(engine, "hammerfest", "h-5", without_isbn(frost)) == first
    with engine.connect() as conn:
        data = explain(conn, "alta:oai:alta:77", "http://x")
    assert data["cluster"] == first and data["work"] == f"http://x/work/{first}"
    rules = {r["record"]: r["decision"]["rule"] for r in data["records"]}
    assert rules == {"tromso:oai:tromso:1": "new", "alta:oai:alta:77": "isbn", "hammerfest:h-5": "title-author"}
    text = explain_text(data)
    assert "rule: isbn with tromso:oai:tromso:1 — shared ISBN 9780099459040" in text
    # the founding record's change does not rename the work
    assert place(engine, "tromso", "oai:tromso:1", frost) == first


def test_records_of_one_source_never_cluster_with_each_other(engine, koha):
    frost = koha["4233980"]
    a = place(engine, "tromso", "1", frost)
    b = place(engine, "tromso", "2", frost)
    assert a != b
    # a second source's copy joins exactly one of them
    assert place(engine, "alta", "9", frost) in (a, b)


def test_translation_forms_its_own_work_and_links_to_the_original(engine, koha):
    original = place(engine, "tromso", "orig", _swedish_original(koha["4233980"]))
    translation = place(engine, "alta", "trans", koha["4233980"])
    assert translation != original
    with engine.connect() as conn:
        link = conn.execute(select(clusters.c.translation_of).where(clusters.c.cluster_id == translation)).scalar()
        data = explain(conn, translation)
    assert link == original
    assert data["translation_of"] == original
    rejected = data["records"][0]["decision"]["rejected"]
    assert [r["rule"] for r in rejected] == ["translation"]


def test_translation_arriving_first_is_linked_when_the_original_comes(engine, koha):
    translation = place(engine, "alta", "trans", koha["4233980"])
    original = place(engine, "tromso", "orig", _swedish_original(koha["4233980"]))
    with engine.connect() as conn:
        assert explain(conn, original)["translations"] == [translation]


def _with_bad_isbn(record):
    rec = copy.deepcopy(record)
    rec.remove_fields("020")
    rec.add_ordered_field(DataField("020", " ", " ", [("a", "0000000000")]))
    return rec


def test_shared_bad_isbn_on_ignore_list_does_not_merge_two_books(engine, koha):
    ignored = load_ignore_list()
    a = place(engine, "tromso", "a", _with_bad_isbn(koha["13905227"]), ignored)   # Stevens, 2005
    b = place(engine, "alta", "b", _with_bad_isbn(koha["4971930"]), ignored)      # Stevens, 2013
    assert a != b
    with engine.connect() as conn:
        decision = explain(conn, "alta:b")["records"][0]["decision"]
    assert decision["rejected"][0]["rule"] == "year"
    assert "ignore list" in decision["rejected"][0]["detail"]


def test_local_ignore_list_stacks_on_the_packaged_one(tmp_path):
    local = tmp_path / "isbn_ignore.txt"
    local.write_text("# ours\n978-0-09-945904-0  # misprinted on a whole print run\n", encoding="utf-8")
    ignored = load_ignore_list(local)
    assert {"9780099459040", "9780000000002"} <= ignored


def test_isbn_shared_by_many_titles_is_not_trusted(engine, koha):
    ids = ["13905227", "4233980", "13949097", "749541"]
    for n, control in enumerate(ids):
        place(engine, f"s{n}", control, _with_bad_isbn(koha[control]))          # not on any list here
    last = place(engine, "s9", "x", _with_bad_isbn(koha["1181466"]))
    with engine.connect() as conn:
        members = conn.execute(select(transform_records.c.identifier)
                               .where(transform_records.c.cluster_id == last)).scalars().all()
    assert members == ["x"]


def test_manual_split_and_join_survive_re_runs(engine, koha):
    frost = koha["4233980"]
    work = place(engine, "tromso", "1", frost)
    assert place(engine, "alta", "2", frost) == work
    with engine.begin() as conn:
        add_split(conn, "alta:2", note="different binding")
        Clusterer(conn).apply_overrides()
    split_off = cluster_of(engine, "alta", "2")
    assert split_off != work
    # a re-harvest changes the record: it is re-keyed, and stays on its own
    assert place(engine, "alta", "2", frost) == split_off
    # and no other library's copy joins the split-off record
    assert place(engine, "hammerfest", "3", frost) == work

    other = place(engine, "vardo", "4", koha["13949097"])                      # The idiot
    with engine.begin() as conn:
        add_join(conn, "vardo:4", "tromso:1", note="librarian says so")
        Clusterer(conn).apply_overrides()
    assert cluster_of(engine, "vardo", "4") == work
    assert place(engine, "vardo", "4", koha["13949097"]) == work                 # re-harvest
    with engine.begin() as conn:
        assert not Clusterer(conn).apply_overrides().moved                        # nothing left to do
        data = explain(conn, work)
    assert {o["kind"] for o in data["overrides"]} == {"join"}
    assert any(r["decision"]["rule"] == "manual-join" for r in data["records"])
    assert json.dumps(data, default=str)
    with engine.connect() as conn:
        assert explain(conn, "alta:2")["records"][0]["decision"]["rule"] == "manual-split"


def test_deleted_founder_leaves_the_work_id_to_the_others(engine, koha):
    frost = koha["4233980"]
    work = place(engine, "tromso", "1", frost)
    place(engine, "alta", "2", frost)
    with engine.begin() as conn:
        changes = Clusterer(conn).remove([("tromso", "1")], "deleted at the source")
    assert not changes.removed and work in changes.dirty
    assert cluster_of(engine, "alta", "2") == work
    with engine.begin() as conn:
        changes = Clusterer(conn).remove([("alta", "2")], "deleted at the source")
    assert changes.removed == {work}


def _edition(record, isbns, year):
    """The same title and author with other ISBNs and another year in 008."""
    rec = copy.deepcopy(record)
    rec.remove_fields("020", "015", "016")
    for isbn in isbns:
        rec.add_ordered_field(DataField("020", " ", " ", [("a", isbn)]))
    rec["008"].data = rec["008"].data[:7] + year + rec["008"].data[11:]
    for field in rec.get_fields("260", "264"):
        field.subfields = [s for s in field.subfields if s.code != "c"] + [Subfield("c", year)]
    return rec


def test_a_work_held_together_by_one_record_parts_when_that_record_leaves(engine, koha):
    frost = koha["4233980"]
    first = place(engine, "tromso", "a", _edition(frost, ["9788203193538"], "2001"))
    # b carries both ISBNs: it matches a by one and c by the other; a and c (other years) never match
    assert place(engine, "alta", "b", _edition(frost, ["9788203193538", "9788202123451"], "2001")) == first
    assert place(engine, "hammerfest", "c", _edition(frost, ["9788202123451"], "2005")) == first
    with engine.begin() as conn:
        # say the work translates another one: both parts must keep that link
        conn.execute(insert(clusters).values(cluster_id="nb-original", created_at=now(), updated_at=now()))
        conn.execute(clusters.update().where(clusters.c.cluster_id == first).values(translation_of="nb-original"))
        clusterer = Clusterer(conn)
        assert not clusterer.split_bridges({first}).moved                  # all three still hold together
        removed = clusterer.remove([("alta", "b")], "deleted at the source")
        assert removed.shrunk == {first}
        parted = clusterer.split_bridges(removed.shrunk)
    assert parted.moved == {("hammerfest", "c")}
    assert cluster_of(engine, "tromso", "a") == first                       # the named record keeps the id
    c_work = cluster_of(engine, "hammerfest", "c")
    assert c_work not in (first, None) and c_work in parted.dirty and first in parted.dirty
    with engine.connect() as conn:
        data = explain(conn, "hammerfest:c", "http://x")
    decision = data["records"][0]["decision"]
    assert decision["rule"] == "bridge-left" and "tromso:a" in decision["detail"]
    with engine.connect() as conn:
        links = dict(conn.execute(select(clusters.c.cluster_id, clusters.c.translation_of)
                                  .where(clusters.c.cluster_id.in_((first, c_work)))).all())
    assert links == {first: "nb-original", c_work: "nb-original"}
    # idempotent: nothing left to part
    with engine.begin() as conn:
        assert not Clusterer(conn).split_bridges({first, c_work}).moved


def test_a_manual_join_keeps_records_together_that_do_not_match(engine, koha):
    frost = koha["4233980"]
    first = place(engine, "tromso", "a", _edition(frost, ["9788203193538"], "2001"))
    other = place(engine, "hammerfest", "c", _edition(frost, ["9788202123451"], "2005"))
    assert other != first
    with engine.begin() as conn:
        add_join(conn, "hammerfest:c", "tromso:a", "same work, the 2005 printing")
        clusterer = Clusterer(conn)
        clusterer.apply_overrides()
        assert not clusterer.split_bridges({first}).moved
    assert cluster_of(engine, "hammerfest", "c") == first
