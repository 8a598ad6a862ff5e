"""The readings table (transform/mapping/readings.table) and the enrichment table: what they read from a
record, and that a mistake in either fails at load with file and line."""

from __future__ import annotations

import pytest

from harvest.marcdata import ControlField, DataField, MarcData, from_element, from_stored, to_slim
from harvest.marcxml import parse_record
from transform import copy_cataloguing, enrichment_table, readings
from transform.examples import record_from_lines
from transform.readings import ReadingError


def record() -> MarcData:
    return record_from_lines(["008 260101s2026    no     j      000 1 und d",
                              "041 #7 $a fkv $2 iso639-3",
                              "245 10 $a Ruijan kieli /",
                              f"599 ## $a {copy_cataloguing.UPGRADE_MARK}",
                              "852 ## $a NO-1902000 $p 0301"])


def test_readings_give_values_fields_and_slices():
    r = record()
    assert readings.first(r, "title") == "Ruijan kieli"
    assert readings.values(r, "languages") == ["fkv"]                 # und in 008 carries nothing
    assert readings.values(r, "audience") == ["j"]
    assert [h.spec.text() for h in readings.hits(r, "audience")] == ["008[22]"]
    assert readings.values(r, "holding_barcodes") == ["0301"]
    assert [f.tag for f in readings.fields(r, "holdings")] == ["852"]
    assert not readings.has(r, "subjects") and not readings.has(r, "summary")
    assert copy_cataloguing.to_be_upgraded(r)


def test_every_enrichment_group_names_a_reading():
    groups = enrichment_table.groups()
    assert list(groups)[0] == "languages" and all(g.reading in readings.table() for g in groups.values())


@pytest.mark.parametrize("text, message", [
    ("title 245a | shout", "unknown step 'shout'"),
    ("title 24a", "not a field spec"),
    ("title", "a name and at least one field spec"),
    ("title 245a\ntitle 246a", "defined twice"),
    ("isbn 024(2)a", "indicators are two positions"),
    ("isbn 008(2*)[7-10]", "indicators are two positions"),
    ("copy 952 home=A", "not a column"),
    ("copy home=a 952", "field specs come before the columns"),
    ("copy 952a home=a", "names whole fields"),
    ("copy 952 home=a | trim", "names whole fields"),
])
def test_a_wrong_reading_fails_with_file_and_line(text, message):
    with pytest.raises(ReadingError, match=message) as caught:
        readings.parse(text, "readings.table")
    assert "readings.table:" in str(caught.value)


def test_a_wrong_group_fails_with_file_and_line():
    with pytest.raises(ReadingError, match="enrichment.table:1: no reading named 'nowhere'"):
        enrichment_table.parse("subjects nowhere 3 0", "enrichment.table")
    with pytest.raises(ReadingError, match="GROUP READING WEIGHT BONUS"):
        enrichment_table.parse("subjects subjects three 0", "enrichment.table")


def test_indicator_patterns_choose_the_fields():
    table = readings.parse("ismn 024(2*)a\nean 024(3*)a\nany 024a\nnot_parallel 246(*[^19])a\nblank 016(_*)a\n")
    r = record_from_lines(["024 3# $a 7020000000000", "024 2# $a M230671187", "246 11 $a Parallel",
                           "246 13 $a Other", "016 ## $a L1", "016 7# $a L2"])
    original = dict(readings.table())
    try:
        readings._READINGS.clear(), readings._COMPILED.clear(), readings._PLANS.clear()
        readings._READINGS.update(table)
        assert readings.values(r, "ismn") == ["M230671187"]
        assert readings.values(r, "ean") == ["7020000000000"]
        assert readings.values(r, "any") == ["7020000000000", "M230671187"]
        assert readings.values(r, "not_parallel") == ["Other"]
        assert readings.values(r, "blank") == ["L1"]
        assert [readings.matches(f, "ismn") for f in r.get_fields("024")] == [False, True]
        assert [h.spec.text() for h in readings.hits(r, "ismn")] == ["024(2*)a"]
    finally:
        readings._READINGS.clear(), readings._COMPILED.clear(), readings._PLANS.clear()
        readings._READINGS.update(original)


def test_rows_keep_a_fields_subfields_together_in_the_records_order():
    r = record_from_lines(["016 7# $a 123 $2 NoOU", "015 ## $a n1 $a n2", "245 14 $a The idiot $b a novel $a Again"])
    rows = readings.rows(r, "cluster.nbn")
    assert [(row.all("agency"), row.all("number")) for row in rows] == [(["NoOU"], ["123"]), ([], ["n1", "n2"])]
    title = readings.rows(r, "cluster.title")[0]
    assert title.all("parts") == ["idiot", "a novel", "Again"]          # 245 second indicator 4: "The " skipped
    assert title.all("proper") == ["idiot", "Again"] and title.one("missing") == ""
    assert title.items[:2] == [("parts", "idiot"), ("proper", "idiot")]


def test_readings_read_a_stored_record_as_the_importer_read_it():
    """The importer's reader (from_element, lenient, repairing) and the stages' reader of the stored text
    (from_stored) give records the readings answer alike, and a View answers as its record does."""
    built = MarcData("00000cam a2200000 a 4500", [
        ControlField("001", " 42 "), ControlField("008", "260101s2026    no            000 1 sme d"),
        DataField("041", "1", " ", [("a", "sme"), ("h", "nob")]),
        DataField("852", " ", " ", [("8", "1"), ("a", "NO-1902000")]),
        DataField("876", " ", " ", [("8", "1"), ("p", "0301"), ("j", "Utlånt")])])
    stored = to_slim(built)
    imported = from_element(parse_record(stored))
    assert not imported.problems
    for data in (built, imported, from_stored(stored)):
        assert readings.first(data, "record.id") == "42" and readings.first(data, "record.type") == "a"
        assert readings.values(data, "languages.fixed") == ["sme"]
        assert [row.one("barcode") for row in readings.rows(data, "holdings.unit")] == ["0301"]
        assert readings.present(data, "cluster.translated") and readings.present(data, "holdings.location")
        view = readings.view(data)
        assert readings.first(view, "record.id") == "42"
        assert readings.rows(view, "cluster.languages")[0].all("original") == ["nob"]


def test_a_column_reading_lays_out_what_it_reads_back():
    tag, codes = readings.layout("holdings.unit")
    assert (tag, codes["barcode"], codes["link"], codes["status"]) == ("876", "p", "8", "j")
