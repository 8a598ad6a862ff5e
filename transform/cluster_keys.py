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
from dataclasses import dataclass

from harvest.marcdata import MarcData

from transform import readings

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
    text = unicodedata.normalize("NFC", text or "").lower()
    if text.isascii():
        return " ".join(_NOT_ALNUM.sub(" ", text).split())
    fold = _FOLDED
    out = []
    for ch in text:
        done = fold.get(ch)
        if done is None:
            done = fold[ch] = _fold(ch)
        out.append(done)
    return " ".join("".join(out).split())


_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_FOLDED: dict[str, str] = {}     # character -> what a key keeps of it (the set of letters met is small)


def _fold(ch: str) -> str:
    ch = LETTER_FOLD.get(ch, ch)
    if ch in KEEP_LETTERS:
        return ch
    return "".join(part if part.isalnum() else " " for part in unicodedata.normalize("NFKD", ch)
                   if not unicodedata.combining(part))


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


# -- keys from a record: every MARC read is a named reading (mapping/readings.table, "cluster.") -----

def _title_key(record: MarcData) -> tuple[str, str]:
    found = readings.rows(record, "cluster.title")
    if not found:
        return "", ""
    row = found[0]
    proper = row.all("proper")
    return normalise(" ".join(row.all("parts"))), normalise(proper[0] if proper else "")


def _author(record: MarcData) -> tuple[str, str]:
    for hit in readings.hits(record, "cluster.author"):
        name = hit.values[0]
        full = normalise(name)
        if readings.matches(hit.field, "cluster.surname_first") and "," in name:
            surname = normalise(name.split(",", 1)[0])
        elif readings.matches(hit.field, "cluster.personal_name"):
            words = full.split()
            surname = words[-1] if readings.matches(hit.field, "cluster.forename_first") and words else full
        else:
            surname = full.replace(" ", "")[:SHORT_TITLE]
        return full, surname.replace(" ", "")
    return "", ""


def _year(record: MarcData) -> str:
    date = readings.first(record, "cluster.date")
    if len(date) == 4 and date.isdigit():
        return date
    for value in readings.values(record, "cluster.year"):
        match = _YEAR.search(value)
        if match:
            return match.group(1)
    return ""


def _pages(record: MarcData) -> int | None:
    best = None
    for value in readings.values(record, "cluster.extent"):
        for match in _PAGES.finditer(value):
            n = int(match.group(1))
            best = n if best is None else max(best, n)
    return best


def _series(record: MarcData) -> tuple[str, ...]:
    out = set()
    for hit in readings.hits(record, "cluster.series"):
        key = normalise(hit.values[0])
        if key:
            out.add(key)
    return tuple(sorted(out))


def _languages(record: MarcData) -> tuple[str, str, bool]:
    """(language, original language when it differs, whether a 041 says the text is a translation)."""
    language = ""
    code = readings.first(record, "cluster.language").strip().lower()
    if code.isalpha() and len(code) == 3 and code not in ("und", "zxx", "mul"):
        language = code
    coded = readings.rows(record, "cluster.languages")
    if not language:
        language = next((row.all("language")[0][:3].lower() for row in coded if row.all("language")), "")
    original = next((row.all("original")[0][:3].lower() for row in coded if row.all("original")), "")
    if original == language:
        original = ""
    return language, original, any(readings.matches(row.field, "cluster.translated") for row in coded)


def _identifiers(record: MarcData, isbns: list[str]) -> list[str]:
    """National bibliography numbers with their agency, ISMNs and EANs, in the record's order; an EAN
    that is an ISBN joins `isbns`."""
    identifiers = []
    for row in readings.rows(record, "cluster.nbn"):
        agency = (row.all("agency") or ["lac" if readings.matches(row.field, "cluster.nbn_lac") else ""])[0]
        for value in row.all("number"):
            identifiers.append(f"nbn:{normalise(agency).replace(' ', '')}:{normalise(value).replace(' ', '')}")
    for row in readings.rows(record, "cluster.standard"):
        ismn, ean = readings.matches(row.field, "cluster.ismn"), readings.matches(row.field, "cluster.ean")
        for value in row.all("number"):
            if ismn and (code := ismn13(value)):
                identifiers.append(f"ismn:{code}")
            elif ean:
                digits = re.sub(r"\D", "", value.split(" ")[0])
                if digits[:3] in ("978", "979") and (isbn := isbn13(digits)):
                    if isbn not in isbns:
                        isbns.append(isbn)
                elif _ean_valid(digits):
                    identifiers.append(f"ean:{digits}")
    return identifiers


def keys_for(record: MarcData) -> ClusterKeys:
    record = readings.view(record)
    isbns = []
    for value in readings.values(record, "cluster.isbn"):
        isbn = isbn13(value)
        if isbn and isbn not in isbns:
            isbns.append(isbn)
    identifiers = _identifiers(record, isbns)
    title_key, short_title = _title_key(record)
    author, surname = _author(record)
    language, original, translated = _languages(record)
    uniform = readings.rows(record, "cluster.uniform_title")
    original_title = normalise(" ".join(uniform[0].all("title"))) if uniform else ""
    entries = readings.rows(record, "cluster.original_entry")
    for row in entries:
        original_title = original_title or normalise(" ".join(row.all("title")))
    marked = bool(original) or bool(entries) or translated
    translation = marked and bool(original or original_title)
    return ClusterKeys(
        isbns=tuple(isbns), identifiers=tuple(dict.fromkeys(identifiers)), title_key=title_key,
        short_title=short_title, author=author, surname=surname, year=_year(record), pages=_pages(record),
        series=_series(record), format=readings.first(record, "record.type"), language=language,
        original_language=original, original_title_key=original_title if translation else "",
        translation=translation)
