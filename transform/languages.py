"""A record's languages: its codes first, detection from its own text only where the codes fail.

`record_languages(record)` reads 008/35-37 and every 041 subfield with its role (the `languages.`
readings of `mapping/readings.table`: a column of `languages.codes` is a role), normalises the codes
through `vocab.languages`, and says which codes the language facet should use. Detection (see
`transform.langid`) runs only when `detect=True`; it never overwrites a catalogued code, it is kept as a
suggestion with confidence and evidence, and it feeds the facet only when no usable code exists.

With `detect=False` nothing but code reading happens (no model is loaded), so the converter can call
this for every record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from transform import langid, readings
from transform.language_evidence import Detection, RecordEvidence
from vocab import languages as vocab

SCHEME = "scheme"
"""The column of `languages.codes` that names the code list (041 $2); every other column is a role."""
TEXT_ROLES = ("text", "sung_or_spoken")
"""Roles whose languages are the record's own languages (the facet's)."""

# A stand-in code is superseded by a more precise code of the same record: Kven catalogued as fin/fiu
# in 008 with `041 #7 $a fkv $2 iso639-3`, a Sami language under the collective smi, nob under nor.
_STAND_INS = {"fin": {"fkv", "fit"}, "fiu": {"fkv", "fit", "fin", "krl", "est"}, "swe": {"fit"},
              "nor": {"nob", "nno"}, "smi": vocab.SAMI_GROUP - {"smi"}}
_NO_LANGUAGE = {"und", "mul", "zxx", "mis"}
_SUSPICIOUS = {"kve": "kve is ISO 639-3 Kalabakan; Kven is fkv"}
_SPLIT = re.compile(r"[^a-z]+")

FACET_CONFIDENCE = 0.4
"""A detection feeds the language facet (marked as detected) only at this confidence or above."""

TEXTUAL_TYPES = frozenset("ati")
"""Leader/06 of records whose words are in the language the codes name: language material, manuscript
text, spoken-word recordings. Music (c d j), maps (e f), films (g), pictures (k), kits and objects (o r)
carry titles in the language of a work, a genre or a place ("String quartet in E minor", "Concerto
grosso"), which says nothing about the record's language."""
MIN_WORDS = 4
"""Different words, names aside, detection needs to judge a language ("Selena & Demi: forever friends" has
three, and came out Danish at 0.96)."""
MIN_WORDS_SAMI = 2
"""Fewer suffice when the text has letters only Sami orthographies use (see SAMI_ONLY)."""
SAMI_ONLY = frozenset("ŋŧǥǩʒǯŊŦǤǨƷǮ")
"""Letters no other language catalogued here uses."""
SAMI_LIKELY = frozenset("đĐ")
_WORD = re.compile(r"[^\W\d_]{2,}")

#: Why a suggestion is made, by the first problem that made detection run: key -> the report's words.
SUGGESTION_REASONS = {"missing": "no language code in 008 or 041", "und": "the code is und (undetermined)",
                      "mul": "the code is mul (multiple) and 041 does not name them",
                      "smi": "only the collective code smi", "contradicted": "the text reads as another language"}


@dataclass
class RecordLanguages:
    catalogued: list[tuple[str, str]] = field(default_factory=list)
    detected: Detection | None = None
    effective: list[str] = field(default_factory=list)
    effective_is_detected: bool = False
    problems: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def suggestion_reason(self) -> str | None:
        """Why a librarian is shown `detected` (a key of SUGGESTION_REASONS), None without a suggestion."""
        if self.detected is None:
            return None
        for problem in self.problems:
            for key, prefix in (("missing", "missing"), ("und", "undetermined"), ("mul", "multiple"),
                                ("smi", "collective smi"), ("contradicted", "contradicted by text")):
                if problem.startswith(prefix):
                    return key
        return "contradicted"

    def codes(self, *roles: str) -> list[str]:
        """Catalogued codes with one of the given roles, in order, without repeats."""
        return _unique(code for code, role in self.catalogued if not roles or role in roles)

    def as_dict(self) -> dict:
        return {"catalogued": [list(c) for c in self.catalogued],
                "detected": self.detected.as_dict() if self.detected else None,
                "effective": list(self.effective), "effective_is_detected": self.effective_is_detected,
                "problems": list(self.problems), "unknown": list(self.unknown)}


def _unique(items) -> list:
    seen, out = set(), []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def _source_parts(source) -> tuple[str | None, str]:
    if source is None:
        return None, ""
    if isinstance(source, str):
        return source, ""
    return getattr(source, "id", None), getattr(source, "name", "") or ""


def split_codes(value: str) -> list[str]:
    """Codes in one 041 subfield: `engfreger` (packed, pre-2001 practice) or `eng, fre` -> 3-letter codes."""
    out = []
    for chunk in _SPLIT.split((value or "").lower()):
        if len(chunk) > 3 and len(chunk) % 3 == 0 and not vocab.get(chunk):
            out.extend(chunk[i:i + 3] for i in range(0, len(chunk), 3))
        elif chunk:
            out.append(chunk)
    return out


def read_codes(record, source_id: str | None = None) -> tuple[list[tuple[str, str]], list[str], list[str], list[str]]:
    """(catalogued (code, role) pairs, codes declared with $2, unknown codes, problems) of a record."""
    catalogued: list[tuple[str, str]] = []
    declared: list[str] = []
    unknown: list[str] = []
    problems: list[str] = []

    def add(raw: str, role: str, is_declared: bool = False):
        raw = raw.strip().lower()
        if vocab.is_empty(raw):
            return
        lang = vocab.get(raw, source_id)
        if raw in _SUSPICIOUS and lang is not None and lang.code == raw:
            problems.append(f"suspicious code {raw} ({_SUSPICIOUS[raw]})")
        code = lang.code if lang is not None else vocab.normalize(raw, source_id)  # reports the unknown code
        if code is None:
            unknown.append(raw)
            problems.append(f"unknown code {raw}")
            return
        catalogued.append((code, role))
        if is_declared:
            declared.append(code)

    fixed = readings.first(record, "languages.fixed")
    if len(fixed) == 3:
        add(fixed, "text")
    elif readings.has(record, "record.fixed"):
        problems.append("short 008 (no language position)")
    for row in readings.rows(record, "languages.codes"):
        schemes = row.all(SCHEME)
        has_scheme = readings.matches(row.field, "languages.declared") or bool(schemes and schemes[-1].strip())
        for role, value in row.items:
            if role == SCHEME:
                continue
            if has_scheme:
                add(value, role, is_declared=True)
            else:
                for code in split_codes(value):
                    add(code, role)
    return _unique(catalogued), _unique(declared), _unique(unknown), _unique(problems)


def usable_text_codes(catalogued: list[tuple[str, str]]) -> list[str]:
    """The catalogued text languages, minus stand-ins a more precise code replaces, minus und/mul/zxx."""
    codes = _unique(code for code, role in catalogued if role in TEXT_ROLES)
    present = set(codes)
    codes = [c for c in codes if not (_STAND_INS.get(c, set()) & present)]
    return [c for c in codes if c not in _NO_LANGUAGE]


def coding_problems(catalogued: list[tuple[str, str]]) -> list[str]:
    """Why the codes alone do not say what language the text is in ([] when they do)."""
    text = _unique(code for code, role in catalogued if role in TEXT_ROLES)
    usable = usable_text_codes(catalogued)
    if not text:
        return ["missing"]
    problems = []
    if "und" in text:
        problems.append("undetermined (und)")
    if "mul" in text and not [c for c in usable if c != "mul"]:
        problems.append("multiple (mul) without 041")
    if "smi" in usable:
        problems.append("collective smi")
    return problems


def record_text(record) -> str:
    """The record's own words (title, subtitle, summary, contents) that detection reads."""
    return " ".join(p.strip(" /:;,.=") for p in readings.values(record, "languages.text"))


EVIDENCE = ("publishers", "subjects", "series")
"""The kinds of evidence a record gives beside its text (readings `languages.publishers` ...)."""


def evidence_values(record) -> dict[str, list[str]]:
    """{publishers|subjects|series: texts, one a field}, in the order of each reading's tags."""
    record = readings.view(record)
    return {kind: [" ".join(hit.values) for hit in readings.hits(record, f"languages.{kind}")] for kind in EVIDENCE}


def too_little_to_judge(record, text: str) -> str | None:
    """Why detection should not judge this record's language ("not text", "too little text"), or None.

    The one rule for where a language may be guessed from the words: the language report's suggestions,
    the facet's detected languages and the contradiction check all pass through `record_languages`,
    which asks this first."""
    kind = readings.first(record, "record.type")
    if kind and kind not in TEXTUAL_TYPES:
        return "not text"
    names = {w.casefold() for value in readings.values(record, "languages.names") for w in _WORD.findall(value)}
    distinct = {w.casefold() for w in _WORD.findall(text)} - names
    needed = MIN_WORDS_SAMI if set(text) & SAMI_ONLY else MIN_WORDS
    return "too little text" if len(distinct) < needed else None


def record_evidence(record, source=None, catalogued=(), declared=()) -> RecordEvidence:
    source_id, source_name = _source_parts(source)
    values = evidence_values(record)
    country = readings.first(record, "languages.country")
    return RecordEvidence(
        source_id=source_id, source_name=source_name, declared=list(declared),
        catalogued=_unique(c for c, r in catalogued if r in TEXT_ROLES),
        publishers=values["publishers"], subjects=values["subjects"], series=values["series"],
        country=country.strip(" |") if len(country) == 3 else "")


def record_languages(record, source=None, detect: bool = True) -> RecordLanguages:
    """The record's languages: catalogued codes with roles, a detection where useful, the facet's codes."""
    source_id, _ = _source_parts(source)
    catalogued, declared, unknown, problems = read_codes(record, source_id)
    result = RecordLanguages(catalogued=catalogued, unknown=unknown, problems=problems)
    usable = usable_text_codes(catalogued)
    coding = coding_problems(catalogued)
    result.problems = _unique(coding + problems)
    result.effective = usable
    if not detect:
        return result

    text = record_text(record)
    if not text.strip():
        if coding:
            result.problems.append("no text to detect from")
        return result
    why_not = too_little_to_judge(record, text)
    if why_not is not None:
        if coding:
            result.problems.append(f"not detected: {why_not}")
        return result
    evidence = record_evidence(record, source, catalogued, declared)
    detection = langid.identify(text, evidence)
    if detection is None:
        return result
    if coding:
        result.detected = detection
        if (not usable or usable == ["smi"]) and detection.confidence >= FACET_CONFIDENCE:
            if usable == ["smi"] and not vocab.is_sami(detection.code):
                return result  # a collective smi is still better than a non-Sami guess
            result.effective = [detection.code]
            result.effective_is_detected = True
    elif langid.contradicts(detection, usable, text):
        result.detected = detection
        result.problems.append(f"contradicted by text (detected {detection.code})")
    return result
