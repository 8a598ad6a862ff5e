"""The cover a patron sees beside a title: the record's own, a configured cover service's, or a
typographic placeholder — never a broken image.

In that order: a picture the record itself links (856 whose $3 names a cover, read by the mapping into
`bf:coverArt`, projected as the document's `covers`); else the cover service configured as
`[portal] cover_url` with `{isbn}` (off by default: a county may have no agreement with one); else a
placeholder made of the title's first letter on one of a few calm colours (a class, since the CSP
allows no inline styles), chosen from the title so a title keeps its colour. Where a picture is named
it is drawn over the placeholder and removed if it fails to load (`portal.js`), so a dead link shows
the placeholder. Every list of titles (hits, work and agent pages, lists) can ask this module.
"""

from __future__ import annotations

import hashlib

from index.text import isbn_forms

#: Placeholder colours, as CSS classes `cover-hue-0` … (portal.css).
HUES = 8


def _isbn13(record: dict) -> str:
    for isbn in (record.get("identifiers") or {}).get("isbn") or ():
        for form in isbn_forms(isbn):
            if len(form) == 13 and form.isdigit():
                return form
    return ""


def cover(record: dict, pattern: str = "") -> dict:
    """{"url", "source": "record" | "service" | "", "initial", "hue"} for a record dict."""
    url, source = "", ""
    own = [u for u in record.get("covers") or () if u.startswith("https://")]
    if own:
        url, source = own[0], "record"
    elif pattern and "{isbn}" in pattern and _isbn13(record):
        url, source = pattern.replace("{isbn}", _isbn13(record)), "service"
    title = (record.get("title") or "").strip()
    initial = next((c for c in title if c.isalnum()), "")
    hue = int(hashlib.sha1(title.encode("utf-8")).hexdigest(), 16) % HUES
    return {"url": url, "source": source, "initial": initial.upper(), "hue": hue}
