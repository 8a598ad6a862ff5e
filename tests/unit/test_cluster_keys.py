"""Cluster keys and merge rules on real records (Koha sample catalogue), no database."""

import copy

import pytest
from lxml import etree

from harvest.marcdata import DataField, Subfield, from_stored
from harvest.marcxml import find_records
from transform.cluster_keys import isbn13, ismn13, keys_for, normalise
from transform.cluster_rules import compare, load_ignore_list, ratio


@pytest.fixture(scope="module")
def koha(shared_data):
    root = etree.parse(str(shared_data / "koha-misc4dev" / "koha_sample_biblios.marcxml")).getroot()
    return {r["001"].data: r for r in (from_stored(el) for el in find_records(root)) if r.get("001")}


def test_isbn_normalised_to_13_digits_and_check_digits_validated():
    assert isbn13("0791432297 (alk. paper)") == "9780791432297"
    assert isbn13("014005202x") == "9780140052022"           # lower-case X check digit
    assert isbn13("978-0-09-945904-0 (pbk.)") == "9780099459040"
    assert isbn13("0582343682(pbk.) :") == "9780582343689"
    assert isbn13("1234567890") is None                      # wrong check digit: not a key
    assert isbn13("9780099459041") is None
    assert ismn13("M-2306-7118-7") == "9790230671187"


def test_title_normalisation_keeps_nordic_and_sami_letters():
    assert normalise("Čáhppes ÐUOLJI: Ålesund, Æsop's öl!") == "čáhppes đuolji ålesund æsop s öl"
    assert normalise("Crème brûlée") == "creme brulee"


def test_keys_of_a_real_translation(koha):
    keys = keys_for(koha["4233980"])                         # Mankell, Before the frost
    assert keys.isbns == ("9780099459040",)
    assert keys.title_key == "before the frost" and keys.surname == "mankell"
    assert (keys.year, keys.pages, keys.language) == ("2005", 470, "eng")
    assert keys.translation and keys.original_language == "swe" and keys.original_title_key == "innan frosten"
    assert "ta:beforethefrost|mankell" in keys.index_keys()
    assert "tr:ts:innanfrosten|mankell" in keys.index_keys()


def test_leading_article_dropped_by_second_indicator(koha):
    assert keys_for(koha["13949097"]).title_key == "idiot"   # 245 14 "The idiot"


def test_same_record_in_two_libraries_is_accepted_on_isbn(koha):
    a = keys_for(koha["4233980"])
    decision = compare(a, a)
    assert decision.accept and decision.rule == "isbn"


def test_different_editions_rejected_by_year(koha):
    old, new = keys_for(koha["13905227"]), keys_for(koha["4971930"])   # Stevens 2005 vs 2013
    decision = compare(old, new)
    assert not decision.accept and decision.rule == "year"


def test_ignored_isbn_is_not_a_merge_key(koha):
    a, b = copy.deepcopy(koha["13905227"]), copy.deepcopy(koha["4971930"])
    for rec in (a, b):
        rec.remove_fields("020")
        rec.add_ordered_field(DataField("020", " ", " ", [("a", "0000000000")]))
    ka, kb = keys_for(a), keys_for(b)
    assert compare(ka, kb).rule == "isbn"                      # without the list they would merge
    decision = compare(ka, kb, ignored=load_ignore_list())
    assert not decision.accept and decision.rule == "year" and "ignore list" in decision.detail


def test_translation_never_merges_with_its_original(koha):
    translation = keys_for(koha["4233980"])
    original = keys_for(_swedish_original(koha["4233980"]))
    assert original.short_key == translation.original_key
    decision = compare(translation, original)
    assert not decision.accept and decision.rule == "translation"


def test_title_author_rules_reject_far_apart_page_counts(koha):
    a = keys_for(koha["4233980"])
    b = copy.deepcopy(koha["4233980"])
    b.remove_fields("020", "015", "016")
    b["300"].subfields = [Subfield("a", "490 p. :") if s.code == "a" else s for s in b["300"].subfields]
    decision = compare(a, keys_for(b))
    assert not decision.accept and decision.rule == "extent"
    b["300"].subfields = [Subfield("a", "472 p. :") if s.code == "a" else s for s in b["300"].subfields]
    decision = compare(a, keys_for(b))
    assert decision.accept and decision.rule == "title-author"


def test_ratio():
    assert ratio("abc", "abc") == 0 and ratio("abcd", "abce") == 0.25


def _swedish_original(translation):
    """An illustrative Swedish original derived from the real English translation (240 → 245)."""
    rec = copy.deepcopy(translation)
    rec.fields = [f for f in rec.fields if f.tag not in ("020", "015", "016", "041", "240", "245", "300")]
    rec.add_ordered_field(DataField("245", "1", "0", [("a", "Innan frosten /"), ("c", "Henning Mankell.")]))
    rec.add_ordered_field(DataField("300", " ", " ", [("a", "377 s.")]))
    data = rec["008"].data
    rec["008"].data = data[:7] + "2002" + data[11:35] + "swe" + data[38:]
    return rec
