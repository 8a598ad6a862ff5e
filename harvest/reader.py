"""The one reader of MARC files, for `grenselos import` and `grenselos convert` alike.

A damaged file gives the same records, the same causes and the same refusals in both: the importer
quarantines what this reader cannot read (with its raw bytes) and stores a repaired record with its
repairs in `error`; the converter skips the former and prints the latter as warnings. Format is told
by content, not by the file name. ISO 2709 is cut by `harvest.iso2709` (one broken record costs only
itself) and each record is decoded in the character set its bytes are in (`harvest.charset_guess`):
a set that is only a guess refuses the record, naming the guess, unless `encoding` names a set. A
directory too broken for the strict reading is read by its offsets (pymarc), costing only the fields
whose tag is not a tag. UNIMARC is refused: read as MARC 21 its 100 would become a person named by
a date.
"""

from __future__ import annotations

import contextlib
import io
import mmap
import re
import warnings as warnings_mod
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from lxml import etree
from pymarc import Record

from harvest import charset_guess, iso2709, marcxml
from harvest.encodings import Charset, EncodingError
from harvest.errors import MarcError
from harvest.marcdata import MarcData, from_element, from_pymarc

RAW_LIMIT = 1 << 20          # bytes of an unreadable file kept in quarantine


@dataclass
class FileRecord:
    """One record of a file, or one piece of a file that could not be read as a record."""
    location: str                        # "file:offset" (ISO 2709) or "file:line" (MARCXML)
    number: int                          # 1-based position in the file
    record: MarcData | None = None
    cause: str | None = None             # set when unreadable or refused
    raw: bytes | None = None
    identifier: str | None = None        # 001 of an unreadable record, when it can be found
    note: str | None = None              # the stream around the record was repaired

    @property
    def control_number(self) -> str:
        if self.record is not None:
            return (self.record.control("001") or "").strip()
        return self.identifier or ""


def sniff(head: bytes) -> str | None:
    """'xml', 'iso2709' or None, from the first bytes of a file."""
    text = head.lstrip(b"\xef\xbb\xbf\x00\r\n \t")
    if text.startswith(b"<"):
        return "xml"
    if iso2709.LEADER.match(text) or b"\x1d" in head or b"\x1e" in head:
        return "iso2709"
    return None


#: Bytes of a mapped ISO 2709 file read before the pages behind the reader are released.
RELEASE_BYTES = 16 << 20


def read_records(path: str | Path, encoding: str | None = None) -> Iterator[FileRecord]:
    """Every record of a MARC file, good or bad, in file order. `encoding` names the character set of
    ISO 2709 records (instead of what their bytes and leader/09 suggest)."""
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(4096)
    kind = sniff(head)
    if kind == "xml":
        yield from _read_xml(path)
    elif kind == "iso2709":
        yield from _read_iso2709(path, encoding)
    elif head:
        with open(path, "rb") as fh:
            raw = fh.read(RAW_LIMIT)
        yield FileRecord(f"{path.name}:0", 1, cause=f"{path.name} is neither ISO 2709 nor MARCXML "
                         f"(it starts with {head[:16]!r})", raw=raw)


def _refused_if_unimarc(item: FileRecord, raw: bytes) -> FileRecord:
    record = item.record
    if record is None or not record.unimarc:
        return item
    title = record.first("200", "a")
    cause = ("UNIMARC record (title in 200" + (f" {title!r}" if title else "") + ", coded data in 100), "
             "not MARC 21; not read — convert it to MARC 21 first (e.g. with the BnF/IFLA UNIMARC→MARC 21 "
             "stylesheets)")
    return FileRecord(item.location, item.number, cause=cause, raw=raw,
                      identifier=(record.control("001") or "").strip() or None, note=item.note)


# -- MARCXML ------------------------------------------------------------------------------------

def _read_xml(path: Path) -> Iterator[FileRecord]:
    raw = path.read_bytes()
    try:
        root = etree.fromstring(raw, marcxml._PARSER)
    except etree.XMLSyntaxError as exc:
        yield from _salvage_xml(path, raw, exc)
        return
    for number, element in enumerate(marcxml.find_records(root), 1):
        yield _from_element(number, element, f"{path.name}:line {element.sourceline}")


def _salvage_xml(path: Path, raw: bytes, exc: Exception) -> Iterator[FileRecord]:
    number = 0
    for number, (element, piece, error) in enumerate(marcxml.salvage_records(raw), 1):
        line = raw[:raw.find(piece)].count(b"\n") + 1
        location = f"{path.name}:line {line}"
        if error is not None:
            found = re.search(rb'tag=["\']001["\'][^>]*>([^<]{1,128})<', piece)
            yield FileRecord(location, number, cause=f"{error.cause} (file is not well-formed XML)",
                             raw=piece, identifier=found.group(1).decode("utf-8", "replace").strip()
                             if found else None)
        else:
            yield _from_element(number, element, location)
    if number == 0:
        yield FileRecord(f"{path.name}:0", 1, cause=f"not well-formed XML and no MARC record could be cut "
                         f"out of it: {exc}", raw=raw[:RAW_LIMIT])


