"""Search documents built from MARC records (index/from_marc.py): real records from the shared data,
and small constructed records (clearly labelled) for item statuses no public record carries."""

from __future__ import annotations

import pymarc
from pymarc import Field, Record, Subfield

from core.settings import Source
from index.fields import flatten
from index.from_marc import document_from_marc, fallback_work_id, holdings_of
from index.query import Filter, Query
from index.tantivy_backend import TantivyBackend
from vocab.libraries import Directory

SOURCE = Source(id="tromso", name="Tromsø", municipality="Tromsø", kind="public", holdings="koha-952",
                isil="NO-1902000")
ALTA = Source(id="alta", name="Alta", municipality="Alta", kind="public", holdings="marc-852", isil="NO-2012000")
SCHOOL = Source(id="alta-vgs", name="Alta vgs", municipality="Alta", kind="school", holdings="marc-852",
                isil="NO-2012099")


def melinda_sami(shared_data):
    records = pymarc.parse_xml_to_array(str(shared_data / "natlibfi-marc-record-serializers/marcxml/2RecordsFrom1"))
    return next(r for r in records if r["001"].data == "000000020")


def constructed(*fields, leader="00000cam a2200000 a 4500", f008="      s2019    no a   j      1 nob d"):
    """An ILLUSTRATIVE record written for the test (no public record has these item states)."""
    record = Record(leader=leader)
    record.add_field(pymarc.Field(tag="008", data=f008))
    record.add_field(Field("245", ["1", "0"], [Subfield("a", "Testbok :"), Subfield("b", "for statuser")]))
    for f in fields:
        record.add_field(f)
    return record


def item952(**subs) -> Field:
    return Field("952", [" ", " "], [Subfield(k.lstrip("_"), v) for k, v in subs.items()])


def test_sami_record_fields(shared_data):
    record = melinda_sami(shared_data)
    doc = document_from_marc(record, SOURCE, "melinda-20", fallback_work_id(record), identifier="20")
    assert (doc.title, doc.subtitle) == ("Eight seasons", "Gavcci jahkejuogu")
    assert "Boine, Mari" in doc.contributors
    assert "smi" in doc.languages and doc.formats == ("music",) and doc.year == 2001
    assert "saamelaiset" in doc.subjects["yso/fin"]
    assert "smi" in flatten(doc)["language"]
    assert doc.harvest_id == "tromso:20" and flatten(doc)["harvest_id"] == "tromso:20"


def test_contributor_roles_from_relator_terms(shared_data):
    record = melinda_sami(shared_data)
    doc = document_from_marc(record, SOURCE, "melinda-20", fallback_work_id(record))
    boine = next(c for c in doc.contributor_list() if c["name"] == "Boine, Mari")
    assert boine["roles"] == ["prf"]                    # $e esittäjä (Finnish) -> performer
    assert doc.contributors.count("Boine, Mari") == 1   # 100 and 700 of one agent: one entry


def test_contributor_roles_from_code_and_default_author():
    record = constructed(Field("100", ["1", " "], [Subfield("a", "Gaup, Ánte,")]),
                         Field("700", ["1", " "], [Subfield("a", "Sara, Niillas,"), Subfield("4", "ill")]),
                         Field("700", ["1", " "], [Subfield("a", "Hansen, Kari,"), Subfield("e", "oversetter")]))
    doc = document_from_marc(record, SOURCE, "t-1", "w1")
    assert dict(zip(doc.contributors, doc.contributor_roles)) == {"Gaup, Ánte": "aut", "Sara, Niillas": "ill",
                                                                  "Hansen, Kari": "trl"}


