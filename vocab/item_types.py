"""Item (copy) types: the one home of what a copy's type is called, whether it may be lent at all, and how
the codes libraries send (Koha 952 $y, Mikromarc media groups) and a record's leader map onto it.

The circulation rules matrix resolves on these codes; the holdings profiles in `transform.holdings` read a
copy's own code or its record's leader and ask `from_code` / `from_leader` here, so the mapping is data
(`data/item_types.tsv`, `data/item_type_codes.tsv`), never a list in code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from vocab.tables import DATA, read_tsv, ui_language

DEFAULT = "book"


@dataclass(frozen=True)
class ItemType:
    code: str
    loanable: bool
    labels: dict = field(default_factory=dict, compare=False, hash=False)

    def label(self, ui_lang: str = "en") -> str:
        return self.labels.get(ui_language(ui_lang)) or self.labels["en"]


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, ItemType], list[tuple[str, str, str]]]:
    types, leader = {}, []
    for row in read_tsv(DATA / "item_types.tsv"):
        types[row["code"]] = ItemType(row["code"], row["loanable"] == "yes",
                                      {lang: row[lang] for lang in ("en", "nb", "nn", "se") if row.get(lang)})
        for key in (k.strip() for k in (row.get("leader") or "").split(",") if k.strip()):
            kind, _, level = key.partition(":")
            leader.append((kind, level, row["code"]))
    # the more specific leader keys (with a level) first
    leader.sort(key=lambda k: not k[1])
    return types, leader


@lru_cache(maxsize=1)
def _codes() -> dict[str, str]:
    types = _table()[0]
    out = {}
    for row in read_tsv(DATA / "item_type_codes.tsv"):
        if row["item_type"] not in types:
            raise ValueError(f"item_type_codes.tsv: {row['code']!r} maps to unknown item type {row['item_type']!r}")
        out[row["code"].strip().casefold()] = row["item_type"]
    return out


def codes() -> tuple[str, ...]:
    return tuple(_table()[0])


def get(code: str) -> ItemType:
    """The type of a code; an unknown code is the default `book` (data from outside may say anything)."""
    types = _table()[0]
    return types.get(code) or types[DEFAULT]


def label(code: str, ui_lang: str = "en") -> str:
    return get(code).label(ui_lang)


def from_code(code: str) -> str | None:
    """The item type a source's own code names (952 $y, a Mikromarc media group), None when unknown."""
    code = (code or "").strip().casefold()
    if not code:
        return None
    if code in _table()[0]:
        return code
    return _codes().get(code)


def from_leader(leader: str) -> str:
    """The item type a record's leader implies (leader/06 type of record, /07 level), `book` when none."""
    kind, level = (leader[6:7], leader[7:8]) if leader and len(leader) > 7 else ("", "")
    for k, lvl, code in _table()[1]:
        if k == kind and (not lvl or lvl == level):
            return code
    return DEFAULT
