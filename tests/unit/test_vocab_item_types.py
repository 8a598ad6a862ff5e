"""The item-type vocabulary: one home for codes, labels, loanability and the source-code / leader mapping."""

from __future__ import annotations

import pytest

from transform.examples import record_from_lines
from transform.holdings import read_items
from vocab import item_types


def test_every_type_is_labelled_in_four_languages_and_reference_is_not_for_loan():
    for code in item_types.codes():
        assert {"en", "nb", "nn", "se"} <= set(item_types.get(code).labels), code
    assert not item_types.get("reference").loanable and item_types.get("book").loanable
    assert item_types.label("audiobook", "nb") == "Lydbok" and item_types.label("game", "nn") == "Brettspel"
    assert item_types.get("no-such-type").code == "book"


@pytest.mark.parametrize("code, expected", [("BK", "book"), (" lydbok ", "audiobook"), ("DVD", "film"),
                                            ("Tidsskrift", "magazine"), ("BRETTSPILL", "game"),
                                            ("LESEBRETT", "ebook-reader"), ("REF", "reference"),
                                            ("ebook-reader", "ebook-reader"), ("XYZ", None), ("", None)])
def test_source_codes_map_onto_the_vocabulary(code, expected):
    assert item_types.from_code(code) == expected


@pytest.mark.parametrize("leader, expected", [("00000nam a2200000 a 4500", "book"),
                                              ("00000nas a2200000 a 4500", "magazine"),
                                              ("00000nim a2200000 a 4500", "audiobook"),
                                              ("00000njm a2200000 a 4500", "music"),
                                              ("00000ngm a2200000 a 4500", "film"),
                                              ("00000nrm a2200000 a 4500", "game"), ("", "book")])
def test_the_leader_decides_when_a_copy_names_no_type(leader, expected):
    assert item_types.from_leader(leader) == expected


def test_holdings_profiles_read_the_type_from_952_y_or_the_leader():
    koha = record_from_lines(["LDR 00000nim a2200000 a 4500", "952 ## $a tromso $p 1001 $y DVD",
                              "952 ## $a tromso $p 1002 $y ODD", "952 ## $a tromso $p 1003"])
    items = read_items(koha, "koha-952")
    assert [(i.item_type, i.item_type_code) for i in items] == [("film", "DVD"), ("audiobook", "ODD"),
                                                                ("audiobook", "")]
    marc852 = record_from_lines(["LDR 00000nas a2200000 a 4500", "852 ## $a NO-1902000"])
    assert [i.item_type for i in read_items(marc852, "marc-852")] == ["magazine"]
