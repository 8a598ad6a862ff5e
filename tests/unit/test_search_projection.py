"""Search documents projected from the BIBFRAME description (index/projection.map) of real records from
the shared data, and of small constructed records (clearly labelled) for states no public record has;
holdings per library (index/holdings.py) as the index computes them."""

from __future__ import annotations

from functools import lru_cache

import pytest

from core.settings import Source
from harvest.marcdata import ControlField, MarcData
from harvest.reader import read_records
from index.fields import flatten
from index.holdings import holdings_of
from index.projection import Projection, ProjectionError, default
from index.query import Filter, Query
from index.tantivy_backend import TantivyBackend
from transform.convert import ConvertContext, Converter
from transform.examples import record_from_lines
from vocab.libraries import Directory

SOURCE = Source(id="tromso", name="Tromsø", municipality="Tromsø", kind="public", holdings="koha-952",
                isil="NO-1902000")
ALTA = Source(id="alta", name="Alta", municipality="Alta", kind="public", holdings="marc-852", isil="NO-2012000")
SCHOOL = Source(id="alta-vgs", name="Alta vgs", municipality="Alta", kind="school", holdings="marc-852",
                isil="NO-2012099")


@lru_cache(maxsize=1)
def converter() -> Converter:
    return Converter("http://example.org")


def document(record, source, record_id: str, work_id: str = "w", *, languages=None, identifier: str = "",
             directory=None, projection=None):
    """What the index stage does with a converted record: its triples, projected; holdings beside."""
    conversion = converter().convert(record, ConvertContext(source.id, record_id, holdings_profile=source.holdings))
    return (projection or default()).document(
        conversion.triples, id=f"{source.id}-{record_id}", work_id=work_id, source=source.id,
        identifier=identifier, holdings=holdings_of(record, source, directory=directory), languages=languages)


def read_file(path) -> list[MarcData]:
    """The records of a shared MARC file as the importer reads them (every one of them)."""
    found = list(read_records(path))
    assert all(f.record is not None for f in found), [f.cause for f in found if f.record is None]
    return [f.record for f in found]


def melinda_sami(shared_data):
    records = read_file(shared_data / "natlibfi-marc-record-serializers/marcxml/2RecordsFrom1")
    return next(r for r in records if r["001"].data == "000000020")


def constructed(*lines, leader="00000cam a2200000 a 4500", f008="      s2019    no a   j      1 nob d",
                title="245 10 $a Testbok : $b for statuser"):
    """An ILLUSTRATIVE record written for the test (no public record has these item states): its fields
    as `TAG IND $a value` lines after the 008 and the title."""
    record = record_from_lines([title, *lines])
    record.leader = leader
    record.fields.insert(0, ControlField("008", f008))     # as given: record_from_lines pads an 008
    return record


def item952(**subs) -> str:
    return "952 ## " + " ".join(f"${k.lstrip('_')} {v}" for k, v in subs.items())


def test_sami_record_fields(shared_data):
    record = melinda_sami(shared_data)
    doc = document(record, SOURCE, "20", identifier="20")
    assert (doc.title, doc.subtitle) == ("Eight seasons", "Gavcci jahkejuogu")
    assert "Boine, Mari" in doc.contributors
    assert "smi" in doc.languages and doc.formats == ("music",) and doc.year == 2001
    assert {"saamelaiset", "samer"} <= set(doc.subjects["yso"])   # one concept, catalogued in two languages
    assert "smi" in flatten(doc)["language"]
    assert doc.harvest_id == "tromso:20" and flatten(doc)["harvest_id"] == "tromso:20"
    assert doc.extent == "1 CD-äänilevy" and doc.publishers == ("Universal Music",)


def test_contributor_roles_from_relator_terms(shared_data):
    record = melinda_sami(shared_data)
    doc = document(record, SOURCE, "20")
    boine = next(c for c in doc.contributor_list() if c["name"] == "Boine, Mari")
    assert boine["roles"] == ["prf"]                    # $e esittäjä (Finnish) -> performer
    assert doc.contributors.count("Boine, Mari") == 1   # 100 and 700 of one agent: one entry


def test_contributor_roles_as_the_description_says():
    record = constructed("100 1# $a Gaup, Ánte,",
                         "700 1# $a Sara, Niillas, $4 ill",
                         "700 1# $a Hansen, Kari, $e oversetter",
                         "700 1# $a Somby, Ánte, $e jorgaleaddji")
    doc = document(record, SOURCE, "1")
    # a main entry of a text without a relator is its author (the mapping's default role, issue 13); a
    # term the mapping's relator list lacks stays a local role in the description, read through vocab.relators
    assert dict(zip(doc.contributors, doc.contributor_roles)) == {
        "Gaup, Ánte": "aut", "Sara, Niillas": "ill", "Hansen, Kari": "trl", "Somby, Ánte": "trl"}


