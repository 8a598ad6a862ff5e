"""Reading ISO 2709 (MARC transmission format) files as they really are, damaged ones included.

pymarc's reader gives up on the whole stream after one wrong record length; old exports (Mikromarc,
BIBSYS dumps converted between code pages) often have exactly that. This reader cuts the stream at
record terminators, trusts the leader's length only when it lands on one, and resynchronises on
the next leader-shaped bytes, so one broken record costs only itself. A chunk that cannot be read
is returned with its raw bytes and a cause; a chunk that can be read with repairs is returned with
the repairs listed in `MarcData.problems`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from harvest.encodings import Charset, declared_charset
from harvest.errors import MarcError
from harvest.marcdata import TAG, ControlField, DataField, MarcData, check_text, clean

RT, FT, SD = 0x1D, 0x1E, 0x1F
#: Leader-shaped bytes: a 5-digit length, 7 printable bytes, a 5-digit base address, 7 printable bytes.
#: Leader-shaped bytes: a 5-digit length, 7 bytes, a 5-digit base address, 7 bytes, none of them a
#: MARC delimiter (real leaders carry stray control bytes, so anything else is accepted here).
LEADER = re.compile(rb"\d{5}[^\x1d\x1e\x1f]{7}\d{5}[^\x1d\x1e\x1f]{7}")
#: Bytes between records that are not data: line ends, NUL filler, DOS end-of-file, empty records.
#: A well-formed UTF-8 multibyte sequence: proof that a record flagged as UTF-8 really is UTF-8.
UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
PADDING = b"\x00\r\n \t\x1a\x1d"


@dataclass
class Chunk:
    offset: int
    data: bytes
    number: int                 # 1-based position of the chunk in the file
    cause: str | None = None    # set when the bytes are not a record at all
    note: str | None = None     # the stream was repaired around this record (length, terminator)


def chunks(data: bytes) -> Iterator[Chunk]:
    """Split a file's bytes into record-sized chunks, never losing a byte that is not padding."""
    pos, end, number = 0, len(data), 0
    while pos < end:
        while pos < end and data[pos] in PADDING:
            pos += 1
        if pos >= end:
            return
        number += 1
        leader = LEADER.match(data, pos)
        terminator = data.find(bytes([RT]), pos)
        if not leader:
            stop = end if terminator < 0 else terminator + 1
            nxt = LEADER.search(data, pos + 1, stop)
            stop = nxt.start() if nxt else stop
            yield Chunk(pos, data[pos:stop], number, cause="no record leader here (expected a 5-digit "
                        f"record length, found {data[pos:pos + 5]!r}); bytes skipped up to byte {stop}")
            pos = stop
            continue
        length = int(data[pos:pos + 5])
        if length >= 24 and pos + length <= end and data[pos + length - 1] == RT:
            yield Chunk(pos, data[pos:pos + length], number)
            pos += length
            continue
        if terminator < 0:
            yield Chunk(pos, data[pos:], number, cause=f"truncated: the leader says {length} bytes, the file "
                        f"ends {end - pos} bytes later without a record terminator")
            return
        stop = terminator + 1
        following = LEADER.match(data, pos + length) if 24 <= length < stop - pos else None
        if following:
            # The terminator is missing and the next record starts where the leader said it would.
            yield Chunk(pos, data[pos:pos + length], number, note="record terminator missing")
            pos += length
            continue
        yield Chunk(pos, data[pos:stop], number,
                    note=f"leader says {length} bytes, the record terminator comes after {stop - pos}")
        pos = stop


def parse(chunk: bytes, charset: str | None = None) -> MarcData:
    """Read one record chunk. `charset` overrides leader/09 (a legacy code page such as cp866).

    Raises MarcError when the chunk cannot be read as a record at all.
    """
    if len(chunk) < 25:
        raise MarcError(f"only {len(chunk)} bytes: too short for a leader and a directory")
    raw_leader = chunk[:24]
    problems: list[str] = []
    if any(b < 0x20 or b > 0x7E for b in raw_leader):
        problems.append(f"leader bytes that are not ASCII text replaced by blanks: {raw_leader!r}")
        raw_leader = bytes(b if 0x20 <= b <= 0x7E else 0x20 for b in raw_leader)
    leader = raw_leader.decode("ascii")
    if leader[10:12] != "22" and leader[10:12] != "00":
        problems.append(f"leader/10-11 is {leader[10:12]!r}, not '22'; read as 2 indicators and 1-byte codes")
    base = int(leader[12:17]) if leader[12:17].isdigit() else -1
    entries = _directory(chunk, base)
    if entries is None and _directory(chunk, base, start=23) is not None:
        # A byte lost from the leader (seen in real damaged files): the directory starts at byte 23.
        entries = _directory(chunk, base, start=23)
        leader = leader[:20] + "4500"
        problems.append("leader is 23 bytes long, not 24; its last positions read as '4500'")
    if entries is not None:
        if chunk[base - 1] != FT:
            problems.append(f"directory does not end in a field terminator (byte {base - 1})")
    else:
        directory_end = chunk.find(bytes([FT]), 24)
        if directory_end < 0:
            raise MarcError("no field terminator after the directory")
        problems.append(f"base address in leader is {leader[12:17]!r}; the directory ends at byte "
                        f"{directory_end}")
        base = directory_end + 1
        entries = _directory(chunk, base, strict=True)
    body = chunk[base:]
    pieces = _field_bytes(entries, body, problems)
    if leader[10] == "0":
        problems.append("leader/10 says fields have no indicators: fields without subfield delimiters "
                        "are kept whole as subfield a")
    record = MarcData(leader=leader, problems=list(problems))
    decoder = Charset(charset or declared_charset(leader))
    _decode_fields(record, entries, pieces, decoder)
    if charset is None and len(record.problems) > len(problems) and not (
            decoder.name == "utf-8" and any(UTF8_MULTIBYTE.search(p) for p in pieces)):
        _try_other_charset(record, entries, pieces, problems, decoder.name)
    check_text(record)
    return record


