"""Character sets of ISO 2709 data: MARC-8, UTF-8 and the legacy code pages of old exports.

Every decoder here reports what it could not read instead of guessing silently: a bad byte becomes
U+FFFD and a sentence in `problems`, so the importer can keep the record and tell the librarian
exactly which field was damaged. MARC-8 uses pymarc's LC mapping tables, but with our own state
machine: pymarc's converter prints to stderr, turns unknown characters into spaces and forgets
escape state between subfields, which MARC-8 carries through a whole field.
"""

from __future__ import annotations

import codecs
import re
from encodings import aliases

from pymarc import marc8_mapping

from harvest.errors import HarvestError

REPLACEMENT = "\ufffd"

_BASIC_LATIN, _ANSEL, _EACC = 0x42, 0x45, 0x31
_SET_NAMES = {0x42: "Basic Latin", 0x45: "ANSEL", 0x31: "EACC (CJK)", 0x32: "Hebrew", 0x33: "Basic Arabic",
              0x34: "Extended Arabic", 0x4E: "Basic Cyrillic", 0x51: "Extended Cyrillic", 0x53: "Greek",
              0x62: "Subscripts", 0x67: "Greek symbols", 0x70: "Superscripts"}
#: MARC-8 bytes outside every graphic set: joiners and the (obsolete) non-sort markers.
_C1 = {0x8D: "\u200d", 0x8E: "\u200c", 0x88: "", 0x89: ""}
_G0_DESIGNATORS = {0x28, 0x2C}           # ESC ( F   and ESC , F
_G1_DESIGNATORS = {0x29, 0x2D}           # ESC ) F   and ESC - F
#: Double-encoded UTF-8 (UTF-8 read as Latin-1 and encoded again) leaves these pairs behind.
MOJIBAKE = re.compile("[\u00c2\u00c3][\u0080-\u00bf]")


class EncodingError(HarvestError):
    """An unknown character set was asked for (a configuration mistake, not a bad record)."""


def set_name(code: int) -> str:
    return _SET_NAMES.get(code, f"0x{code:02X}")


