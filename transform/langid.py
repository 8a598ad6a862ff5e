"""Language identification that knows the county's languages: langdetect plus Sami, Kven and Meänkieli.

n-grams come from langdetect with the profiles in `vocab/profiles/` (built by `vocab/build_profiles.py`),
loaded once into a private factory — the global one would be corrupted by a second `load_profile`,
and a private one lets the candidate set be restricted to languages plausible here (no Estonian or
Hungarian to swallow Sami text). Runs are deterministic (fixed seed).

n-grams cannot tell Kven from Finnish, and barely Lule or Southern from Northern Sami on a short title,
so `identify` adds evidence from the rest of the record (041 $2 codes, publisher, subjects, series, the
source library) as log-score bonuses from `vocab/data/language_evidence.tsv`, and says which evidence
decided. Kven and Meänkieli start with a small penalty: without evidence a Finnic text is Finnish.
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from transform.language_evidence import Detection, RecordEvidence
from vocab import languages as vocab
from vocab.tables import DATA, read_tsv

PROFILES = Path(vocab.__file__).resolve().parent / "profiles"
EVIDENCE = DATA / "language_evidence.tsv"
SEED = 0
FLOOR = 1e-4
"""Probability given to a language the n-grams ruled out, so strong evidence can still count."""
PRIORS = {"fkv": -4.6, "fit": -4.6}
"""Log-score penalties (about 1:100): Kven and Meänkieli win over Finnish only with evidence beyond
n-grams or overwhelming n-grams. Chosen a priori, not tuned on the test sentences."""
LENGTH_SCALE = 15.0
"""langdetect's posteriors are near 0 or 1 even for three words, so confidence is discounted by the
number of letters: factor 1 - exp(-letters / LENGTH_SCALE) (10 letters 0.49, 30 letters 0.86, 60 0.98)."""
NON_LATIN = frozenset({"rus", "ukr", "bel", "bul", "mac", "srp", "chi", "jpn", "kor", "ara", "per", "urd",
                       "heb", "yid", "gre", "geo", "arm", "hin", "tha", "amh", "tir", "tam", "pan", "ben"})
"""Languages catalogued under a Latin transliterated title (245) are not contradicted by its n-grams."""
NEEDS_EVIDENCE = frozenset({"fkv", "fit"})
"""Never chosen on n-grams alone (Kven and Meänkieli share most n-grams with Finnish): without a
publisher, subject, series, source or 041 $2 hint the Finnic answer is Finnish, and the evidence says
that the n-grams leaned the other way, so a librarian can still see it."""
FAMILIES = (frozenset({"nor", "nob", "nno", "dan"}), frozenset({"fin", "fkv", "fit"}),
            frozenset(vocab.SAMI_GROUP))
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Hint:
    kind: str
    pattern: str
    code: str
    weight: float
    regex: re.Pattern


class _Models:
    """The private langdetect factory and the evidence table, built once per process."""

    def __init__(self, profiles: Path = PROFILES):
        from langdetect.detector_factory import DetectorFactory
        files = sorted(p for p in profiles.iterdir() if p.is_file() and not p.name.startswith(("README", ".")))
        if not files:
            raise FileNotFoundError(f"{profiles}: no language profiles (run python -m vocab.build_profiles)")
        self.factory = DetectorFactory()
        self.factory.load_json_profile([p.read_text(encoding="utf-8") for p in files])
        self.factory.set_seed(SEED)
        self.codes = [vocab.normalize(name) or name for name in self.factory.langlist]
        self.hints = _load_hints()


def _load_hints() -> dict[str, list[Hint]]:
    hints: dict[str, list[Hint]] = {}
    for row in read_tsv(EVIDENCE):
        pattern = unicodedata.normalize("NFC", row["pattern"]).lower()
        regex = re.compile(r"(?<!\w)" + re.escape(pattern) + r"(?!\w)")
        hints.setdefault(row["kind"], []).append(
            Hint(row["kind"], pattern, row["code"], float(row["weight"]), regex))
    return hints


@lru_cache(maxsize=1)
def hint_table() -> dict[str, list[Hint]]:
    """The evidence table by kind, without loading the n-gram models (for deciding whether to detect)."""
    return _load_hints()


_models: _Models | None = None
_lock = threading.Lock()


def models() -> _Models:
    global _models
    if _models is None:
        with _lock:
            if _models is None:
                _models = _Models()
    return _models


def prepare(text: str) -> str:
    """NFC and lower case: langdetect ignores words in capitals, which would blind it to `SÁMI MÁNÁIDGIRJI`."""
    return unicodedata.normalize("NFC", text or "").lower().strip()


def ngram_scores(text: str) -> dict[str, float]:
    """langdetect's probability per candidate language; {} for text with no letters."""
    text = prepare(text)
    if not _WORD.search(text) or not any(ch.isalpha() for ch in text):
        return {}
    return _ngram_scores_cached(text)


