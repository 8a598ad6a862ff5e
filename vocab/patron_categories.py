"""Patron categories as other systems export them: the borrower-group codes and words of a Mikromarc
export (or any old system's) → the circulation core's categories (`circulation.tables.CATEGORIES`).

The mapping is data (`data/patron_category_codes.tsv`, with its sources in the file's header), so a library
leaving Mikromarc adds its own groups there instead of editing code; an unlisted group is refused with its
code by the import, never put in a guessed category.
"""

from __future__ import annotations

from functools import lru_cache

from vocab.tables import DATA, read_tsv

#: The categories the circulation core knows (its `patron_categories` table's rows; `circulation.tables`).
CATEGORIES = ("adult", "child", "pupil", "staff", "ill-library")


@lru_cache(maxsize=1)
def _codes() -> dict[str, str]:
    out = {}
    for row in read_tsv(DATA / "patron_category_codes.tsv"):
        if row["category"] not in CATEGORIES:
            raise ValueError(f"patron_category_codes.tsv: {row['code']!r} maps to unknown category "
                             f"{row['category']!r}")
        out[row["code"].strip().casefold()] = row["category"]
    return out


def from_code(code: str) -> str | None:
    """The category an exported borrower group names, None when nobody has mapped it."""
    code = (code or "").strip().casefold()
    if not code:
        return None
    if code in CATEGORIES:
        return code
    return _codes().get(code)
