"""Genre/form and audience terms the portal shows, and how a record's description maps to them.

The search index reads them from the BIBFRAME description (`index/projection.map`), never from MARC:
the literary form the mapping tables keep as a coded `bf:GenreForm` (008/33, `bf:code`), the target
audience as an id.loc.gov audience IRI (008/22), and the free-text genre/form terms (655) and audience
notes (521) as catalogued (`data/genre_terms.tsv`). Coded values are strongest. Labels in nb, nn, se
and en come from `data/genres.tsv`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from vocab.tables import DATA, UI_LANGUAGES, read_tsv, ui_language

#: 008/33 literary form (books), the `bf:code` of the description's coded genre/form -> genre ids.
LITERARY_FORM = {"0": ["nonfiction"], "1": ["fiction"], "c": ["fiction", "comics"], "d": ["fiction", "drama"],
                 "e": ["essays"], "f": ["fiction", "novels"], "h": ["fiction", "humour"], "i": ["letters"],
                 "j": ["fiction", "short_stories"], "m": ["fiction"], "p": ["fiction", "poetry"],
                 "s": ["speeches"]}
#: Target audience as an id.loc.gov/vocabulary/maudience code (008/22 in the description) -> audience id.
MARC_AUDIENCE = {"pre": "children", "pri": "children", "pad": "children", "juv": "children",
                 "ado": "young_adult", "adu": "adult", "spe": "adult", "gen": "adult"}
_AGE = re.compile(r"(?:\b(?:fra|from|ages?|alder|over|yli)\s+(\d{1,2})"
                  r"|(\d{1,2})\s*(?:[-–]\s*\d{1,2}\s*)?(?:år|years?|vuotiaille|\+))", re.IGNORECASE)


@dataclass(frozen=True)
class Term:
    id: str
    kind: str
    labels: dict = field(default_factory=dict, compare=False, hash=False)
    needs_review: frozenset = frozenset()

    def label(self, ui_lang: str = "en") -> str:
        return self.labels.get(ui_language(ui_lang)) or self.labels["en"]


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, Term], list[tuple[re.Pattern, str]]]:
    terms = {row["id"]: Term(row["id"], row["kind"], {ui: row[ui] for ui in UI_LANGUAGES if row[ui]},
                             frozenset((row.get("review") or "").split()))
             for row in read_tsv(DATA / "genres.tsv")}
    free = []
    for row in read_tsv(DATA / "genre_terms.tsv"):
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
    return list(_from_text(text or ""))


@lru_cache(maxsize=8192)
def _from_text(text: str) -> tuple[str, ...]:
    """The same phrases recur in record after record (655 "Romaner", 521 "Fra 6 år"): matched once."""
    clean = unicodedata.normalize("NFC", text).lower()
    return tuple(term_id for regex, term_id in _tables()[1] if regex.search(clean))


def audience_from_age(text: str) -> str | None:
    """`Fra 6 år`, `6-9 år`, `Ages 12 and up`, `13+` -> children (<13), young_adult (13-17), adult."""
    match = _AGE.search(text or "")
    if not match:
        return None
    age = int(match.group(1) or match.group(2))
    return "children" if age < 13 else "young_adult" if age < 18 else "adult"


#: Genres that are kinds of fiction.
FICTION_KINDS = frozenset({"novels", "short_stories", "poetry", "drama", "comics", "folk_tales"})


def genres_of(literary_forms=(), terms=()) -> list[str]:
    """Genre ids of a description: its coded literary forms (008/33) first, then the genre ids its
    free-text genre/form terms (655) name; a novel, short story, poem, play, comic or folk tale is also
    fiction, and a catalogued genre of fiction outweighs 008/33 `0` ("not fiction", often left at its
    default: a collection of folk tales coded `0` and catalogued `655 Eventyr` is fiction)."""
    out: list[str] = []
    for code in literary_forms:
        out += [g for g in LITERARY_FORM.get(code, ()) if g not in out]
    for text in terms:
        out += [t for t in from_text(text) if get(t).kind == "genre" and t not in out]
    if set(out) & FICTION_KINDS:
        out = [g for g in out if g != "nonfiction"]
        if "fiction" not in out:
            out.insert(0, "fiction")
    return out


def audience_of(coded=(), terms=(), notes=(), genres=()) -> str | None:
    """The audience of a description, strongest first: a coded target audience (maudience codes, from
    008/22), a genre/form term naming one (655 "Barnebøker"), an audience note (521: an age such as
    "Fra 6 år", or a term); picture books without any of these are for children."""
    for code in coded:
        if code in MARC_AUDIENCE:
            return MARC_AUDIENCE[code]
    for text in terms:
        found = next((t for t in from_text(text) if get(t).kind == "audience"), None)
        if found:
            return found
    for text in notes:
        found = audience_from_age(text) or next((t for t in from_text(text) if get(t).kind == "audience"), None)
        if found:
            return found
    return "children" if "picture_books" in genres else None
