"""Text normalisation shared by every backend, for documents and for queries alike.

Two forms of each text are searched: the exact form (only lower-cased, with Russian ё equated to е)
ranks an exact spelling first, and the folded form finds `čáhppes` when someone types `cahppes`.
Folding strips diacritics the way ICU folding does, with two Nordic exceptions: æ ø å (and the
Finnish/Kven ä ö) are letters of their own and are never folded into ae/o/a, and Cyrillic й stays й.
Sami letters that Unicode decomposition cannot strip (đ ŧ ŋ) and the legacy Icelandic ð that stands
in for đ in old data fold by an explicit table. The Solr configset mirrors this table
(`index/solr/configset/conf/mapping-fold.txt` plus ICU folding with the same exceptions).
"""

from __future__ import annotations

import re
import unicodedata

#: Letters folding leaves alone (lower-case; upper case is lowered first).
KEEP = frozenset("æøåäöй")

#: Letters that have no decomposition to strip, folded by table.
FOLD_TABLE = {
    "đ": "d", "ð": "d", "ŧ": "t", "ŋ": "n", "ł": "l", "ħ": "h", "ı": "i", "ß": "ss", "œ": "oe",
    "ʒ": "z", "ǥ": "g", "ǩ": "k", "ʹ": "", "ʼ": "", "ˈ": "",
}

_WORD = re.compile(r"\w+", re.UNICODE)
_IDENTIFIER = re.compile(r"^(?=.*\d)[\dXx][\dXx-]{7,}$")
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """The exact form: NFC, lower case, ё as е. Nothing else changes."""
    return unicodedata.normalize("NFC", text).lower().replace("ё", "е")


class _FoldTable(dict):
    """str.translate table filled on first sight of each character (C speed after warm-up)."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        if ch in KEEP or ch.isascii():
            out = ch
        elif ch in FOLD_TABLE:
            out = FOLD_TABLE[ch]
        else:
            out = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        self[code] = out
        return out


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """The folded form used for recall (see the module docstring for what folds and what not)."""
    return fold_normalized(normalize(text))


def fold_normalized(text: str) -> str:
    """`fold` of a text already in its exact form (`normalize`): the index folds the exact forms it
    has just made, and normalising them again cost a tenth of building a document."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", text.translate(_FOLD))


def words(text: str) -> list[str]:
    """Tokens of a query or field in their exact form."""
    return _WORD.findall(normalize(text))


def exact_key(text: str) -> str:
    """A whole title reduced to words, for the 'exact title' match: 'Čáhppes, gáhppes!' -> 'čáhppes gáhppes'."""
    return " ".join(words(text))


def normalize_identifier(value: str) -> str:
    """ISBN/ISSN/other identifiers compared without hyphens, spaces and case."""
    return re.sub(r"[\s\-]", "", value).lower()


def isbn_forms(value: str) -> list[str]:
    """An ISBN in both its 10- and 13-digit forms, so either typed form finds the record."""
    digits = normalize_identifier(value).upper()
    digits = re.match(r"[\dX]+", digits)
    if not digits:
        return []
    digits = digits.group(0)
    forms = [digits.lower()]
    if len(digits) == 10 and digits[:9].isdigit():
        core = "978" + digits[:9]
        total = sum((1 if i % 2 == 0 else 3) * int(c) for i, c in enumerate(core))
        forms.append(core + str((10 - total % 10) % 10))
    elif len(digits) == 13 and digits.isdigit() and digits.startswith("978"):
        core = digits[3:12]
        total = sum((10 - i) * int(c) for i, c in enumerate(core))
        check = (11 - total % 11) % 11
        forms.append(core + ("x" if check == 10 else str(check)))
    return forms


def split_query(text: str) -> tuple[list[str], list[str]]:
    """A patron's free text as (words, identifiers): '978-82-02-12345-6 hamsun' keeps the ISBN whole."""
    identifiers, rest = [], []
    for chunk in _SPACE.split(text.strip()):
        if _IDENTIFIER.match(chunk):
            identifiers.append(normalize_identifier(chunk))
        else:
            rest.append(chunk)
    return words(" ".join(rest)), identifiers
