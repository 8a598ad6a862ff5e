"""Copy (item) statuses: the one home of what a status is called, how good it is for a patron, and what
it means to the outside world (schema.org ItemAvailability, NCIP circulation status, SIP2 circulation status).

Harvested holdings, the copies table, the circulation core, the search index, the record pages, the JSON
API and the linked data all speak these codes; nothing else may list them. The rows live in
`data/statuses.tsv` (best first) and the free-text words libraries send in `data/status_words.tsv`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from vocab.tables import DATA, read_tsv, ui_language

SCHEMA = "https://schema.org/"


@dataclass(frozen=True)
class Status:
    code: str
    rank: int
    available_now: bool
    schema_org: str
    ncip: str
    labels: dict = field(default_factory=dict, compare=False, hash=False)
    needs_review: frozenset = frozenset()
    #: The SIP2 item circulation status (message 18) kiosks and sorters read.
    sip2: str = "01"

    def label(self, ui_lang: str = "en") -> str:
        return self.labels.get(ui_language(ui_lang)) or self.labels["en"]

    @property
    def schema_org_iri(self) -> str:
        return SCHEMA + self.schema_org


@lru_cache(maxsize=1)
def _table() -> dict[str, Status]:
    out = {}
    for rank, row in enumerate(read_tsv(DATA / "statuses.tsv")):
        out[row["code"]] = Status(
            row["code"], rank, row["available_now"] == "yes", row["schema_org"], row["ncip"],
            {lang: row[lang] for lang in ("en", "nb", "nn", "se") if row.get(lang)},
            frozenset(x.strip() for x in (row.get("review") or "").split(",") if x.strip()), row["sip2"])
    return out


@lru_cache(maxsize=1)
def _words() -> dict[str, str]:
    table = _table()
    words = {}
    for row in read_tsv(DATA / "status_words.tsv"):
        if row["status"] not in table:
            raise ValueError(f"status_words.tsv: {row['word']!r} maps to unknown status {row['status']!r}")
        words[row["word"].strip().lower()] = row["status"]
    return words


UNKNOWN = "unknown"


def codes() -> tuple[str, ...]:
    """Every status code, best first."""
    return tuple(_table())


def get(code: str) -> Status:
    """The status of a code; an unknown code is `unknown`, never an error (data from outside may say anything)."""
    table = _table()
    return table.get(code) or table[UNKNOWN]


def rank(code: str) -> int:
    return get(code).rank


def best(codes_: list[str] | tuple[str, ...]) -> str:
    """The status a patron cares about most among several copies (`unknown` for none)."""
    return min(codes_, key=rank) if codes_ else UNKNOWN


def from_word(text: str) -> str:
    """A library's free-text status ("Utlånt", "on shelf.") → status code, `unknown` when not known."""
    if not text or not text.strip():
        return UNKNOWN
    return _words().get(text.strip().strip(".").strip().lower(), UNKNOWN)


def label(code: str, ui_lang: str = "en") -> str:
    return get(code).label(ui_lang)
