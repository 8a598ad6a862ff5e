"""Which character set an ISO 2709 record's bytes are in, decided from the bytes, not only leader/09.

Leader/09 says UTF-8 (`a`) or MARC-8 (blank), but files from old systems lie both ways: a UTF-8 record
without the flag, Cyrillic records in CP1251, CP866 or KOI8-R flagged as MARC-8 or as UTF-8, Western
records in ISO 8859-1. Read with the leader's word they convert to wrong text without a sound. Here:

- bytes that are valid UTF-8 with multi-byte sequences are UTF-8, whatever leader/09 says (a record in
  a single-byte set almost never forms valid UTF-8 by chance);
- Cyrillic in a single-byte set is recognised with certainty from letter frequencies (the right code
  page gives common lower-case Russian letters; the wrong ones give upper case and symbols);
- bytes that fit MARC-8 (combining marks before their letter, no runs of high bytes) are MARC-8;
- anything else (typically ISO 8859-1) is a guess: the record is refused with the guess in the message,
  unless the caller names the encoding (`grenselos convert --encoding latin-1`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CYRILLIC = ("cp1251", "koi8_r", "cp866")
#: The ten most frequent Russian letters, lower case: about half of the letters of running text.
_COMMON = frozenset("оеаинтсрвл")
#: MARC-8 (ANSEL) bytes: special letters and signs 0xA1-0xC8 (and 0xCF), combining marks 0xE0-0xFE.
_MARC8_SPACING = frozenset(range(0xA1, 0xC9)) | {0xCF}
_MARC8_COMBINING = frozenset(range(0xE0, 0xFF))
NAMES = {"utf-8": "UTF-8", "utf-8-damaged": "UTF-8 (damaged bytes replaced)", "marc8": "MARC-8", "cp1251": "CP1251 (Windows Cyrillic)", "koi8_r": "KOI8-R",
         "cp866": "CP866 (DOS Cyrillic)", "latin-1": "ISO 8859-1 (Latin-1)"}


@dataclass(frozen=True)
class Guess:
    encoding: str          # a Python codec name, or "marc8"
    certain: bool
    reason: str


def _cyrillic(data: bytes) -> tuple[str, float, float] | None:
    """(best code page, its score, the runner-up's) when the high bytes read as Cyrillic text."""
    scores = []
    for codec in CYRILLIC:
        text = data.decode(codec, "replace")
        letters = [c for c in text if "\u0400" <= c <= "\u04ff"]
        scores.append((sum(c in _COMMON for c in letters) / len(letters) if len(letters) >= 20 else 0.0, codec))
    scores.sort(reverse=True)
    if scores[0][0] == 0.0:
        return None
    return scores[0][1], scores[0][0], scores[1][0]


#: MARC-8 marks often written on consonants: acute, tilde, dot above, caron, cedilla, ogonek, dots below.
_ON_CONSONANTS = frozenset((0xE2, 0xE4, 0xE7, 0xE9, 0xF0, 0xF1, 0xF2, 0xF3))
_UTF8_MULTI = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_HIGH_RUN = re.compile(rb"[\x80-\xff]{3,}")


def _fits_marc8(data: bytes) -> bool:
    """MARC-8: escapes to other sets, or high bytes that are ANSEL letters or combining marks standing
    before a letter, seldom three in a row (a single-byte Cyrillic or Greek word is a run of them)."""
    high = sum(b > 0x7F for b in data)
    if not high or b"\x1b" in data:
        return True
    if sum(len(m) for m in _HIGH_RUN.findall(data)) * 3 > high:
        return False
    marks = plausible = 0
    for i, b in enumerate(data):
        if b <= 0x7F:
            continue
        if b not in _MARC8_SPACING and b not in _MARC8_COMBINING:
            return False
        nxt = data[i + 1] if i + 1 < len(data) else 0
        if b in _MARC8_COMBINING:
            if not (chr(nxt).isalpha() or nxt in _MARC8_COMBINING):
                return False
            marks += 1
            plausible += nxt in _MARC8_COMBINING or chr(nxt) in "aeiouyAEIOUY" or (
                b in _ON_CONSONANTS and chr(nxt).isalpha())
    # a MARC-8 mark stands before the letter it modifies, mostly a vowel; a Latin-1 letter (ø æ å)
    # read as a mark is mostly followed by a consonant ("Bjørnson", "fortælling")
    return plausible == marks if marks < 3 else plausible >= 0.6 * marks


def guess(data: bytes, leader09: str) -> Guess:
    """The character set of one record's bytes (leader to record terminator)."""
    if all(b < 0x80 for b in data):
        return Guess("utf-8", True, "ASCII only")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return Guess("utf-8", True, "valid UTF-8" + ("" if leader09 == "a" else
                                                      " although leader/09 says MARC-8"))
    if leader09 != "a" and _fits_marc8(data):
        return Guess("marc8", True, "MARC-8 as leader/09 says")
    cyr = _cyrillic(data)
    words = sum(len(m) for m in _HIGH_RUN.findall(data)) * 2 > sum(b > 0x7F for b in data)
    if cyr and words and 0.35 <= cyr[1] <= 0.9 and cyr[1] - cyr[2] >= 0.15:   # running text, not symbols
        return Guess(cyr[0], True, f"Cyrillic letters read as {NAMES[cyr[0]]} "
                                   f"({cyr[1]:.0%} common letters against {cyr[2]:.0%})"
                     + (" although leader/09 says UTF-8" if leader09 == "a" else ""))
    valid = len(_UTF8_MULTI.findall(data))
    damaged = data.decode("utf-8", "replace").count("\ufffd")
    if leader09 == "a" and valid >= 2 * damaged:
        return Guess("utf-8-damaged", True, f"UTF-8 as leader/09 says, with {damaged} damaged byte sequence(s) "
                                            "shown as U+FFFD")
    if cyr:
        return Guess(cyr[0], False, f"perhaps Cyrillic in {NAMES[cyr[0]]}, but not clearly")
    if leader09 == "a" and _fits_marc8(data):
        return Guess("marc8", False, "leader/09 says UTF-8 but the bytes are not; they look like MARC-8 "
                                     "(or ISO 8859-1)")
    return Guess("latin-1", False, "bytes that are neither UTF-8 nor MARC-8; they read as ISO 8859-1 (Latin-1)"
                 + (" although leader/09 says UTF-8" if leader09 == "a" else ""))


def is_unimarc(record) -> bool:
    """UNIMARC, not MARC 21: a 200 title field, no 245, and 100 $a coded data starting with a date
    (`19961119d1996 …`), which MARC 21 would read as a personal name."""
    if record.get("245") is not None or record.get("200") is None:
        return False
    f100 = record.get("100")
    data = f100.get("a") if f100 is not None and not f100.is_control_field() else None
    return bool(data and len(data) >= 9 and data[:8].isdigit() and data[8].isalpha())