def _directory(chunk: bytes, base: int, strict: bool = False,
               start: int = 24) -> list[tuple[str, int, int]] | None:
    """Directory entries (tag, length, start) if `base` is a plausible base address; else None.

    With `strict`, a directory that cannot be read raises MarcError with the reason instead.
    """
    def fail(cause: str):
        if strict:
            raise MarcError(cause)
        return None
    if base <= start or base > len(chunk):
        return fail(f"base address {base} is outside the record")
    directory = chunk[start:base - 1]
    if len(directory) % 12:
        return fail(f"directory is {len(directory)} bytes long, not a multiple of 12: the directory is "
                    "broken")
    entries = []
    for i in range(0, len(directory), 12):
        entry = directory[i:i + 12]
        tag = entry[:3].decode("ascii", errors="replace")
        if not entry[3:].isdigit():
            return fail(f"directory entry {i // 12 + 1} ({entry!r}) has a non-numeric length or start")
        if not TAG.match(tag):
            return fail(f"directory entry {i // 12 + 1} has tag {tag!r}, not three letters or digits")
        entries.append((tag, int(entry[3:7]), int(entry[7:12])))
    return entries


def _field_bytes(entries, body: bytes, problems: list[str]) -> list[bytes]:
    """Each field's bytes (without terminator): by the directory if it fits, else by terminators."""
    pieces = []
    for tag, length, start in entries:
        piece = body[start:start + length]
        if length < 1 or len(piece) != length or piece[-1] != FT:
            break
        pieces.append(piece[:-1])
    else:
        return pieces
    split = body.rstrip(bytes([RT])).split(bytes([FT]))
    if split and split[-1] == b"":
        split.pop()
    if len(split) != len(entries):
        raise MarcError(f"directory does not match the data: {len(entries)} directory entries but "
                        f"{len(split)} fields end in a field terminator")
    problems.append("directory lengths or starts are wrong; fields taken in order between field terminators")
    return split


def _decode_fields(record: MarcData, entries, pieces: list[bytes], decoder: Charset) -> None:
    problems = record.problems
    for (tag, _, _), piece in zip(entries, pieces):
        decoder.new_field()
        where = f"field {tag}"
        found: list[str] = []
        if tag.startswith("00") or (not tag.isdigit() and SD not in piece):
            text = decoder.decode(piece, found)
            record.fields.append(ControlField(tag, clean(text, "", found)))
        elif SD not in piece and (len(piece) > 2 or record.leader[10] == "0"):
            text = decoder.decode(piece, found)
            if record.leader[10] != "0":
                found.append("no subfield delimiters; the whole text kept as subfield a")
            record.fields.append(DataField(tag, " ", " ", [("a", clean(text, "", found))]))
        else:
            head, *subs = piece.split(bytes([SD]))
            ind = head.decode("ascii", errors="replace")
            if len(head) != 2 or not all(c.isalnum() or c == " " for c in ind):
                found.append(f"indicators {head!r} are not two letters, digits or blanks; blanks used")
                ind = "  "
            subfields = []
            for sub in subs:
                if not sub:
                    found.append("empty subfield (delimiter without a code) dropped")
                    continue
                code = chr(sub[0])
                if not (code.isascii() and code.isalnum()):
                    found.append(f"subfield code byte 0x{sub[0]:02X} is not a letter or digit; kept as '?'")
                    code = "?"
                value = decoder.decode(sub[1:], found)
                subfields.append((code, clean(value, "", found)))
            record.fields.append(DataField(tag, ind[0], ind[1], subfields))
        problems.extend(f"{where}: {p}" for p in found)


def _try_other_charset(record, entries, pieces, problems, tried: str) -> None:
    """Leader/09 is often wrong in old exports: if the other charset reads cleanly, use it."""
    other = "marc-8" if tried == "utf-8" else "utf-8"
    trial = MarcData(leader=record.leader, problems=[])
    _decode_fields(trial, entries, pieces, Charset(other))
    if trial.problems:
        return
    record.fields = trial.fields
    record.problems = problems + [f"leader/09 says {tried} but the data is {other}; read as {other}"]
