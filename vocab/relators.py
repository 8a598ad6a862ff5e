"""MARC relator codes and the free-text relator terms Norwegian and Finnish records carry in $e.

Data: `data/relators.tsv` (codes, labels in nb/nn/se/en) and `data/relator_terms.tsv` (term -> code).
An se label not yet written falls back to nb, as the data file's `review` column records.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from vocab.tables import DATA, UI_LANGUAGES, read_tsv, ui_language

_STRIP = " .,;:()[]"


@dataclass(frozen=True)
class Relator:
    code: str
    labels: dict = field(default_factory=dict, compare=False, hash=False)
    needs_review: frozenset = frozenset()

    def label(self, ui_lang: str = "en") -> str:
        ui = ui_language(ui_lang)
        if ui == "se" and not self.labels.get("se"):
            ui = "nb"
        return self.labels.get(ui) or self.labels["en"]


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, Relator], dict[str, str]]:
    relators = {}
    for row in read_tsv(DATA / "relators.tsv"):
        relators[row["code"]] = Relator(row["code"], {ui: row[ui] for ui in UI_LANGUAGES if row[ui]},
                                        frozenset((row.get("review") or "").split()))
    terms = {}
    for row in read_tsv(DATA / "relator_terms.tsv"):
        if row["code"] not in relators:
            raise ValueError(f"relator_terms.tsv: term {row['term']!r} maps to unknown code {row['code']!r}")
        terms[_clean(row["term"])] = row["code"]
    return relators, terms


def _clean(term: str) -> str:
    return unicodedata.normalize("NFC", term or "").strip(_STRIP).lower()


def get(code: str) -> Relator | None:
    return _tables()[0].get(_clean(code))


def label(code: str, ui_lang: str = "en") -> str:
    relator = get(code)
    return relator.label(ui_lang) if relator else (code or "")


def code_for_term(term: str) -> str | None:
    """The relator code for a free-text term ("forfatter", "overs.", "kääntäjä", "translator"), or None."""
    clean = _clean(term)
    if not clean:
        return None
    relators, terms = _tables()
    if clean in terms:
        return terms[clean]
    if clean in relators:  # a code written in $e
        return clean
    return None


def codes_for(subfield_e: list[str] | tuple[str, ...] = (), subfield_4: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Relator codes of an agent field: $4 codes first, then terms from $e (several may share one $e)."""
    out: list[str] = []
    for value in subfield_4:
        code = _clean(value).rsplit("/", 1)[-1]  # $4 may hold a relator URI
        if get(code) and code not in out:
            out.append(code)
    for value in subfield_e:
        for part in value.replace(" og ", ",").replace(" and ", ",").replace(" ja ", ",").split(","):
            code = code_for_term(part)
            if code and code not in out:
                out.append(code)
    return out


def relators() -> list[Relator]:
    return list(_tables()[0].values())
