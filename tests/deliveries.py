"""Synthetic shelf-ready delivery files in the shape a vendor sends: MARC 21 ISO 2709, one bibliographic
record per title, each copy as an 852 with the owning library's ISIL ($a), shelving location ($c), call
number ($h) and barcode ($p), or as a Koha-style 952 ($a branch, $o call number, $p barcode).

The titles and numbers are invented; the ISBNs have valid check digits so the clustering reads them. A
record is built as `harvest.marcdata.MarcData`, the one model the project reads; pymarc only writes the
ISO 2709 file, as a vendor's system would."""

from __future__ import annotations

from pathlib import Path

from pymarc import Field, Indicators, Record, Subfield

from harvest.marcdata import ControlField, DataField, MarcData


def isbn13(first12: str) -> str:
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


def book(control: str, isbn: str, title: str, author: str, copies=(), org: str = "BS", year: str = "2026",
         tag: str = "852", isil: str = "NO-1902000", language: str = "nob") -> MarcData:
    """One vendor record; `copies` are (barcode, shelf) pairs, `language` the 008's code."""
    record = MarcData("     nam  22        4500", [
        ControlField("001", control), ControlField("003", org),
        ControlField("008", f"260101s{year}    no            000 1 {language} d")])
    if isbn:
        record.fields.append(DataField("020", " ", " ", [("a", isbn)]))
    record.fields += [DataField("100", "1", " ", [("a", author)]), DataField("245", "1", "0", [("a", title)]),
                      DataField("264", " ", "1", [("b", "Forlaget"), ("c", year)])]
    for barcode, shelf in copies:
        if tag == "952":
            record.fields.append(DataField("952", " ", " ", [("a", isil), ("b", isil), ("o", shelf), ("p", barcode)]))
        else:
            record.fields.append(DataField("852", " ", " ", [("a", isil), ("c", "Voksen"), ("h", shelf),
                                                              ("p", barcode)]))
    return record


def write(path: Path, records, garbage: bool = False) -> Path:
    """Write records as ISO 2709; `garbage` appends a piece that is not a record (a damaged transfer)."""
    with open(path, "wb") as fh:
        for record in records:
            fh.write(_pymarc(record).as_marc())
        if garbage:
            fh.write(b"XXXXX garbage, not a record at all\x1d")
    return path


def _pymarc(record: MarcData) -> Record:
    out = Record(leader=record.leader, force_utf8=True)
    for f in record.fields:
        out.add_field(Field(tag=f.tag, data=f.data) if isinstance(f, ControlField) else
                      Field(tag=f.tag, indicators=Indicators(f.ind1, f.ind2),
                            subfields=[Subfield(code, value) for code, value in f.subfields]))
    return out