def test_genre_and_audience_from_vocab_classify():
    record = constructed(Field("655", [" ", "7"], [Subfield("a", "Bildebøker"), Subfield("2", "ntsf")]))
    doc = document_from_marc(record, SOURCE, "t-2", "w2")
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
        Field("852", [" ", " "], [Subfield("a", "NO-2012000"), Subfield("b", "Alta bibliotek"),
                                  Subfield("h", "839.8"), Subfield("8", "1")]),
        Field("876", [" ", " "], [Subfield("a", "x1"), Subfield("j", "on loan"), Subfield("n", "2026-12-01"),
                                  Subfield("8", "1.1")]),
        Field("852", [" ", " "], [Subfield("a", "NO-2012099"), Subfield("h", "839.8 Gau"), Subfield("8", "2")]),
        Field("876", [" ", " "], [Subfield("a", "x2"), Subfield("j", "available"), Subfield("8", "2.1")]),
        Field("852", [" ", " "], [Subfield("a", "NO-9999999"), Subfield("8", "3")]))
    directory = Directory((ALTA, SCHOOL))
    holdings = {h.library: h for h in holdings_of(record, ALTA, directory=directory)}
    assert set(holdings) == {"alta", "alta-vgs", "NO-9999999"}
    assert (holdings["alta"].status, holdings["alta"].due_date, holdings["alta"].call_number) == (
        "on_loan", "2026-12-01", "839.8")
    assert (holdings["alta-vgs"].kind, holdings["alta-vgs"].available, holdings["alta-vgs"].status) == (
        "school", 1, "available")
    unknown = holdings["NO-9999999"]         # an ISIL nobody knows: the code, never the source's, no facet value
    assert (unknown.status, unknown.name, unknown.region, unknown.known) == ("unknown", "NO-9999999", False, False)
    doc = document_from_marc(record, ALTA, "alta-1", "w", directory=directory)
    values = flatten(doc)
    assert values["available_at"] == ["alta-vgs"] and set(values["library_kind"]) == {"public", "school"}
    assert set(values["library"]) == {"alta", "alta-vgs"}
    assert doc.work_libraries == 2


def test_a_record_without_items_is_one_holding_of_its_source():
    (holding,) = holdings_of(constructed(), ALTA)
    assert (holding.library, holding.status, holding.available) == ("alta", "unknown", 0)


def test_sami_record_is_found_by_its_sami_words(shared_data, tmp_path):
    record = melinda_sami(shared_data)
    doc = document_from_marc(record, SOURCE, "melinda-20", fallback_work_id(record))
    backend = TantivyBackend(tmp_path / "idx", writer_heap=50_000_000, writer_threads=1)
    backend.add([doc])
    backend.commit()
    for text in ("gavcci jahkejuogu", "guovssahasaid", "boine", "eight seasons"):
        assert [h.id for h in backend.search(Query(text=text)).hits] == ["melinda-20"], text
    assert backend.search(Query(filters=(Filter("language", ("smi",)),))).total == 1
    backend.close()


def test_koha_items_give_holdings_and_availability(shared_data):
    records = pymarc.parse_xml_to_array(
        str(shared_data / "koha-misc4dev/koha_sample_biblios_with_952_items.marcxml"))
    docs = [document_from_marc(r, SOURCE, f"tromso-{n}", fallback_work_id(r)) for n, r in enumerate(records)]
    assert all(d.holdings and d.holdings[0].library == "tromso" for d in docs)
    assert sum(1 for d in docs if d.holdings[0].available) > 100
    assert all(d.holdings[0].available <= d.holdings[0].items == len(d.holdings[0].copies) for d in docs
               if d.holdings[0].copies)
    assert {"book", "music", "video"} <= {f for d in docs for f in d.formats}


def test_norwegian_language_codes_from_041(shared_data):
    with open(shared_data / "traject/iso639-3_lang.marc", "rb") as f:
        record = next(iter(pymarc.MARCReader(f, to_unicode=True, force_utf8=True)))
    doc = document_from_marc(record, SOURCE, "t-1", fallback_work_id(record))
    assert {"nob", "nor", "eng"} <= set(doc.languages) and doc.languages_detected == ()


def test_detected_language_feeds_the_facet_marked_as_detected():
    from transform.languages_store import EffectiveLanguages
    record = constructed(f008="      s2019    no a   j      1 und d")
    plain = document_from_marc(record, SOURCE, "t-3", "w3")
    assert plain.languages == () and plain.languages_detected == ()
    detected = EffectiveLanguages(codes=("sme",), is_detected=True, detected_code="sme", confidence=0.9)
    doc = document_from_marc(record, SOURCE, "t-3", "w3", languages=detected)
    assert doc.languages == ("sme",) and doc.languages_detected == ("sme",)
    assert set(flatten(doc)["language"]) == {"sme", "smi"}
    kept = EffectiveLanguages(codes=("nob",), is_detected=False)
    assert document_from_marc(record, SOURCE, "t-3", "w3", languages=kept).languages_detected == ()
