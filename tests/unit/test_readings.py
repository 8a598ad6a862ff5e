"""The readings table (transform/mapping/readings.table) and the enrichment table: what they read from a
record, and that a mistake in either fails at load with file and line."""

from __future__ import annotations

import pytest
from pymarc import Field, Indicators, Record, Subfield

from transform import copy_cataloguing, enrichment_table, readings
from transform.readings import ReadingError


def record() -> Record:
    r = Record(force_utf8=True)
    r.add_field(Field(tag="008", data="260101s2026    no     j      000 1 und d"),
                Field(tag="041", indicators=Indicators(" ", "7"), subfields=[Subfield("a", "fkv"),
                                                                             Subfield("2", "iso639-3")]),
                Field(tag="245", indicators=Indicators("1", "0"), subfields=[Subfield("a", "Ruijan kieli /")]),
                Field(tag="599", indicators=Indicators(" ", " "), subfields=[Subfield("a", copy_cataloguing.UPGRADE_MARK)]),
                Field(tag="852", indicators=Indicators(" ", " "), subfields=[Subfield("a", "NO-1902000"),
                                                                             Subfield("p", "0301")]))
    return r


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