def _from_element(number: int, element, location: str) -> FileRecord:
    return _refused_if_unimarc(FileRecord(location, number, record=from_element(element)),
                               etree.tostring(element))


# -- ISO 2709 -----------------------------------------------------------------------------------

def _read_iso2709(path: Path, encoding: str | None) -> Iterator[FileRecord]:
    if encoding:
        Charset(encoding)                    # an unknown code page fails here, before any record
    with open(path, "rb") as fh:
        if fh.seek(0, 2) == 0:
            return
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            released = 0
            for chunk in iso2709.chunks(data):
                if chunk.offset - released >= RELEASE_BYTES and hasattr(data, "madvise"):
                    # Pages read stay in the process's memory while the file is mapped, so a large
                    # file would cost its size: let go of those behind us (the OS rereads if need be).
                    released = chunk.offset - chunk.offset % mmap.PAGESIZE
                    data.madvise(mmap.MADV_DONTNEED, 0, released)
                location = f"{path.name}:{chunk.offset}"
                raw = bytes(chunk.data)
                if chunk.cause:
                    yield FileRecord(location, chunk.number, cause=chunk.cause, raw=raw,
                                     identifier=_guess_001(raw))
                    continue
                yield _refused_if_unimarc(_read_chunk(location, chunk.number, raw, chunk.note, encoding), raw)


def _read_chunk(location: str, number: int, raw: bytes, note: str | None, encoding: str | None) -> FileRecord:
    def unreadable(cause: str) -> FileRecord:
        return FileRecord(location, number, cause=cause, raw=raw, identifier=_guess_001(raw), note=note)

    found = [note] if note else []
    record = None
    if encoding:
        charset = encoding
    else:
        g = charset_guess.guess(raw, chr(raw[9]) if len(raw) > 9 else " ")
        if not g.certain and g.encoding == "marc8" and (record := _marc8_clean(raw)) is not None:
            # Old exports mix records: leader/09 says UTF-8 on MARC-8 bytes. `--encoding` names one set
            # for the whole file, so this repair must be made per record: MARC-8 decodes every byte.
            g = charset_guess.Guess("marc8", True, f"{g.reason}; read as MARC-8, which decodes every byte")
            found.append(f"read as MARC-8: {g.reason}")
        if not g.certain:
            return unreadable(f"character set unclear: {g.reason}; not read (name it with --encoding, "
                              f"e.g. --encoding {g.encoding})")
        charset = {"utf-8-damaged": "utf-8", "marc8": "marc-8"}.get(g.encoding, g.encoding)
        if charset not in ("utf-8", "marc-8") or "although" in g.reason or "damaged" in g.reason:
            found.append(f"read as {charset_guess.NAMES.get(g.encoding, g.encoding)}: {g.reason}")
    try:
        record = record or iso2709.parse(raw, charset)
    except EncodingError as exc:
        return unreadable(str(exc))
    except MarcError as exc:
        fallback = _by_offsets(raw, charset)
        if fallback is None:
            return unreadable(exc.cause)
        record = from_pymarc(fallback, [f"{exc.cause}; read by the directory's offsets instead"])
    record.problems[:0] = found
    return FileRecord(location, number, record=record, note=note)


def _marc8_clean(raw: bytes) -> MarcData | None:
    """The record read as MARC-8 when that decoding adds no complaint to those of a reading that cannot
    fail (Latin-1); else None."""
    try:
        plain = set(iso2709.parse(raw, "latin-1").problems)
        record = iso2709.parse(raw, "marc-8")
    except MarcError:
        return None
    return None if set(record.problems) - plain else record


def _by_offsets(data: bytes, charset: str) -> Record | None:
    """pymarc reads by the directory's offsets, where the strict reading refuses a tag like '0 2'."""
    try:   # pymarc prints its complaints to stdout, where `convert` writes RDF: they are caught here
        with warnings_mod.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings_mod.simplefilter("ignore")
            if Charset(charset).name == "utf-8":
                return Record(data=data, to_unicode=True, force_utf8=True, utf8_handling="replace")
            plain = data[:9] + b" " + data[10:]
            if Charset(charset).name == "marc-8":
                return Record(data=plain, to_unicode=True, hide_utf8_warnings=True)
            return Record(data=plain, to_unicode=True, file_encoding=charset)
    except Exception:  # pymarc cannot read it either: the caller reports the strict reading's cause
        return None


def _guess_001(chunk: bytes) -> str | None:
    """The 001 of a record that could not be parsed, if its directory still points at it."""
    match = re.match(rb"\d{5}.{7}(\d{5})", chunk, re.S)
    end = chunk.find(b"\x1e", 24)
    if not match or end < 0:
        return None
    base = int(match.group(1))
    for i in range(24, end - 11, 12):
        entry = chunk[i:i + 12]
        if entry[:3] == b"001" and entry[3:].isdigit():
            start = base + int(entry[7:12])
            value = chunk[start:start + int(entry[3:7])].rstrip(b"\x1e").strip()
            text = value.decode("ascii", errors="replace")
            return text if value and text.isprintable() else None
    return None
