"""A record's languages: its codes first, detection from its own text only where the codes fail.

`record_languages(record)` reads 008/35-37 and every 041 subfield with its role, normalises the codes
through `vocab.languages`, and says which codes the language facet should use. Detection (see
`transform.langid`) runs only when `detect=True`; it never overwrites a catalogued code, it is kept as a
suggestion with confidence and evidence, and it feeds the facet only when no usable code exists.

With `detect=False` nothing but code reading happens (no model is loaded), so the converter can call
this for every record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from transform import langid
from transform.language_evidence import Detection, RecordEvidence
from vocab import languages as vocab

# 041 subfield -> role of the language it names (MARC 21 Bibliographic, field 041).
ROLES = {
    "a": "text", "b": "summary", "d": "sung_or_spoken", "e": "libretto", "f": "contents",
    "g": "accompanying", "h": "original", "i": "intertitles", "j": "subtitles", "k": "intermediate",
    "m": "original_accompanying", "n": "original_libretto", "p": "captions", "q": "accessible_audio",
    "r": "accessible_visual", "t": "transcript",
}
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

TEXT_SUBFIELDS = {"245": "abnp", "246": "ab", "520": "a", "505": "agt"}
"""The record's own text detection reads: title, subtitle, part; summary; contents notes."""

TEXTUAL_TYPES = frozenset("ati")
"""Leader/06 of records whose words are in the language the codes name: language material, manuscript
text, spoken-word recordings. Music (c d j), maps (e f), films (g), pictures (k), kits and objects (o r)
carry titles in the language of a work, a genre or a place ("String quartet in E minor", "Concerto
grosso"), which says nothing about the record's language."""
MIN_WORDS = 4
"""Different words, names aside, detection needs to judge a language ("Selena & Demi: forever friends" has
three, and came out Danish at 0.96)."""
NAME_FIELDS = ("100 110 111 600 610 611 700 710 711", "a")
"""Where a record names people and bodies: their words in a title are names, in no language."""
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

    f008 = record.get("008") if hasattr(record, "get") else None
    data = getattr(f008, "data", "") or ""
    if len(data) >= 38:
        add(data[35:38], "text")
    elif data:
        problems.append("short 008 (no language position)")
    for f in record.get_fields("041"):
        scheme = ""
        for sub in f.subfields:
            if sub.code == "2":
                scheme = sub.value.strip().lower()
        has_scheme = f.indicator2 == "7" or bool(scheme)
        for sub in f.subfields:
            role = ROLES.get(sub.code)
            if role is None:
                continue
            if has_scheme:
                add(sub.value, role, is_declared=True)
            else:
                for code in split_codes(sub.value):
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
    parts = []
    for tag, codes in TEXT_SUBFIELDS.items():
        for f in record.get_fields(tag):
            if tag == "246" and f.indicator2 in ("1", "9"):  # parallel titles are in another language
                continue
            parts.extend(sub.value for sub in f.subfields if sub.code in codes and sub.value)
    return " ".join(p.strip(" /:;,.=") for p in parts)


EVIDENCE_FIELDS = {"publishers": ("260 264", "b"), "subjects": ("600 610 650 651 655 690 691 692 695", "axyzv"),
                   "series": ("440 490 800 810 830", "a")}
"""Where a record names its publisher, subjects and series: (tags, subfield codes) per kind of evidence."""
_EVIDENCE_TAGS = {tag: (kind, codes) for kind, (tags, codes) in EVIDENCE_FIELDS.items() for tag in tags.split()}


def evidence_values(record) -> dict[str, list[str]]:
    """{publishers|subjects|series: texts}, in the order of EVIDENCE_FIELDS' tags, in one pass over the fields."""
    by_tag: dict[str, list[str]] = {}
    for f in record.fields:
        hit = _EVIDENCE_TAGS.get(f.tag)
        if hit is None or f.is_control_field():
            continue
        text = " ".join(s.value for s in f.subfields if s.code in hit[1] and s.value)
        if text:
            by_tag.setdefault(f.tag, []).append(text)
    return {kind: [text for tag in tags.split() for text in by_tag.get(tag, ())]
            for kind, (tags, _codes) in EVIDENCE_FIELDS.items()}


def too_little_to_judge(record, text: str) -> str | None:
    """Why detection should not judge this record's language ("not text", "too little text"), or None.

    The one rule for where a language may be guessed from the words: the language report's suggestions,
    the facet's detected languages and the contradiction check all pass through `record_languages`,
    which asks this first."""
    leader = str(getattr(record, "leader", "") or "")
    if len(leader) > 6 and leader[6] not in TEXTUAL_TYPES:
        return "not text"
    names = {w.casefold() for f in record.get_fields(*NAME_FIELDS[0].split())
             for value in f.get_subfields(*NAME_FIELDS[1]) for w in _WORD.findall(value)}
    distinct = {w.casefold() for w in _WORD.findall(text)} - names
    needed = MIN_WORDS_SAMI if set(text) & SAMI_ONLY else MIN_WORDS
    return "too little text" if len(distinct) < needed else None


def record_evidence(record, source=None, catalogued=(), declared=()) -> RecordEvidence:
    source_id, source_name = _source_parts(source)
    values = evidence_values(record)
    f008 = record.get("008")
    data = getattr(f008, "data", "") or ""
    return RecordEvidence(
        source_id=source_id, source_name=source_name, declared=list(declared),
        catalogued=_unique(c for c, r in catalogued if r in TEXT_ROLES),
        publishers=values["publishers"], subjects=values["subjects"], series=values["series"],
        country=data[15:18].strip(" |") if len(data) >= 18 else "")


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