def test_genre_and_audience_from_the_description():
    record = constructed("655 #7 $a Bildebøker $2 ntsf")
    doc = document(record, SOURCE, "2")
    assert "picture_books" in doc.genres and doc.audiences == ("children",)
    assert doc.genre_terms == ("Bildebøker",)
    values = flatten(doc)
    assert "picture_books" in values["genre_facet"] and "bildebøker" in values["genre"]


def test_koha_item_statuses():
    record = constructed(
        item952(a="TRB", b="TRB", c="Barn", o="S Eir"),                       # on the shelf
        item952(a="TRB", b="TRB", o="S Eir", q="2026-12-14"),                 # on loan, due
        item952(a="TRB", b="KAU", o="S Eir"),                                  # travelling home
        item952(a="TRB", b="TRB", o="S Eir", _7="1"),                          # not for loan
        item952(a="TRB", b="TRB", o="S Eir", _1="1"),                          # lost
        item952(a="TRB", b="TRB", o="S Eir", _0="1"))                          # withdrawn
    (holding,) = holdings_of(record, SOURCE)
    assert holding.library == "tromso" and holding.isil == "NO-1902000"
    assert [c.status for c in holding.copies] == ["available", "on_loan", "in_transit", "reference", "missing",
                                                  "unavailable"]
    assert holding.copies[1].due_date == "2026-12-14"
    assert (holding.items, holding.available, holding.status, holding.call_number, holding.location) == (
        6, 1, "available", "S Eir", "Barn")
    on_loan = holdings_of(constructed(item952(a="TRB", b="TRB", q="20261214"), item952(a="TRB", b="TRB", q="2026-11-02")),
                          SOURCE)[0]
    assert (on_loan.status, on_loan.due_date, on_loan.available) == ("on_loan", "2026-11-02", 0)


def test_852_items_per_library_by_isil():
    record = constructed(
        "852 ## $a NO-2012000 $b Alta bibliotek $h 839.8 $8 1",
        "876 ## $a x1 $j on loan $n 2026-12-01 $8 1.1",
        "852 ## $a NO-2012099 $h 839.8 Gau $8 2",
        "876 ## $a x2 $j available $8 2.1",
        "852 ## $a NO-9999999 $8 3")
    directory = Directory((ALTA, SCHOOL))
    holdings = {h.library: h for h in holdings_of(record, ALTA, directory=directory)}
    assert set(holdings) == {"alta", "alta-vgs", "NO-9999999"}
    assert (holdings["alta"].status, holdings["alta"].due_date, holdings["alta"].call_number) == (
        "on_loan", "2026-12-01", "839.8")
    assert (holdings["alta-vgs"].kind, holdings["alta-vgs"].available, holdings["alta-vgs"].status) == (
        "school", 1, "available")
    unknown = holdings["NO-9999999"]         # an ISIL nobody knows: the code, never the source's, no facet value
    assert (unknown.status, unknown.name, unknown.region, unknown.known) == ("unknown", "NO-9999999", False, False)
    doc = document(record, ALTA, "1", directory=directory)
    values = flatten(doc)
    assert values["available_at"] == ["alta-vgs"] and set(values["library_kind"]) == {"public", "school"}
    assert set(values["library"]) == {"alta", "alta-vgs"}
    assert doc.work_libraries == 2


def test_a_record_without_items_is_one_holding_of_its_source():
    (holding,) = holdings_of(constructed(), ALTA)
    assert (holding.library, holding.status, holding.available) == ("alta", "unknown", 0)


def test_sami_record_is_found_by_its_sami_words(shared_data, tmp_path):
    record = melinda_sami(shared_data)
    doc = document(record, SOURCE, "20")
    backend = TantivyBackend(tmp_path / "idx", writer_heap=50_000_000, writer_threads=1)
    backend.add([doc])
    backend.commit()
    for text in ("gavcci jahkejuogu", "guovssahasaid", "boine", "eight seasons"):
        assert [h.id for h in backend.search(Query(text=text)).hits] == ["tromso-20"], text
    assert backend.search(Query(filters=(Filter("language", ("smi",)),))).total == 1
    backend.close()


