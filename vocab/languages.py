"""The language vocabulary: ISO 639 / MARC codes, the Sami group, names in the interface languages.

Codes come from three data files in `vocab/data/` (see its README): `iso639.tsv` (generated from
iso-codes), `names.tsv` (names written for this project) and `codes.tsv` (legacy and local codes,
optionally per source). Everything is loaded once, on first use, so importing this module is free.

The canonical code of a language is its MARC (ISO 639-2/B) code where one exists — that is what
008/35-37 and 041 carry and what id.loc.gov's language list uses — else its ISO 639-3 code
(Kven `fkv`, Meänkieli `fit`, Kildin Sami `sjd`, ...).
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from vocab.tables import DATA, UI_LANGUAGES, read_tsv, ui_language

log = logging.getLogger(__name__)


SAMI_GROUP: frozenset[str] = frozenset(
    {"smi", "sme", "smj", "sma", "smn", "sms", "sju", "sje", "sjd", "sia", "sjk", "sjt"})
"""The Sami languages (canonical codes), including the collective `smi`."""

MINORITY_LANGUAGES: tuple[str, ...] = ("sme", "smj", "sma", "smn", "sms", "fkv", "fit")
"""The county's minority languages the portal promotes, in display order."""

# Values that mean "no code here" rather than "an unknown code": blanks and MARC fill characters.
_EMPTY = {"", "|||", "^^^", "###", "xxx", "n/a"}


@dataclass(frozen=True)
class Language:
    code: str
    marc: str | None
    iso639_3: str | None
    iso639_1: str | None
    scope: str
    names: dict = field(default_factory=dict, compare=False, hash=False)
    autonym: str | None = None
    group: str | None = None
    needs_review: frozenset = frozenset()

    @property
    def is_collective(self) -> bool:
        return self.scope == "collective"

    @property
    def is_special(self) -> bool:
        """`mul`, `und`, `zxx`, `mis`: codes that name no language."""
        return self.scope == "special"

    def label(self, ui_lang: str = "en") -> str:
        ui = ui_language(ui_lang)
        return self.names.get(ui) or self.names.get("en") or self.code


class UnknownCodes:
    """Collects codes that mean nothing to the vocabulary, once per (source, code).

    Unknown codes are never dropped silently: the first sighting per source is logged, and the whole
    collection is available to the language report.
    """

    def __init__(self):
        self._seen: dict[str | None, dict[str, int]] = {}
        self._lock = threading.Lock()

    def report(self, source_id: str | None, code: str) -> bool:
        with self._lock:
            per_source = self._seen.setdefault(source_id, {})
            first = code not in per_source
            per_source[code] = per_source.get(code, 0) + 1
        if first:
            log.warning("unknown language code %r in source %s", code, source_id or "(none)")
        return first

    def by_source(self) -> dict[str | None, dict[str, int]]:
        with self._lock:
            return {s: dict(c) for s, c in self._seen.items()}

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()


unknown_codes = UnknownCodes()


class _Vocabulary:
    def __init__(self, data: Path = DATA):
        self.by_code: dict[str, Language] = {}
        self.lookup: dict[str, Language] = {}
        self.local: dict[tuple[str, str], str] = {}
        self._load(data)

    def _load(self, data: Path) -> None:
        names = {row["code"]: row for row in read_tsv(data / "names.tsv")}
        for row in read_tsv(data / "iso639.tsv"):
            code = row["marc"] or row["code"]
            hand = names.get(code, {})
            label = {"en": row["name_en"]}
            label.update({ui: hand[ui] for ui in UI_LANGUAGES if hand.get(ui)})
            lang = Language(
                code=code, marc=row["marc"] or None,
                iso639_3=row["code"] if row["scope"] != "collective" else None,
                iso639_1=row["iso639_1"] or None, scope=row["scope"], names=label,
                autonym=hand.get("autonym") or None,
                group=hand.get("group") or ("smi" if code in SAMI_GROUP else None),
                needs_review=frozenset((hand.get("review") or "").split()))
            self.by_code[code] = lang
            for alias in (row["code"], row["marc"], row["iso639_2t"], row["iso639_1"]):
                if alias:
                    self.lookup.setdefault(alias, lang)
        for row in read_tsv(data / "codes.tsv"):
            self.local[(row["source"], row["code"].lower())] = row["canonical"]
        missing = set(names) - set(self.by_code)
        if missing:
            raise ValueError(f"{data / 'names.tsv'}: codes not in iso639.tsv: {sorted(missing)}")


_vocab: _Vocabulary | None = None
_vocab_lock = threading.Lock()


