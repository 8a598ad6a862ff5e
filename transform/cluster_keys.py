"""Cluster keys: what one MARC record says about which edition it describes.

The keys follow Finna's RecordManager: ISBN-13s, other standard identifiers (national bibliography
numbers, ISMN, EAN), and a normalised title key with the first author's surname, plus the facts the
merge rules compare (year, page count, series, format, languages). Keys are computed from the MARC
record alone, stored as JSON beside the assignment, and shown verbatim by `explain-cluster`, so a
librarian sees exactly what the machine compared.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field

from pymarc import Record

#: Letters kept whole in keys: Norwegian/Swedish/Finnish vowels and the Sami alphabets' letters.
#: Everything else is decomposed (NFKD) and stripped of its marks.
KEEP_LETTERS = set("æøåäöáčđŋšŧžïâǯʒǧǥǩõ")
#: Legacy data writes Sami đ as Icelandic ð (they look alike); keys treat them as one letter.
LETTER_FOLD = {"ð": "đ"}

MAX_KEY = 500             # characters of one index key (the column holds 512)
SHORT_TITLE = 20          # characters of the title key (spaces removed) used to find candidates
_ISBN_CHARS = re.compile(r"[0-9Xx][0-9Xx\- ]{8,20}")
_YEAR = re.compile(r"(1[4-9]\d\d|20\d\d)")
_PAGES = re.compile(r"(\d+)\s*(?:p\b|pp\b|p\.|pages?\b|s\b|s\.|sider\b|sivua\b|sid\b|с\.|стр)", re.I)


@dataclass(frozen=True)
class ClusterKeys:
    isbns: tuple[str, ...] = ()
    identifiers: tuple[str, ...] = ()      # "nbn:<agency>:<number>", "ismn:<13>", "ean:<13>"
    title_key: str = ""                    # 245 $a$b$n$p, normalised, leading article dropped
    short_title: str = ""                  # 245 $a only, normalised (guards identifier matches)
    author: str = ""                       # first author, normalised, whole heading
    surname: str = ""                      # first author's surname, normalised
    year: str = ""
    pages: int | None = None
    series: tuple[str, ...] = ()
    format: str = ""                       # leader/06 (type of record)
    language: str = ""
    original_language: str = ""            # 041 $h when it differs from the language
    original_title_key: str = ""           # 240 $a / 765 $t of a translation
    translation: bool = False

    def to_json(self) -> str:
        return json.dumps({name: getattr(self, name) for name in self.__dataclass_fields__}, ensure_ascii=False,
                          sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> "ClusterKeys":
        if not text:
            return cls()
        data = json.loads(text)
        for name in ("isbns", "identifiers", "series"):
            data[name] = tuple(data.get(name) or ())
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    @property
    def title_author_key(self) -> str:
        """The candidate key: short title plus surname; empty when there is no title."""
        if not self.title_key:
            return ""
        return f"ta:{self.title_key.replace(' ', '')[:SHORT_TITLE]}|{self.surname}"

    @property
    def short_key(self) -> str:
        """Title proper (245 $a, no subtitle) plus surname: what a translation's uniform title (240)
        names, so the key that links translations to their original."""
        if not self.short_title:
            return ""
        return f"ts:{self.short_title.replace(' ', '')[:SHORT_TITLE]}|{self.surname}"

    @property
    def original_key(self) -> str:
        """For a translation: the short key its original carries."""
        if not (self.translation and self.original_title_key):
            return ""
        return f"ts:{self.original_title_key.replace(' ', '')[:SHORT_TITLE]}|{self.surname}"

    def index_keys(self) -> list[str]:
        """Every key under which this record can be found as a candidate."""
        keys = [f"isbn:{i}" for i in self.isbns] + [f"id:{i}" for i in self.identifiers]
        if self.title_author_key:
            keys.append(self.title_author_key)
        if self.short_key:
            keys.append(self.short_key)
        if self.original_key:
            keys.append("tr:" + self.original_key)
        return sorted({k[:MAX_KEY] for k in keys})


# -- normalisation ----------------------------------------------------------------------------

def normalise(text: str) -> str:
    """Lower-case, marks stripped except on kept letters, punctuation to spaces, spaces collapsed."""
    out = []
    for ch in unicodedata.normalize("NFC", text or "").lower():
        ch = LETTER_FOLD.get(ch, ch)
        if ch in KEEP_LETTERS:
            out.append(ch)
            continue
        for part in unicodedata.normalize("NFKD", ch):
            if unicodedata.combining(part):
                continue
            out.append(part if part.isalnum() else " ")
    return " ".join("".join(out).split())


def isbn13(text: str) -> str | None:
    """The ISBN-13 in a 020 $a (qualifiers and hyphens dropped), or None if the check digit fails."""
    match = _ISBN_CHARS.search(text or "")
    if not match:
        return None
    digits = re.sub(r"[\- ]", "", match.group()).upper()
    if len(digits) >= 13 and digits[:13].isdigit():
        digits = digits[:13]
        return digits if _ean_valid(digits) and digits[:3] in ("978", "979") else None
    if len(digits) >= 10:
        digits = digits[:10]
        if not (digits[:9].isdigit() and (digits[9].isdigit() or digits[9] == "X")):
            return None
        total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(digits))
        if total % 11:
            return None
        core = "978" + digits[:9]
        return core + _ean_check(core)
    return None


def _ean_check(first12: str) -> str:
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(first12))
    return str((10 - total % 10) % 10)


def _ean_valid(digits: str) -> bool:
    return len(digits) == 13 and digits.isdigit() and _ean_check(digits[:12]) == digits[12]


def ismn13(text: str) -> str | None:
    raw = re.sub(r"[\- ]", "", (text or "").split(" ")[0]).upper()
    if raw.startswith("M") and len(raw) == 10:
        raw = "9790" + raw[1:]
    return raw if _ean_valid(raw) and raw.startswith("9790") else None


# -- keys from a record -----------------------------------------------------------------------

def _subfields(field, codes: str) -> list[str]:
    return [sf.value for sf in field.subfields if sf.code in codes and sf.value]


def _title_key(record: Record) -> tuple[str, str]:
    fields = record.get_fields("245")
    if not fields:
        return "", ""
    f = fields[0]
    skip = int(f.indicator2) if (f.indicator2 or "").isdigit() else 0
    parts, first = [], True
    for sf in f.subfields:
        if sf.code not in "abnp" or not sf.value:
            continue
        value = sf.value
        if first and sf.code == "a":
            value = value[skip:] if skip < len(value) else value
            first = False
        parts.append(value)
    main = _subfields(f, "a")
    short = main[0][skip:] if main and skip < len(main[0]) else (main[0] if main else "")
    return normalise(" ".join(parts)), normalise(short)


def _author(record: Record) -> tuple[str, str]:
    for tag in ("100", "110", "111", "700", "710", "711"):
        for f in record.get_fields(tag):
            names = _subfields(f, "a")
            if not names:
                continue
            name = names[0]
            full = normalise(name)
            if tag in ("100", "700") and f.indicator1 in ("1", "3") and "," in name:
                surname = normalise(name.split(",", 1)[0])
            elif tag in ("100", "700"):
                words = full.split()
                surname = words[-1] if f.indicator1 == "0" and words else full
            else:
                surname = full.replace(" ", "")[:SHORT_TITLE]
            return full, surname.replace(" ", "")
    return "", ""


def _year(record: Record) -> str:
    f008 = record.get_fields("008")
    if f008 and len(f008[0].data or "") >= 11 and f008[0].data[7:11].isdigit():
        return f008[0].data[7:11]
    for tag in ("264", "260"):
        for f in record.get_fields(tag):
            for value in _subfields(f, "c"):
                match = _YEAR.search(value)
                if match:
                    return match.group(1)
    return ""


def _pages(record: Record) -> int | None:
    best = None
    for f in record.get_fields("300"):
        for value in _subfields(f, "a"):
            for match in _PAGES.finditer(value):
                n = int(match.group(1))
                best = n if best is None else max(best, n)
    return best


def _series(record: Record) -> tuple[str, ...]:
    out = set()
    for f in record.get_fields("490", "800", "810", "811", "830"):
        codes = "a" if f.tag in ("490", "830") else "t"
        for value in _subfields(f, codes)[:1]:
            key = normalise(value)
            if key:
                out.add(key)
    return tuple(sorted(out))


def _languages(record: Record) -> tuple[str, str]:
    language = ""
    f008 = record.get_fields("008")
    if f008 and len(f008[0].data or "") >= 38:
        code = f008[0].data[35:38].strip().lower()
        if code.isalpha() and len(code) == 3 and code not in ("und", "zxx", "mul"):
            language = code
    original = ""
    for f in record.get_fields("041"):
        if not language:
            for value in _subfields(f, "a"):
                language = value[:3].lower()
                break
        for value in _subfields(f, "h"):
            if not original:
                original = value[:3].lower()
    if original == language:
        original = ""
    return language, original


def keys_for(record: Record) -> ClusterKeys:
    isbns = []
    for f in record.get_fields("020"):
        for value in _subfields(f, "a"):
            isbn = isbn13(value)
            if isbn and isbn not in isbns:
                isbns.append(isbn)
    identifiers = []
    for f in record.get_fields("015", "016"):
        agency = (_subfields(f, "2") or ["lac" if f.tag == "016" and f.indicator1 == " " else ""])[0]
        for value in _subfields(f, "a"):
            identifiers.append(f"nbn:{normalise(agency).replace(' ', '')}:{normalise(value).replace(' ', '')}")
    for f in record.get_fields("024"):
        for value in _subfields(f, "a"):
            if f.indicator1 == "2" and (code := ismn13(value)):
                identifiers.append(f"ismn:{code}")
            elif f.indicator1 == "3":
                digits = re.sub(r"\D", "", value.split(" ")[0])
                if digits[:3] in ("978", "979") and (isbn := isbn13(digits)):
                    if isbn not in isbns:
                        isbns.append(isbn)
                elif _ean_valid(digits):
                    identifiers.append(f"ean:{digits}")
    title_key, short_title = _title_key(record)
    author, surname = _author(record)
    language, original = _languages(record)
    original_title = ""
    for f in record.get_fields("240", "130"):
        original_title = normalise(" ".join(_subfields(f, "anp")))
        break
    for f in record.get_fields("765"):
        original_title = original_title or normalise(" ".join(_subfields(f, "t")))
    marked = bool(original) or bool(record.get_fields("765")) or any(
        f.indicator1 == "1" for f in record.get_fields("041"))
    translation = marked and bool(original or original_title)
    return ClusterKeys(
        isbns=tuple(isbns), identifiers=tuple(dict.fromkeys(identifiers)), title_key=title_key,
        short_title=short_title, author=author, surname=surname, year=_year(record), pages=_pages(record),
        series=_series(record), format=(record.leader or "")[6:7], language=language,
        original_language=original, original_title_key=original_title if translation else "",
        translation=translation)
