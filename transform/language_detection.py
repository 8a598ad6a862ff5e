"""Which records are worth running language identification on, and running it.

Detection costs about 1.5 ms a record (langdetect is pure Python) — more than the whole conversion — so
the pipeline runs it only where it can change something:

- the codes do not say the language: missing, `und`, `mul` without 041, or only the collective `smi`
  (`transform.languages.coding_problems`);
- the text or the record shows signs of a county language its codes do not name: letters only Sami
  orthographies use (ŋ ŧ đ ǥ ǩ ʒ ǯ, or č/š/ž together with á in a record not coded in a language that
  writes them), or a publisher, series or subject that `vocab/data/language_evidence.tsv` ties to a
  Sami language, Kven or Meänkieli the record is not coded in.

Everything else keeps its catalogued codes without a look at the text; `grenselos languages --report`
checks every record when a librarian wants the full picture. The source library alone never triggers
detection (a Sami library holds Norwegian books too).
"""

from __future__ import annotations

from functools import lru_cache

from transform.languages import (SAMI_LIKELY, SAMI_ONLY, RecordLanguages, coding_problems, evidence_values,
                                 record_languages, record_text, usable_text_codes)
from transform import langid
from vocab import languages as vocab

CARON = frozenset("čšžČŠŽ")
ACUTE_A = frozenset("áÁ")
WRITES_CARON = frozenset({"cze", "slo", "hrv", "srp", "slv", "bos", "lit", "lav", "vie", "est", "fin", "mac",
                          "hsb", "dsb", "rom", "lat"})
"""Codes whose orthographies (or transliterations) use đ or č/š/ž with á: no Sami signal there."""
HINT_KINDS = ("publisher", "series", "subject")


@lru_cache(maxsize=1)
def _hints() -> dict:
    return {kind: hints for kind, hints in langid.hint_table().items() if kind in HINT_KINDS}


def _covered(code: str, codes: list[str]) -> bool:
    if code in codes:
        return True
    return code == "smi" and any(vocab.is_sami(c) for c in codes)


def detection_reason(record, langs: RecordLanguages, source=None) -> str | None:
    """Why the record's language should be detected, or None when its codes can stand unchecked."""
    coding = coding_problems(langs.catalogued)
    if coding:
        return coding[0]
    codes = usable_text_codes(langs.catalogued)
    if not any(vocab.is_sami(c) for c in codes):
        letters = set(record_text(record))
        if letters & SAMI_ONLY:
            return "Sami letters in the text"
        if not WRITES_CARON & set(codes) and (letters & SAMI_LIKELY or (letters & CARON and letters & ACUTE_A)):
            return "Sami letters in the text"
    found = evidence_values(record)
    values = {"publisher": found["publishers"], "series": found["series"], "subject": found["subjects"]}
    hints = _hints()
    for kind in HINT_KINDS:
        for value in values[kind]:
            text = langid.prepare(value)
            for hint in hints.get(kind, ()):
                if hint.pattern in text and hint.regex.search(text) and not _covered(hint.code, codes):
                    return f"{kind} '{value.strip()}' suggests {hint.code}"
    return None


def check(record, langs: RecordLanguages, source=None) -> tuple[str, RecordLanguages] | None:
    """(reason, the record's languages with detection) for a record that needs it, else None."""
    reason = detection_reason(record, langs, source)
    if reason is None:
        return None
    try:
        return reason, record_languages(record, source, detect=True)
    except Exception as exc:  # noqa: BLE001 - a failed detection must not cost the record its conversion
        langs.problems.append(f"detection failed: {type(exc).__name__}: {exc}")
        return reason, langs
