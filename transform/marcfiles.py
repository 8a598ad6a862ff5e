"""MARC files as `grenselos convert` sees them: the records `harvest.reader` reads (the reader
`grenselos import` uses too), each as the MarcData the mapping tables read.

A record the reader could not read, or refused (UNIMARC, a character set that is only a guess), has no
record and its cause in `error`; the caller reports it (file, position, 001, cause) and goes on. A
record read with repairs carries them in `warnings`, the same sentences the importer stores in `error`.
"""

from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

from harvest.marcdata import HOLDINGS_TYPES, MarcData, as_unicode
from harvest.reader import FileRecord, read_records
from transform import readings


@dataclass
class ReadRecord:
    """A view of one `harvest.reader.FileRecord` with its record as the mapping reads it."""
    path: Path
    position: int                  # 1-based, in file order
    record: MarcData | None
    error: str | None = None
    warnings: list[str] = dc_field(default_factory=list)
    identifier: str | None = None  # 001 of a record that could not be read, when it can be found

    @classmethod
    def of(cls, path: Path, item: FileRecord) -> ReadRecord:
        if item.record is None:
            prefix = f"(001 {item.identifier}) " if item.identifier else ""
            return cls(path, item.number, None, prefix + (item.cause or ""), identifier=item.identifier)
        return cls(path, item.number, as_unicode(item.record), None, list(item.record.problems))

    @property
    def control_number(self) -> str:
        return readings.first(self.record, "record.id") if self.record is not None else ""

    @property
    def is_holdings(self) -> bool:
        return self.record is not None and self.record.leader[6:7] in HOLDINGS_TYPES

    def where(self) -> str:
        return f"{self.path}: record {self.position}" + (f" (001 {self.control_number})"
                                                         if self.control_number else "")

    def record_id(self) -> str:
        """A URI-safe id: the 001 if there is one, else the file name and position."""
        raw = self.control_number or f"{self.path.stem}-{self.position}"
        return quote(raw.replace(" ", "_"), safe="-._~")


def read_file(path: str | Path, encoding: str | None = None) -> Iterator[ReadRecord]:
    path = Path(path)
    for item in read_records(path, encoding):
        yield ReadRecord.of(path, item)


def group_holdings(items: list[ReadRecord]) -> tuple[list[ReadRecord], dict[str, list[MarcData]]]:
    """Split bibliographic records from MARC holdings records, the latter grouped by their 004."""
    bibs, holdings = [], {}
    for item in items:
        if item.record is not None and item.is_holdings:
            holdings.setdefault(readings.first(item.record, "record.parent"), []).append(item.record)
        else:
            bibs.append(item)
    return bibs, holdings