def test_koha_items_give_holdings_and_availability(shared_data):
    records = read_file(shared_data / "koha-misc4dev/koha_sample_biblios_with_952_items.marcxml")
    docs = [document(r, SOURCE, str(n)) for n, r in enumerate(records)]
    assert all(d.holdings and d.holdings[0].library == "tromso" for d in docs)
    assert sum(1 for d in docs if d.holdings[0].available) > 100
    assert all(d.holdings[0].available <= d.holdings[0].items == len(d.holdings[0].copies) for d in docs
               if d.holdings[0].copies)
    assert {"book", "music", "video"} <= {f for d in docs for f in d.formats}


def test_norwegian_language_codes_from_041(shared_data):
    record = read_file(shared_data / "traject/iso639-3_lang.marc")[0]
    doc = document(record, SOURCE, "1")
    assert {"nob", "nor", "eng"} <= set(doc.languages) and doc.languages_detected == ()


def test_detected_language_feeds_the_facet_marked_as_detected():
    from transform.languages_store import EffectiveLanguages
    record = constructed(f008="      s2019    no a   j      1 und d")
    plain = document(record, SOURCE, "3")
    assert plain.languages == () and plain.languages_detected == ()
    detected = EffectiveLanguages(codes=("sme",), is_detected=True, detected_code="sme", confidence=0.9)
    doc = document(record, SOURCE, "3", languages=detected)
    assert doc.languages == ("sme",) and doc.languages_detected == ("sme",)
    assert set(flatten(doc)["language"]) == {"sme", "smi"}
    kept = EffectiveLanguages(codes=("nob",), is_detected=False)
    assert document(record, SOURCE, "3", languages=kept).languages_detected == ()


# -- one reading: what the mapping tables say is what the index holds ---------------------------------

def test_punctuation_is_stripped_once_by_the_mapping():
    """ISBD punctuation goes in the mapping's `clean` step, the same for the linked data and the index:
    an initial keeps its period, a cataloguer's brackets go."""
    record = constructed("100 1# $a Lewis, C. S.", "700 1# $a Hamsun, Knut, $d 1859-1952.",
                         title="245 10 $a [Sult] : $b roman / $c Knut Hamsun.")
    doc = document(record, SOURCE, "p")
    assert doc.contributors == ("Lewis, C. S.", "Hamsun, Knut, 1859-1952")
    assert (doc.title, doc.subtitle, doc.statement_of_responsibility) == ("Sult", "roman", "Knut Hamsun")


def test_title_parts_and_uniform_title():
    record = constructed("240 10 $a Symphonies, $n no. 5.", "246 31 $a Ringenes herre : $b to tårn",
                         title="245 00 $a Lord of the rings. $n Part 2, $p The two towers.")
    doc = document(record, SOURCE, "t")
    assert doc.title == "Lord of the rings. Part 2, The two towers"
    assert doc.uniform_title == "Symphonies, no. 5"
    assert doc.title_variants == ("Ringenes herre : to tårn",)


def test_isbn_as_catalogued_and_found_in_either_form(tmp_path):
    record = constructed("020 ## $a 82-00-42442-1 (h.)",
                         "020 ## $z 9780000000001")
    doc = document(record, SOURCE, "i")
    assert doc.isbns == ("82-00-42442-1",)                   # the cancelled $z is not the book's ISBN
    backend = TantivyBackend(tmp_path / "idx", writer_heap=50_000_000, writer_threads=1)
    backend.add([doc])
    backend.commit()
    for typed in ("8200424421", "978-82-00-42442-0"):
        assert [h.id for h in backend.search(Query(text=typed)).hits] == [doc.id], typed
    backend.close()


def test_kven_before_its_stand_in_and_the_original_language():
    record = constructed("041 17 $a fkv $h nob $2 iso639-3",
                         f008="000000s2019    no            000 1 fin d")
    doc = document(record, SOURCE, "k")
    assert doc.languages == ("fkv", "fin", "nob")


@pytest.mark.parametrize("leader, fields, expected", [
    ("00000cim a2200000 a 4500", (), "audiobook"),
    ("00000cjm a2200000 a 4500", (), "music"),
    ("00000cas a2200000 a 4500", (), "journal"),
    ("00000cam a2200000 a 4500", ("007 cr |||||||||||",), "ebook"),
    ("00000cam a2200000 a 4500", ("338 ## $a online resource",), "ebook"),
    ("00000cgm a2200000 a 4500", (), "video"),
    ("00000cam a2200000 a 4500", (), "book")])
