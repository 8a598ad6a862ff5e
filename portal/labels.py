"""Labels for the values the portal shows: facet names, holding statuses, library kinds.

Kept in one place so every page and every interface language name a thing the same way. Content
language names come from vocab/ (through `portal.i18n.language_label`).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal import i18n
from portal.search_service import SAMI_LANGUAGES

FACET_LABELS = {
    "language": _l("Language"),
    "format": _l("Format"),
    "audience": _l("Audience"),
    "library": _l("Library"),
    "municipality": _l("Municipality"),
    "kind": _l("Kind of library"),
    "year": _l("Year"),
    "subject": _l("Subject"),
    "genre": _l("Genre"),
    "available": _l("Availability"),
}

KIND_LABELS = {
    "public": _l("Public library"),
    "school": _l("School library"),
    "national": _l("National library"),
}

STATUS_LABELS = {
    "available": _l("Available"),
    "on_loan": _l("On loan"),
    "in_transit": _l("In transit"),
    "reference": _l("Reference only"),
    "unknown": _l("Status unknown"),
}

FORMAT_LABELS = {
    "book": _l("Book"),
    "ebook": _l("E-book"),
    "journal": _l("Journal"),
    "audiobook": _l("Audiobook"),
    "music": _l("Music"),
    "video": _l("Film and video"),
    "map": _l("Map"),
    "score": _l("Sheet music"),
    "electronic": _l("Electronic resource"),
    "image": _l("Picture"),
    "object": _l("Object"),
    "mixed": _l("Mixed material"),
    "other": _l("Other"),
}

AUDIENCE_LABELS = {
    "adult": _l("Adults"),
    "young_adult": _l("Young people"),
    "children": _l("Children"),
}

SORT_LABELS = {
    "relevance": _l("Relevance"),
    "newest": _l("Newest first"),
    "title": _l("Title A–Å"),
}

ROLE_LABELS = {
    "author": _l("author"),
    "editor": _l("editor"),
    "translator": _l("translator"),
    "illustrator": _l("illustrator"),
    "contributor": _l("contributor"),
}


def value_label(field: str, value: str, libraries=None) -> str:
    if field == "language":
        return i18n.language_label(value)
    if field == "format":
        return str(FORMAT_LABELS.get(value, value))
    if field == "audience":
        return str(AUDIENCE_LABELS.get(value, value))
    if field == "kind":
        return str(KIND_LABELS.get(value, value))
    if field == "library" and libraries is not None:
        library = libraries.by_id(value)
        return library.name if library else value
    if field == "available":
        return str(_l("Available now")) if value == "true" else str(_l("Not available now"))
    return value


def is_sami(code: str) -> bool:
    return code in SAMI_LANGUAGES
