"""The merge rules: given the keys of two records from different libraries, same edition or not?

Finna's RecordManager rules, in the order a cataloguer would check them: a translation never merges
with its original, nor a book with a sound recording, nor two languages; a shared standard identifier
joins (unless the ISBN is known to be bad); otherwise the title/author key must agree and year, extent,
series, title and author must be close. Every outcome is a `Decision` naming its rule and the facts it
looked at, which is what `explain-cluster` prints.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

from rapidfuzz.distance import Levenshtein

from transform.cluster_keys import ClusterKeys, isbn13

PAGE_TOLERANCE = 10          # page counts further apart than this are different editions
TITLE_DISTANCE = 0.10        # reject at or above this share of edits in the title key
AUTHOR_DISTANCE = 0.20       # reject above this share of edits in the author heading
ISBN_MAX_TITLES = 4          # an ISBN carried by this many different title keys is treated as bad

#: Rules that join two records, and rules that keep them apart.
ACCEPT_RULES = ("isbn", "identifier", "title-author", "manual-join")
REJECT_RULES = ("translation", "format", "language", "isbn-title-conflict", "no-shared-key", "year",
                "extent", "series", "title-distance", "author-distance", "same-source", "manual-split")

PACKAGED_IGNORE_LIST = Path(__file__).with_name("data") / "isbn_ignore.txt"


@dataclass(frozen=True)
class Decision:
    accept: bool
    rule: str
    detail: str
    key: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def distance(a: str, b: str) -> int:
    """Levenshtein distance (insert, delete, substitute)."""
    return Levenshtein.distance(a, b)


def ratio(a: str, b: str) -> float:
    """Edits needed as a share of the longer string (0 same, 1 nothing in common)."""
    longest = max(len(a), len(b))
    return distance(a, b) / longest if longest else 0.0


def load_ignore_list(*paths: Path | str | None) -> frozenset[str]:
    """ISBNs never used as a merge key, from the packaged list and any local lists stacked on it.

    One ISBN per line in any form (10 or 13 digits, hyphens, qualifiers); `#` starts a comment.
    """
    out = set()
    for path in (PACKAGED_IGNORE_LIST, *paths):
        if path is None or not Path(path).is_file():
            continue
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            text = line.split("#", 1)[0].strip()
            if text and (isbn := isbn13(text)):
                out.add(isbn)
    return frozenset(out)


def _prefix_or_close(a: str, b: str) -> bool:
    if not a or not b:
        return True
    return a.startswith(b) or b.startswith(a) or ratio(a, b) <= 0.5


def compare(a: ClusterKeys, b: ClusterKeys, *, ignored: Iterable[str] = (),
            overused: Iterable[str] = ()) -> Decision:
    """Decide whether two records from different sources describe the same edition."""
    if (a.translation or b.translation) and a.language and b.language and a.language != b.language:
        which = a if a.translation else b
        return Decision(False, "translation",
                        f"a translation ({which.language}, from {which.original_language or 'another language'})"
                        " stays its own work, linked to the original")
    if a.format and b.format and a.format != b.format:
        return Decision(False, "format", f"type of record {a.format!r} vs {b.format!r} (leader/06)")
    if a.language and b.language and a.language != b.language:
        return Decision(False, "language", f"language {a.language} vs {b.language}")

    shared = sorted(set(a.isbns) & set(b.isbns))
    ignored, overused = set(ignored), set(overused)
    usable = [i for i in shared if i not in ignored and i not in overused]
    notes = [f"ISBN {i} is on the ignore list" for i in shared if i in ignored]
    notes += [f"ISBN {i} is shared by {ISBN_MAX_TITLES}+ different titles" for i in shared if i in overused]
    if usable:
        if not _prefix_or_close(a.short_title, b.short_title):
            return Decision(False, "isbn-title-conflict",
                            f"shared ISBN {usable[0]} but titles {a.short_title!r} and {b.short_title!r} differ",
                            key=f"isbn:{usable[0]}")
        return Decision(True, "isbn", f"shared ISBN {usable[0]}", key=f"isbn:{usable[0]}")
    shared_ids = sorted(set(a.identifiers) & set(b.identifiers))
    if shared_ids:
        return Decision(True, "identifier", f"shared identifier {shared_ids[0]}", key=f"id:{shared_ids[0]}")

    prefix = "; ".join(notes) + "; " if notes else ""
    if not a.title_author_key or a.title_author_key != b.title_author_key:
        return Decision(False, "no-shared-key", prefix + "no usable shared identifier and different "
                        "title/author keys")
    key = a.title_author_key
    if a.year and b.year and a.year != b.year:
        return Decision(False, "year", prefix + f"year {a.year} vs {b.year}", key=key)
    if a.pages is not None and b.pages is not None and abs(a.pages - b.pages) > PAGE_TOLERANCE:
        return Decision(False, "extent", prefix + f"{a.pages} vs {b.pages} pages (more than "
                        f"{PAGE_TOLERANCE} apart)", key=key)
    if a.series and b.series and not set(a.series) & set(b.series):
        return Decision(False, "series", prefix + f"series {list(a.series)} vs {list(b.series)}", key=key)
    title_ratio = ratio(a.title_key, b.title_key)
    if title_ratio >= TITLE_DISTANCE:
        return Decision(False, "title-distance", prefix + f"titles {a.title_key!r} and {b.title_key!r} differ "
                        f"by {title_ratio:.0%} (limit {TITLE_DISTANCE:.0%})", key=key)
    author_ratio = ratio(a.author, b.author)
    if a.author and b.author and author_ratio > AUTHOR_DISTANCE:
        return Decision(False, "author-distance", prefix + f"authors {a.author!r} and {b.author!r} differ by "
                        f"{author_ratio:.0%} (limit {AUTHOR_DISTANCE:.0%})", key=key)
    checks = [f"year {a.year or '?'}/{b.year or '?'}", f"pages {a.pages or '?'}/{b.pages or '?'}",
              f"title distance {title_ratio:.0%}", f"author distance {author_ratio:.0%}"]
    return Decision(True, "title-author", prefix + f"same title/author key {key}; " + ", ".join(checks),
                    key=key)
