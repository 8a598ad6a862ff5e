"""Derives realistic search documents in bulk from real ones, for benchmarks and scale tests.

Each real document becomes a work with several editions (years, formats, ISBNs), held by libraries of
the county's municipalities (public and school libraries, with availability), with the county's
language mix (Norwegian first, Sami languages, Kven, Finnish, Russian, English). Deterministic per seed.
"""

from __future__ import annotations

import random
from typing import Iterable, Iterator

from index.document import Document, Holding

MUNICIPALITIES = (
    "Tromsø", "Alta", "Hammerfest", "Vadsø", "Kárášjohka", "Guovdageaidnu", "Harstad", "Senja", "Målselv",
    "Bardu", "Lyngen", "Storfjord", "Gáivuotna", "Nordreisa", "Skjervøy", "Loppa", "Hasvik", "Måsøy",
    "Nordkapp", "Porsanger", "Lebesby", "Gamvik", "Berlevåg", "Båtsfjord", "Vardø", "Sør-Varanger",
    "Unjárga", "Deatnu", "Balsfjord", "Karlsøy", "Kvænangen", "Salangen", "Lavangen", "Dyrøy", "Sørreisa",
    "Kvæfjord", "Ibestad", "Gratangen", "Tjeldsund", "Kautokeino skole",
)
LANGUAGE_MIX = (("nob", 55), ("eng", 14), ("nno", 5), ("sme", 6), ("fin", 5), ("swe", 3), ("rus", 3),
                ("dan", 2), ("smj", 1), ("sma", 1), ("fkv", 1), ("smn", 1), ("sms", 1), ("fit", 1), ("ger", 1))
FORMATS = (("book", 70), ("ebook", 10), ("audiobook", 8), ("video", 5), ("music", 4), ("journal", 3))
AUDIENCES = (("adult", 70), ("children", 20), ("young_adult", 10))


def _libraries() -> list[Holding]:
    out = []
    for m in MUNICIPALITIES:
        slug = m.lower().replace(" ", "-").replace("á", "a").replace("æ", "ae").replace("ø", "o").replace("å", "a")
        kind = "school" if "skole" in m else "public"
        out.append(Holding(slug, m.replace(" skole", ""), kind))
    return out


def _variant(obj, **changes):
    """`dataclasses.replace` for these frozen dataclasses without running their constructors again (a
    tenth of a profiled build went there); the cached JSON is not carried over."""
    new = object.__new__(type(obj))
    values = {k: v for k, v in obj.__dict__.items() if k != "_json"}
    values.update(changes)
    new.__dict__.update(values)
    return new


def _pick(rng: random.Random, table) -> str:
    values, weights = zip(*table)
    return rng.choices(values, weights)[0]


def derive(base: Iterable[Document], count: int, seed: int = 1, editions: tuple[int, int] = (1, 4)) -> Iterator[Document]:
    """`count` documents from the base ones, cycling through them; each base becomes works of editions.
    A re-iterable `base` (a list, or an object reading a file anew on each pass) is not held, so deriving
    a million documents from a cached file keeps one in memory at a time; a one-pass iterator is listed."""
    rng = random.Random(seed)
    libraries = _libraries()
    if iter(base) is base:
        base = list(base)
    made, cycle = 0, 0
    while made < count:
        before = made
        for b in base:
            work_id = f"{b.work_id}-{cycle}" if cycle else b.work_id
            n_editions = rng.randint(*editions)
            held_by = rng.sample(libraries, k=min(len(libraries), max(1, int(rng.paretovariate(1.2)))))
            language = b.languages[0] if b.languages and cycle == 0 else _pick(rng, LANGUAGE_MIX)
            for e in range(n_editions):
                if made >= count:
                    return
                year = (b.year or rng.randint(1950, 2024)) + (e * rng.randint(1, 15) if e else 0)
                holdings = tuple(_variant(h, items=rng.randint(1, 4), available=rng.randint(0, 2))
                                 for h in rng.sample(held_by, k=rng.randint(1, len(held_by))))
                yield _variant(
                    b, id=f"{b.id}-{cycle}-{e}", work_id=work_id, year=min(year, 2026),
                    languages=(language,) + tuple(l for l in b.languages[1:2] if l != language),
                    formats=(_pick(rng, FORMATS),), audiences=(_pick(rng, AUDIENCES),), holdings=holdings,
                    isbns=tuple(f"978{rng.randint(0, 10**9 - 1):09d}{rng.randint(0, 9)}" for _ in range(1)),
                    work_libraries=len(held_by), source=holdings[0].library)
                made += 1
        if made == before:   # an empty base derives nothing
            return
        cycle += 1
