"""Genre/form and audience terms the portal shows, and how a MARC record maps to them.

Sources, strongest first: 008/33 (literary form) and 008/22 (target audience) for the record types that
carry them, then 655 genre/form terms and 521 audience notes as free text (`data/genre_terms.tsv`).
Labels in nb, nn, se and en come from `data/genres.tsv`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from vocab.languages import DATA, UI_LANGUAGES, _read_tsv, _ui

# 008/33 literary form (books) -> genre ids.
LITERARY_FORM = {"0": ["nonfiction"], "1": ["fiction"], "c": ["fiction", "comics"], "d": ["fiction", "drama"],
                 "e": ["essays"], "f": ["fiction", "novels"], "h": ["fiction", "humour"], "i": ["letters"],
                 "j": ["fiction", "short_stories"], "m": ["fiction"], "p": ["fiction", "poetry"],
                 "s": ["speeches"]}
# 008/22 target audience -> audience id.
TARGET_AUDIENCE = {"a": "children", "b": "children", "c": "children", "j": "children", "d": "young_adult",
                   "e": "adult", "f": "adult", "g": "adult"}
_AGE = re.compile(r"(?:\b(?:fra|from|ages?|alder|over|yli)\s+(\d{1,2})"
                  r"|(\d{1,2})\s*(?:[-–]\s*\d{1,2}\s*)?(?:år|years?|vuotiaille|\+))", re.IGNORECASE)


@dataclass(frozen=True)
class Term:
    id: str
    kind: str
    labels: dict = field(default_factory=dict, compare=False, hash=False)
    needs_review: frozenset = frozenset()

    def label(self, ui_lang: str = "en") -> str:
        return self.labels.get(_ui(ui_lang)) or self.labels["en"]


@dataclass
class Classification:
    genres: list[str] = field(default_factory=list)
    audience: str | None = None
    evidence: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, Term], list[tuple[re.Pattern, str]]]:
    terms = {row["id"]: Term(row["id"], row["kind"], {ui: row[ui] for ui in UI_LANGUAGES if row[ui]},
                             frozenset((row.get("review") or "").split()))
             for row in _read_tsv(DATA / "genres.tsv")}
    free = []
    for row in _read_tsv(DATA / "genre_terms.tsv"):
        if row["id"] not in terms:
            raise ValueError(f"genre_terms.tsv: {row['term']!r} maps to unknown id {row['id']!r}")
        free.append((re.compile(r"(?<!\w)" + re.escape(row["term"].lower()) + r"(?!\w)"), row["id"]))
    return terms, free


def get(term_id: str) -> Term | None:
    return _tables()[0].get(term_id)


def label(term_id: str, ui_lang: str = "en") -> str:
    term = get(term_id)
    return term.label(ui_lang) if term else term_id


def terms(kind: str | None = None) -> list[Term]:
    return [t for t in _tables()[0].values() if kind is None or t.kind == kind]


def from_text(text: str) -> list[str]:
    """Term ids named in a free-text genre or audience phrase."""
    clean = unicodedata.normalize("NFC", text or "").lower()
    return [term_id for regex, term_id in _tables()[1] if regex.search(clean)]


def audience_from_age(text: str) -> str | None:
    """`Fra 6 år`, `6-9 år`, `Ages 12 and up`, `13+` -> children (<13), young_adult (13-17), adult."""
    match = _AGE.search(text or "")
    if not match:
        return None
    age = int(match.group(1) or match.group(2))
    return "children" if age < 13 else "young_adult" if age < 18 else "adult"


def _has_literary_form(leader: str) -> bool:
    return len(leader) > 7 and leader[6] in "at" and leader[7] in "acdm"


def classify(record) -> Classification:
    """Genres and audience of a pymarc record, with where each came from."""
    out = Classification()
    leader = str(record.leader or "")
    f008 = record.get("008")
    data = getattr(f008, "data", "") or ""
    if len(data) >= 34 and _has_literary_form(leader) and data[33] in LITERARY_FORM:
        out.genres += LITERARY_FORM[data[33]]
        out.evidence.append(f"008/33 {data[33]!r}")
    if len(data) >= 23 and leader[6:7] in "acdegijkmot" and data[22] in TARGET_AUDIENCE:
        out.audience = TARGET_AUDIENCE[data[22]]
        out.evidence.append(f"008/22 {data[22]!r}")
    for f in record.get_fields("655"):
        text = " ".join(f.get_subfields("a", "v"))
        for term_id in from_text(text):
            term = get(term_id)
            if term.kind == "genre" and term_id not in out.genres:
                out.genres.append(term_id)
                out.evidence.append(f"655 {text!r}")
            elif term.kind == "audience" and out.audience is None:
                out.audience = term_id
                out.evidence.append(f"655 {text!r}")
    if out.audience is None:
        for f in record.get_fields("521"):
            text = " ".join(f.get_subfields("a"))
            found = audience_from_age(text) or next((t for t in from_text(text) if get(t).kind == "audience"), None)
            if found:
                out.audience = found
                out.evidence.append(f"521 {text!r}")
                break
    if "picture_books" in out.genres and out.audience is None:
        out.audience = "children"
    if "fiction" not in out.genres and set(out.genres) & {"novels", "short_stories", "poetry", "drama", "comics"}:
        out.genres.insert(0, "fiction")
    return out