class Marc8Decoder:
    """MARC-8 → Unicode for one field at a time; escape state lasts until `reset()` (a new field)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.g0, self.g1 = _BASIC_LATIN, _ANSEL

    def decode(self, data: bytes, problems: list[str]) -> str:
        out: list[str] = []
        combining: list[str] = []
        pos, end = 0, len(data)
        while pos < end:
            byte = data[pos]
            if byte == 0x1B:
                pos = self._escape(data, pos, problems)
                continue
            if byte == 0x20:                     # space is never part of a graphic set, not even EACC
                char, is_combining, pos = " ", False, pos + 1
            elif self.g0 == _EACC and byte < 0x80:
                if pos + 3 > end:
                    problems.append(f"MARC-8 EACC character cut short at byte {pos}")
                    char, is_combining, pos = REPLACEMENT, False, end
                else:
                    code = int.from_bytes(data[pos:pos + 3], "big")
                    char, is_combining = self._lookup(_EACC, code, pos, problems)
                    pos += 3
            elif byte < 0x20 or byte == 0x7F:
                char, is_combining, pos = chr(byte), False, pos + 1
            elif byte in _C1:
                char, is_combining, pos = _C1[byte], False, pos + 1
            else:
                char, is_combining = self._lookup(self.g1 if byte >= 0x80 else self.g0, byte, pos, problems)
                pos += 1
            if is_combining:
                combining.append(char)
                continue
            out.append(char)
            if combining:                        # MARC-8 puts diacritics before the letter, Unicode after
                out.extend(combining)
                combining.clear()
        if combining:
            problems.append("MARC-8 diacritic at the end of the text with no letter to carry it")
            out.extend(combining)
        return "".join(out)

    def _lookup(self, charset: int, code: int, pos: int, problems: list[str]) -> tuple[str, bool]:
        table = marc8_mapping.CODESETS.get(charset, {})
        hit = table.get(code)
        if hit is None and charset != _EACC:
            hit = table.get(code ^ 0x80)         # a G0-native set designated as G1, or the reverse
        if hit is not None:
            return chr(hit[0]), bool(hit[1])
        if charset == _EACC and code in marc8_mapping.ODD_MAP:
            return chr(marc8_mapping.ODD_MAP[code]), False
        if charset != _EACC and 0x21 <= code <= 0x7E:
            # Common in real files: the escape back to ASCII was forgotten for punctuation or digits.
            problems.append(f"MARC-8 byte 0x{code:02X} at byte {pos} is not in {set_name(charset)}; "
                            "read as ASCII")
            return chr(code), False
        width = 6 if charset == _EACC else 2
        problems.append(f"MARC-8 code 0x{code:0{width}X} at byte {pos} is not in {set_name(charset)}")
        return REPLACEMENT, False

    def _escape(self, data: bytes, pos: int, problems: list[str]) -> int:
        rest = data[pos + 1:pos + 4]
        if len(rest) >= 2 and rest[0] in _G0_DESIGNATORS:
            self.g0 = rest[1]
            return pos + 3
        if len(rest) >= 2 and rest[0] in _G1_DESIGNATORS:
            self.g1 = rest[1]
            return pos + 3
        if len(rest) >= 2 and rest[0] == 0x24:   # ESC $ F, ESC $ , F, ESC $ ) F, ESC $ - F
            if rest[1] in _G0_DESIGNATORS | _G1_DESIGNATORS:
                if len(rest) < 3:
                    problems.append(f"incomplete MARC-8 escape sequence at byte {pos}")
                    return len(data)
                if rest[1] in _G0_DESIGNATORS:
                    self.g0 = rest[2]
                else:
                    self.g1 = rest[2]
                return pos + 4
            self.g0 = rest[1]
            return pos + 3
        if len(rest) >= 1 and rest[0] in (0x62, 0x67, 0x70):   # technique 2: sub/superscripts, Greek symbols
            self.g0 = rest[0]
            return pos + 2
        if len(rest) >= 1 and rest[0] == 0x73:                 # ESC s: back to ASCII
            self.g0 = _BASIC_LATIN
            return pos + 2
        problems.append(f"incomplete or unknown MARC-8 escape sequence {bytes(data[pos:pos + 4])!r} "
                        f"at byte {pos}")
        return pos + 1 + min(len(rest), 1)


def decode_utf8(data: bytes, problems: list[str]) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(f"byte 0x{data[exc.start]:02X} at byte {exc.start} is not UTF-8 "
                        "(bad bytes replaced by U+FFFD)")
        return data.decode("utf-8", errors="replace")


CHARSET_EXAMPLES = "utf-8, marc-8 or a code page such as cp1251, cp866, iso8859-1"


class CharsetNames:
    """Every character set name `Charset` accepts, as a collection the settings check can ask (`in`) and
    draw "did you mean" suggestions from (the names and aliases of Python's codecs, and MARC-8)."""

    MARC8 = ("marc-8", "marc8", "ansel")

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:
            Charset(name)
        except EncodingError:
            return False
        return True

    def __iter__(self):
        names = {*self.MARC8, *aliases.aliases, *aliases.aliases.values()}
        return iter(sorted(n.replace("_", "-") for n in names))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def describe(self) -> str:
        return f"a character set Grenseløs reads ({CHARSET_EXAMPLES})"


CHARSET_NAMES = CharsetNames()


class Charset:
    """One way of decoding the data of a record: 'utf-8', 'marc-8' or a Python codec name."""

    def __init__(self, name: str):
        key = name.strip().lower().replace("_", "-")
        if key in ("marc8", "marc-8", "ansel"):
            self.name, self._marc8 = "marc-8", Marc8Decoder()
            return
        try:
            self.name = codecs.lookup(key).name
        except LookupError:
            raise EncodingError(f"unknown character set {name!r} (use {CHARSET_EXAMPLES})") from None
        self._marc8 = None

    def decode(self, data: bytes, problems: list[str]) -> str:
        """Decode one field (or subfield of a field started with `new_field`)."""
        if self._marc8 is not None:
            return self._marc8.decode(data, problems)
        if self.name == "utf-8":
            return decode_utf8(data, problems)
        try:
            return data.decode(self.name)
        except UnicodeDecodeError as exc:
            problems.append(f"byte 0x{data[exc.start]:02X} at byte {exc.start} is not valid {self.name} "
                            "(replaced by U+FFFD)")
            return data.decode(self.name, errors="replace")

    def new_field(self) -> None:
        if self._marc8 is not None:
            self._marc8.reset()


def declared_charset(leader: str) -> str:
    """Leader/09: 'a' is UCS/Unicode (UTF-8 in ISO 2709); anything else is MARC-8."""
    return "utf-8" if len(leader) > 9 and leader[9] == "a" else "marc-8"


def mojibake(text: str) -> str | None:
    """A short sample if the text looks like UTF-8 that was decoded as Latin-1 and encoded again."""
    found = MOJIBAKE.search(text)
    if not found:
        return None
    return text[max(0, found.start() - 10):found.end() + 10]
