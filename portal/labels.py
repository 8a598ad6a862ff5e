"""Labels for the values the portal shows: facet names, holding statuses, library kinds.

Kept in one place so every page and every interface language name a thing the same way. Content
language names come from vocab/ (through `portal.i18n.language_label`), relator roles from
`vocab.relators`, genres from `vocab.genres`.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from index.fields import SAMI
from portal import i18n
from portal.search_service import SAMI_GROUP
from vocab import genres, relators, statuses

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
    "contributor": _l("Person"),
}

KIND_LABELS = {
    "public": _l("Public library"),
    "school": _l("School library"),
    "national": _l("National library"),
    "digital": _l("Shared digital resources"),
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

SAMI_GROUP_LABEL = _l("All Sami languages")

#: Values of the availability filter: on a shelf now, or a shared digital resource (read or listen online).
AVAILABILITY_LABELS = {"true": _l("Available now"), "false": _l("Not available now"),
                       "digital": _l("Digital: read or listen online")}

#: Identifiers a patron can use, by their names (the same in every language). Other numbers (local,
#: national bibliography, publisher's) stay in the JSON, unnamed there too, and off the patron's page.
IDENTIFIER_LABELS = {"isbn": "ISBN", "issn": "ISSN"}


def identifier_rows(identifiers: dict) -> list[dict]:
    """[{"scheme", "label", "values"}] for the identifiers a record page names."""
    return [{"scheme": scheme, "label": label, "values": list(identifiers[scheme])}
            for scheme, label in IDENTIFIER_LABELS.items() if identifiers.get(scheme)]


def status_label(code: str) -> str:
    """A copy status in the interface language (labels live in `vocab/data/statuses.tsv`)."""
    return statuses.label(code, i18n.current())


def value_label(field: str, value: str, libraries=None) -> str:
    if field == "language" and value == SAMI_GROUP:
        return str(SAMI_GROUP_LABEL)
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
        return str(AVAILABILITY_LABELS.get(value, AVAILABILITY_LABELS["false"]))
    if field == "genre":
        return genres.label(value, i18n.current())
    if field == "year":
        return year_label(value)
    return value


def year_label(value: str) -> str:
    """`1990-1999` -> 1990–1999, `-1899` -> Before 1900, `2020-` -> 2020 and later, `2001` -> 2001."""
    low, sep, high = value.partition("-")
    if not sep or low == high:
        return low or high
    if not low:
        return str(_l("Before %(year)s", year=int(high) + 1)) if high.isdigit() else value
    if not high:
        return str(_l("%(year)s and later", year=low))
    return f"{low}–{high}"


def role_label(code: str) -> str:
    return relators.label(code, i18n.current())


def contributors(entries: list[dict]) -> list[dict]:
    """Contributors as every page and API shows them: [{"name", "id", "roles": [{"code", "label"}]}],
    the roles labelled in the interface language; `id` names the agent page ("" when there is none).
    Entries carry relator codes in `roles` (or roles already labelled: this is safe to apply twice)."""
    out = []
    for c in entries:
        codes = [r.get("code", "") if isinstance(r, dict) else r for r in c.get("roles") or ()]
        out.append({"name": c.get("name", ""), "id": c.get("id", ""),
                    "roles": [{"code": code, "label": role_label(code)} for code in codes if code]})
    return out


def is_sami(code: str) -> bool:
    """A Sami language code, or the collective `smi` (which the index also counts for every Sami language)."""
    return code in SAMI or code == "smi"