@lru_cache(maxsize=4096)
def _ngram_scores_cached(text: str) -> dict[str, float]:
    from langdetect.lang_detect_exception import LangDetectException
    m = models()
    detector = m.factory.create()
    detector.append(text)
    try:
        detector._detect_block()  # all probabilities, not only those above langdetect's 0.1 cut
    except LangDetectException:
        return {}
    return {code: p for code, p in zip(m.codes, detector.langprob) if p > 0}


def evidence_hints(evidence: RecordEvidence | None) -> list[tuple[str, float, str]]:
    """(language or group, weight, why) for every piece of non-text evidence in the record."""
    if evidence is None:
        return []
    m = models()
    found: list[tuple[str, float, str]] = []
    fields = {"publisher": evidence.publishers, "subject": evidence.subjects, "series": evidence.series,
              "source_name": [evidence.source_name] if evidence.source_name else [],
              "source_id": [evidence.source_id] if evidence.source_id else []}
    for kind, values in fields.items():
        for value in values:
            text = prepare(value)
            for hint in m.hints.get(kind, ()):
                if hint.regex.search(text):
                    found.append((hint.code, hint.weight, f"{kind} '{value.strip()}' suggests {hint.code}"))
    for hint in m.hints.get("country", ()):
        if evidence.country and evidence.country.lower() == hint.pattern:
            found.append((hint.code, hint.weight, f"published in '{evidence.country}' (weak, {hint.code})"))
    for code in evidence.declared:
        found.append((code, 6.0, f"041 with $2 declares {code}"))
    return found


def _family(code: str) -> frozenset:
    for family in FAMILIES:
        if code in family:
            return family
    return frozenset({code})


def identify(text: str, evidence: RecordEvidence | None = None, *, min_confidence: float = 0.0
             ) -> Detection | None:
    """The most likely language of `text` given the record's other evidence, or None (no letters)."""
    probs = ngram_scores(text)
    if not probs:
        return None
    hints = evidence_hints(evidence)
    candidates = set(probs)
    for code, _, _ in hints:
        candidates |= set(vocab.SAMI_GROUP - {"smi"}) & set(models().codes) if code == "smi" else {code}
    scores = {}
    for code in candidates:
        score = math.log(probs.get(code, 0.0) + FLOOR) + PRIORS.get(code, 0.0)
        for hint_code, weight, _ in hints:
            if hint_code == code or (hint_code == "smi" and code in vocab.SAMI_GROUP):
                score += weight
        scores[code] = score
    best = max(sorted(scores), key=scores.get)
    leaned = None
    if best in NEEDS_EVIDENCE and not any(code == best for code, _, _ in hints):
        leaned = best
        finnic = {c: scores[c] for c in scores if c not in NEEDS_EVIDENCE}
        best = "fin" if "fin" in finnic else max(sorted(finnic), key=finnic.get)
        scores[best] = max(scores[best], scores[leaned])
    top = max(scores.values())
    total = sum(math.exp(s - top) for s in scores.values())
    letters = sum(ch.isalpha() for ch in text)
    confidence = (1.0 / total) * (1.0 - math.exp(-letters / LENGTH_SCALE))
    if confidence < min_confidence:
        return None
    ranked = sorted(probs.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    why = ["n-grams: " + ", ".join(f"{c} {p:.2f}" for c, p in ranked)]
    family = _family(best)
    if leaned:
        why.append(f"n-grams lean to {leaned}, but {leaned} needs evidence beyond n-grams")
    why += [w for code, _, w in hints
            if code == best or (code == "smi" and best in vocab.SAMI_GROUP) or code in family]
    return Detection(code=best, confidence=confidence, evidence=why)


def detect(text: str) -> str | None:
    """The language of a bare text by n-grams alone (no record evidence)."""
    result = identify(text)
    return result.code if result else None


def contradicts(detection: Detection, codes: list[str], text: str) -> bool:
    """Whether a detection should be shown to librarians as contradicting the catalogued codes.

    Titles are short, so only a confident detection of a different language family counts — or,
    within Finnic or Sami, a detection backed by evidence beyond n-grams (e.g. a Kven publisher on a
    record coded fin).
    """
    if not codes or detection.code in codes or "mul" in codes:
        return False
    if set(codes) & NON_LATIN and _mostly_latin(text):
        return False
    words = len(_WORD.findall(text))
    family = _family(detection.code)
    if any(c in family or (c == "smi" and detection.code in vocab.SAMI_GROUP) for c in codes):
        backed = len(detection.evidence) > 1
        return backed and detection.confidence >= 0.5
    return words >= 4 and detection.confidence >= 0.95


def _mostly_latin(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    latin = sum(1 for ch in letters if "LATIN" in unicodedata.name(ch, ""))
    return bool(letters) and latin * 2 > len(letters)
