"""Spelling suggestions from the index's own terms, shared by the backends that have no spellchecker
of their own (tantivy): each query word the index does not know is replaced by the known term
closest to it (Damerau-Levenshtein distance up to 2, the same first letter), the most frequent first.
"""

from __future__ import annotations

from typing import Callable, Iterable

from rapidfuzz.distance import DamerauLevenshtein

from index import text as textmod

MAX_DISTANCE = 2


def closest(word: str, candidates: Iterable[tuple[str, int]], limit: int = 3) -> list[str]:
    """Terms within MAX_DISTANCE of `word`, nearest first, then most documents."""
    scored = []
    for term, count in candidates:
        if term == word or abs(len(term) - len(word)) > MAX_DISTANCE:
            continue
        distance = DamerauLevenshtein.distance(word, term, score_cutoff=MAX_DISTANCE)
        if distance <= MAX_DISTANCE:
            scored.append((distance, -count, term))
    scored.sort()
    return [term for _d, _c, term in scored[:limit]]


def compose(words: list[str], alternatives: dict[str, list[str]], limit: int = 3) -> list[str]:
    """Whole-query suggestions: the query with each unknown word replaced by its n-th alternative."""
    options = [alternatives.get(w) or [w] for w in words]
    out = []
    for n in range(limit):
        choice = [o[min(n, len(o) - 1)] for o in options]
        line = " ".join(choice)
        if choice != words and line not in out:
            out.append(line)
    return out


def needs_checking(word: str) -> bool:
    return len(word) >= 3 and not word.isdigit()


def suggest(text: str, known: Callable[[str], bool], candidates: Callable[[str], Iterable[tuple[str, int]]],
            limit: int = 3) -> list[str]:
    """Suggestions for a query from a term dictionary: `known(word)` and `candidates(word)` ->
    (term, document count) pairs to choose from."""
    words = textmod.words(text)
    alternatives = {w: closest(w, candidates(w), limit) for w in words if needs_checking(w) and not known(w)}
    return compose(words, alternatives, limit)