def vocabulary() -> _Vocabulary:
    global _vocab
    if _vocab is None:
        with _vocab_lock:
            if _vocab is None:
                _vocab = _Vocabulary()
    return _vocab


def _clean(code) -> str:
    if code is None:
        return ""
    return unicodedata.normalize("NFC", str(code)).strip().lower()


def is_empty(code) -> bool:
    """True for a blank or fill-character code (missing, not unknown)."""
    c = _clean(code)
    return c in _EMPTY or set(c) <= {"|", " ", "^", "#"}


def get(code, source_id: str | None = None) -> Language | None:
    """The language behind any MARC, ISO 639-3, ISO 639-1, legacy or local code; None if unknown."""
    c = _clean(code)
    if not c:
        return None
    v = vocabulary()
    mapped = v.local.get((source_id, c)) if source_id else None
    mapped = mapped or v.local.get(("*", c))
    if mapped:
        return v.by_code.get(mapped) or v.lookup.get(mapped)
    return v.lookup.get(c)


def normalize(code, source_id: str | None = None, *, collector: UnknownCodes | None = None) -> str | None:
    """The canonical code for `code`, or None. Unknown codes are reported once per source."""
    if is_empty(code):
        return None
    lang = get(code, source_id)
    if lang is None:
        (collector or unknown_codes).report(source_id, _clean(code))
        return None
    return lang.code


def label(code, ui_lang: str = "en") -> str:
    """The language's name in an interface language (nb, nn, se, en); English, then the code, as fallback."""
    lang = get(code)
    if lang is None:
        return _clean(code) or ""
    return lang.label(ui_lang)


def autonym(code) -> str | None:
    lang = get(code)
    return lang.autonym if lang else None


def names(code) -> tuple[str, ...]:
    """Every name the language goes by here: in each interface language, its autonym, and its group's
    (every Sami language is also `samisk`, `Sami languages`, `sámegielat`). What a patron may type to
    find books in the language; empty for a code the vocabulary does not know or that names none."""
    lang = get(code)
    if lang is None or lang.is_special:
        return ()
    out = [lang.names.get(ui) for ui in UI_LANGUAGES] + [lang.autonym]
    group = get(lang.group) if lang.group and lang.group != lang.code else None
    if group is not None:
        out += [group.names.get(ui) for ui in UI_LANGUAGES] + [group.autonym]
    return tuple(dict.fromkeys(n for n in out if n))


def bcp47(code) -> str | None:
    """The tag an HTML `lang` attribute (or `xml:lang`) takes for content in this language: the ISO 639-1
    code where there is one (`se` for Northern Sami, `nb`), else ISO 639-3 (`smj`, `sma`, `fkv`). None for
    no language or one the vocabulary does not know, so a caller leaves the surrounding language alone
    rather than claim a wrong one."""
    lang = get(code)
    if lang is None:
        return None
    return lang.iso639_1 or lang.iso639_3 or lang.code


def is_sami(code) -> bool:
    lang = get(code)
    return lang is not None and lang.code in SAMI_GROUP


def group_of(code) -> str | None:
    """The facet group a language belongs to (`smi` for every Sami language, `nor` for Bokmål/Nynorsk)."""
    lang = get(code)
    return lang.group if lang else None


#: The language groups whose loans the annual statistics count per library and month (the seed's goal:
#: more lending in the region's own languages), in report order. Meänkieli (`fit`) is not Kven here.
STATISTICS_GROUPS: tuple[tuple[str, frozenset[str]], ...] = (
    ("sami", SAMI_GROUP), ("kven", frozenset({"fkv"})), ("finnish", frozenset({"fin"})),
    ("russian", frozenset({"rus"})))


def statistics_group(code) -> str | None:
    """`sami`, `kven`, `finnish` or `russian` for a code (any form `get` reads, or a language IRI), else None."""
    if isinstance(code, str) and "/" in code:
        code = code.rstrip("/").rsplit("/", 1)[-1]
    lang = get(code)
    if lang is None:
        return None
    return next((name for name, members in STATISTICS_GROUPS if lang.code in members), None)


def add_local_code(source_id: str, code: str, canonical: str) -> None:
    """Declare a source's local code (e.g. a library that wrote `kve` for Kven) at run time."""
    if get(canonical) is None:
        raise ValueError(f"unknown canonical language code {canonical!r}")
    vocabulary().local[(source_id, _clean(code))] = get(canonical).code


def languages(codes=None) -> list[Language]:
    """Every language with hand-written names (the ones the portal lists), or the given codes."""
    v = vocabulary()
    if codes is None:
        return [lang for lang in v.by_code.values() if lang.names.get("nb")]
    return [lang for lang in (get(c) for c in codes) if lang]
