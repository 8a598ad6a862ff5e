"""Mikromarc's exports as the migration stores them: copies read from NORMARC 096/850/090 and from MARC 21
852 with 876 items, written back as the 852 + 876 pairs the `marc-852` holdings profile reads."""

from __future__ import annotations

from harvest.marcdata import ControlField, DataField, MarcData
from transform import mikromarc
from transform.holdings import read_items

LEADER = "00000nam a2200000 a 4500"


def test_a_marc21_export_with_item_fields_keeps_every_copy():
    record = MarcData(LEADER, [
        ControlField("001", "4"),
        DataField("852", " ", " ", [("8", "1"), ("a", "NO-1"), ("c", "s"), ("h", "839"), ("j", "x")]),
        DataField("876", " ", " ", [("8", "1"), ("p", "B1"), ("j", "Utlånt"), ("n", "2026-01-02")]),
        DataField("877", " ", " ", [("8", "1"), ("a", "A2")]),
        DataField("852", " ", " ", [("8", "2"), ("a", "NO-3")]),
        DataField("878", " ", " ", [("8", "2"), ("p", "B3")])])
    out = mikromarc.normalise(record)
    assert out.dialect == "marc21"
    assert [(c.library, c.item_id, c.status, c.due_date) for c in out.copies] == [
        ("NO-1", "B1", "on_loan", "2026-01-02"), ("NO-1", "A2", "available", ""), ("NO-3", "B3", "available", "")]
    assert [c.call_number for c in out.copies] == ["839 x", "839 x", ""]
    # What is stored reads back as the same copies under the holdings profile.
    again = read_items(out.record, "marc-852")
    assert [(c.library, c.item_id, c.call_number, c.status) for c in again] == [
        (c.library, c.item_id, c.call_number, c.status) for c in out.copies]


def test_a_normarc_export_becomes_marc21_with_its_copies():
    record = MarcData(LEADER, [
        ControlField("001", "1"), DataField("245", "1", "0", [("a", "Tittel")]),
        DataField("850", " ", " ", [("a", "tromso")]),
        DataField("096", " ", " ", [("b", "Voksen"), ("c", "839.8 Ham"), ("p", "0301"), ("s", "Utlånt")]),
        DataField("096", " ", " ", [("p", "0302")]), DataField("090", " ", " ", [("c", "839"), ("d", "HAM")]),
        DataField("503", " ", " ", [("a", "Edition history")]), DataField("687", " ", " ", [("a", "local")])])
    out = mikromarc.normalise(record)
    assert out.dialect == "normarc" and out.unmapped == ["687"]
    assert [(c.library, c.location, c.call_number, c.item_id, c.status) for c in out.copies] == [
        ("tromso", "Voksen", "839.8 Ham", "0301", "on_loan"), ("tromso", "", "839 HAM", "0302", "available")]
    tags = [f.tag for f in out.record.fields]
    assert tags == ["001", "245", "500", "852", "876", "852", "876"]
