"""Synthetic shelf-ready delivery files in the shape a vendor sends: MARC 21 ISO 2709, one bibliographic
record per title, each copy as an 852 with the owning library's ISIL ($a), shelving location ($c), call
number ($h) and barcode ($p), or as a Koha-style 952 ($a branch, $o call number, $p barcode).

The titles and numbers are invented; the ISBNs have valid check digits so the clustering reads them."""

from __future__ import annotations

from pathlib import Path

from pymarc import Field, Indicators, Record, Subfield


def isbn13(first12: str) -> str:
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


def book(control: str, isbn: str, title: str, author: str, copies=(), org: str = "BS", year: str = "2026",
         tag: str = "852", isil: str = "NO-1902000") -> Record:
    """One vendor record; `copies` are (barcode, shelf) pairs."""
    record = Record(force_utf8=True)
    record.leader = record.leader[:5] + "nam" + record.leader[8:]
    record.add_field(Field(tag="001", data=control), Field(tag="003", data=org),
                     Field(tag="008", data=f"260101s{year}    no            000 1 nob d"))
    if isbn:
        record.add_field(Field(tag="020", indicators=Indicators(" ", " "), subfields=[Subfield("a", isbn)]))
    record.add_field(
        Field(tag="100", indicators=Indicators("1", " "), subfields=[Subfield("a", author)]),
        Field(tag="245", indicators=Indicators("1", "0"), subfields=[Subfield("a", title)]),
        Field(tag="264", indicators=Indicators(" ", "1"), subfields=[Subfield("b", "Forlaget"),
                                                                     Subfield("c", year)]))
    for barcode, shelf in copies:
        if tag == "952":
            record.add_field(Field(tag="952", indicators=Indicators(" ", " "), subfields=[
                Subfield("a", isil), Subfield("b", isil), Subfield("o", shelf), Subfield("p", barcode)]))
        else:
            record.add_field(Field(tag="852", indicators=Indicators(" ", " "), subfields=[
                Subfield("a", isil), Subfield("c", "Voksen"), Subfield("h", shelf), Subfield("p", barcode)]))
    return record


def write(path: Path, records, garbage: bool = False) -> Path:
    """Write records as ISO 2709; `garbage` appends a piece that is not a record (a damaged transfer)."""
    with open(path, "wb") as fh:
        for record in records:
            fh.write(record.as_marc())
        if garbage:
            fh.write(b"XXXXX garbage, not a record at all\x1d")
    return path