def test_format_from_the_types_of_work_and_instance(leader, fields, expected):
    assert document(constructed(*fields, leader=leader), SOURCE, "f").formats == (expected,)


def test_the_projection_does_not_depend_on_the_order_of_triples(shared_data):
    record = melinda_sami(shared_data)
    triples = converter().convert(record, ConvertContext("tromso", "20")).triples
    one = default().document(triples, id="tromso-20", work_id="w", source="tromso")
    other = default().document(list(reversed(triples)), id="tromso-20", work_id="w", source="tromso")
    assert one == other and one.contributors and one.subjects


def test_adding_one_line_makes_a_property_searchable(tmp_path):
    """The edition statement (250, description.map) is in the description; one line of projection.map
    puts it in the notes, and search finds it."""
    table = tmp_path / "projection.map"
    table.write_text(default_table() + "notes  instance  bf:editionStatement\n", encoding="utf-8")
    record = constructed("250 ## $a Jubileumsutgave.")
    assert "Jubileumsutgave" not in document(record, SOURCE, "e").notes
    doc = document(record, SOURCE, "e", projection=Projection.load(table))
    assert doc.notes == "Jubileumsutgave"
    backend = TantivyBackend(tmp_path / "idx", writer_heap=50_000_000, writer_threads=1)
    backend.add([doc])
    backend.commit()
    assert [h.id for h in backend.search(Query(text="jubileumsutgave")).hits] == [doc.id]
    backend.close()


def default_table() -> str:
    from index.projection import PROJECTION_MAP
    return PROJECTION_MAP.read_text(encoding="utf-8")


@pytest.mark.parametrize("line, message", [
    ("titel instance bf:title | title", "'titel' is not a document field"),
    ("holdings instance bf:hasItem", "given by the index stage"),
    ("notes manifestation bf:note", "FROM must be one of instance, work"),
    ("notes instance bf:nte/rdfs:label", "'bf:nte' is not a term"),
    ("notes instance bf:Note", "bf:Note is a class"),
    ("notes instance bf:note[bf:note]", "bf:note is a property"),
    ("notes instance bf:note | shout", "unknown step 'shout'"),
    ("notes instance bf:note | otherwise", "needs an argument"),
    ("notes instance", "expected `FIELD FROM PATH"),
])
def test_a_wrong_projection_table_fails_at_load_naming_file_and_line(tmp_path, line, message):
    table = tmp_path / "projection.map"
    table.write_text("# a comment\n\n" + line + "\n", encoding="utf-8")
    with pytest.raises(ProjectionError) as error:
        Projection.load(table)
    assert f"{table}:3: " in str(error.value) and message in str(error.value)


def test_the_packed_description_reads_as_the_triples(shared_data):
    """What the transform stage keeps in SQL (transform.descriptions) projects to the same document as
    the triples of the record's graph."""
    from index.projection import Description
    from transform import descriptions
    record = melinda_sami(shared_data)
    triples = converter().convert(record, ConvertContext("tromso", "20")).triples
    packed = descriptions.pack(triples)
    from_graph = default().document(triples, id="tromso-20", work_id="w", source="tromso")
    from_sql = default().document(Description.from_packed(packed), id="tromso-20", work_id="w", source="tromso")
    assert from_graph == from_sql and len(packed) < sum(len(str(t)) for t in triples) / 4


def test_every_projection_step_says_what_it_reads():
    from index.projection_steps import STEPS
    undocumented = [name for name, (fn, _arg) in STEPS.items() if not (fn.__doc__ or "").strip()]
    assert undocumented == []


def test_contributor_ids_name_the_agent_pages():
    """Each contributor carries its agent's id, so a byline links to the person's page."""
    record = constructed("100 1# $a Gaup, Ánte,",
                         "700 1# $a Sara, Niillas, $4 ill")
    doc = document(record, SOURCE, "1")
    assert len(doc.contributor_ids) == len(doc.contributors) == 2
    assert all(i.startswith("person/") for i in doc.contributor_ids)
    assert [c["id"] for c in doc.contributor_list()] == list(doc.contributor_ids)
    assert doc.contributor_ids[0] != doc.contributor_ids[1]


def test_a_cover_the_record_links_is_projected():
    record = constructed("856 42 $3 Omslagsbilde $u https://covers.example.org/Big/1.jpg",
                         "856 40 $u https://urn.nb.no/URN:NBN:no-nb_digibok_1")
    doc = document(record, SOURCE, "1")
    assert doc.covers == ("https://covers.example.org/Big/1.jpg",)
