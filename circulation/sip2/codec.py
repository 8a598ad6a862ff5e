"""SIP2 2.00 frames: parse what a kiosk sends, format what we answer.

A frame is a two-digit command, fixed-width fields, `XXvalue|` fields and a CR. Kiosks differ in ways the
spec leaves open, so parsing is lenient where that loses nothing and strict where guessing would: the
character set is UTF-8 when the bytes are valid UTF-8 and cp850 otherwise (the spec's default, and what
older kiosks send); an `AY<digit>AZ<hex>` trailer is checked when present (some clients send an unpadded
checksum such as `AZFD0`, which we read as the number it is); a date field of blanks is "no date", as
kiosks send an empty nb due date. Anything that cannot be read as the command's layout raises `Malformed`,
a checksum that does not add up raises `BadChecksum`; the server answers both without closing the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

#: Fixed fields of the requests we serve, in wire order: (name, width).
REQUEST_LAYOUTS: dict[str, tuple[tuple[str, int], ...]] = {
    "93": (("uid_algorithm", 1), ("pwd_algorithm", 1)),
    "99": (("status_code", 1), ("max_print_width", 3), ("protocol_version", 4)),
    "23": (("language", 3), ("transaction_date", 18)),
    "63": (("language", 3), ("transaction_date", 18), ("summary", 10)),
    "11": (("sc_renewal_policy", 1), ("no_block", 1), ("transaction_date", 18), ("nb_due_date", 18)),
    "09": (("no_block", 1), ("transaction_date", 18), ("return_date", 18)),
    "29": (("third_party_allowed", 1), ("no_block", 1), ("transaction_date", 18), ("nb_due_date", 18)),
    "17": (("transaction_date", 18),),
    "35": (("transaction_date", 18),),
    "97": (),
}

#: The response each request command is answered with.
RESPONSE_TO = {"93": "94", "99": "98", "23": "24", "63": "64", "11": "12", "09": "10", "29": "30",
               "17": "18", "35": "36"}

_TRAILER = re.compile(rb"(?:AY(\d))?AZ([0-9A-Fa-f]{1,4})$")
_DATE = re.compile(r"(\d{8})(.{4})(\d{6})")


class SipError(Exception):
    """A frame we cannot act on; the connection stays open."""


class Malformed(SipError):
    """The frame does not follow the layout of its command (or names no command we know)."""


class BadChecksum(SipError):
    """The frame's AZ checksum does not add up: the line garbled it, so the client is asked to resend."""


@dataclass
class Message:
    command: str
    fixed: dict[str, str] = field(default_factory=dict)
    fields: list[tuple[str, str]] = field(default_factory=list)
    #: The AY sequence digit, or None when the client does not use error detection.
    sequence: int | None = None
    #: True when the client sent an AZ checksum (the reply then carries one too).
    checksummed: bool = False
    encoding: str = "cp850"

    def get(self, code: str, default: str = "") -> str:
        for key, value in self.fields:
            if key == code:
                return value
        return default

    def all(self, code: str) -> list[str]:
        return [value for key, value in self.fields if key == code]


def checksum(data: bytes) -> str:
    """Two's complement of the 16-bit byte sum, as four hex digits (the spec's error detection)."""
    return f"{(-sum(data)) & 0xFFFF:04X}"


def _decode(body: bytes, encoding: str | None) -> tuple[str, str]:
    if encoding:
        return body.decode(encoding, errors="replace"), encoding
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return body.decode("cp850"), "cp850"


def parse(frame: bytes, encoding: str | None = None) -> Message:
    """One frame (with or without its CR/LF) as a Message; `encoding` None means detect UTF-8 or cp850."""
    body = frame.rstrip(b"\r\n")
    if b"\r" in body or b"\x00" in body:
        raise Malformed("control character inside the frame")
    sequence, checksummed = None, False
    trailer = _TRAILER.search(body)
    if trailer:
        hex_text = trailer.group(2)
        prefix = body[:trailer.end() - len(hex_text)]
        if (sum(prefix) + int(hex_text, 16)) & 0xFFFF:
            raise BadChecksum("checksum does not match")
        checksummed = True
        sequence = int(trailer.group(1)) if trailer.group(1) is not None else None
        body = body[:trailer.start()]
    elif body[-9:-7] == b"AY" and body[-6:-4] == b"AZ":
        raise BadChecksum("checksum is not hexadecimal")
    text, used = _decode(body, encoding)
    command = text[:2]
    if not (len(command) == 2 and command.isdigit()):
        raise Malformed("a frame starts with a two-digit command")
    layout = REQUEST_LAYOUTS.get(command)
    if layout is None:
        raise Malformed(f"command {command} is not supported")
    message = Message(command, sequence=sequence, checksummed=checksummed, encoding=used)
    cursor = 2
    for name, width in layout:
        piece = text[cursor:cursor + width]
        if len(piece) != width:
            raise Malformed(f"fixed field {name} is cut short")
        message.fixed[name] = piece
        cursor += width
    rest = text[cursor:]
    if rest and not rest.endswith("|"):
        # The last field may lack its delimiter (some kiosks drop it before AY); accept that.
        rest += "|"
    for chunk in rest.split("|")[:-1]:
        code = chunk[:2]
        if len(code) != 2 or not (code.isascii() and code.isalnum()):
            raise Malformed(f"variable field {chunk[:8]!r} has no two-letter code")
        message.fields.append((code, chunk[2:]))
    return message


def parse_date(value: str) -> datetime | None:
    """A SIP2 date (YYYYMMDDZZZZHHMMSS) as a datetime; blanks or zeros (what kiosks send for "no date")
    are None. A date in another shape raises Malformed rather than being guessed at."""
    if not value.strip() or not value.strip("0 "):
        return None
    match = _DATE.fullmatch(value)
    if not match:
        raise Malformed(f"date {value!r} is not YYYYMMDDZZZZHHMMSS")
    try:
        return datetime.strptime(match.group(1) + match.group(3), "%Y%m%d%H%M%S")
    except ValueError:
        raise Malformed(f"date {value!r} is not a calendar date") from None


def format_date(moment: datetime | None) -> str:
    """A datetime as the 18-character SIP2 date (local time, zone blank); None as 18 blanks."""
    if moment is None:
        return " " * 18
    return moment.strftime("%Y%m%d") + "    " + moment.strftime("%H%M%S")


def _clean(value: object) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "/").replace("\r", " ").replace("\n", " ")


def build(command: str, fixed: list[str] | tuple[str, ...], fields: list[tuple[str, object]],
          sequence: int | None = None, with_checksum: bool = False, encoding: str = "cp850") -> bytes:
    """A response frame: fixed values in order, then each (code, value) as `CODEvalue|` (None values left
    out, delimiters and line breaks in values replaced, values cut at 255 bytes); the AY/AZ trailer
    when the request carried one."""
    out = bytearray(command.encode("ascii"))
    for value in fixed:
        out += value.encode(encoding, errors="replace")
    for code, value in fields:
        if value is None:
            continue
        data = _clean(value).encode(encoding, errors="replace")[:255]
        out += code.encode("ascii") + data.decode(encoding, errors="ignore").encode(encoding) + b"|"
    if with_checksum:
        if sequence is not None:
            out += b"AY" + str(sequence).encode("ascii")
        out += b"AZ"
        out += checksum(bytes(out)).encode("ascii")
    return bytes(out) + b"\r"


def resend_request(with_checksum: bool = True) -> bytes:
    """96: asks the client to send its last message again (after a garbled frame)."""
    return build("96", (), [], with_checksum=with_checksum)
