"""Curated lists as data: what a list is, when it is up, and which text a reader in a language gets.

A list is written in one or more of the portal's languages; the first it was written in is its own, and
a reader whose language the list lacks gets that one (with its language, so a page can mark it with
`lang`). A list is "up" between `publish_at` and `unpublish_at`: a publication date in the future is a
scheduled list, no `publish_at` a draft. Each title may carry its own blurb per language, with the same
fallback. Nothing here knows about HTTP or the search index: `lists.store` reads and writes these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from core.clock import aware, now as now_utc
from lists.errors import ListError
from vocab.tables import UI_LANGUAGES

#: Audience tags, the ones a librarian chooses from (school levels after the Norwegian school system).
AUDIENCES = ("children", "young-adults", "adults", "school-1-4", "school-5-7", "school-8-10", "upper-secondary")
MAX_ITEMS = 500
MAX_TITLE = 300
MAX_BLURB = 4000
MAX_TAG = 64


@dataclass(frozen=True)
class Text:
    """A text and the language it is in (which may not be the reader's, when it fell back)."""
    text: str
    lang: str

    def __bool__(self) -> bool:
        return bool(self.text)


def pick(texts: dict, languages: tuple[str, ...], wanted: str) -> Text:
    """The text in `wanted`, else in the list's first language, else in any language it has."""
    for lang in (wanted, *languages, *UI_LANGUAGES):
        value = (texts or {}).get(lang)
        if value:
            return Text(value, lang)
    return Text("", wanted)


@dataclass(frozen=True)
class Item:
    record_id: str
    position: int
    blurbs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class CuratedList:
    id: int
    languages: tuple[str, ...]
    titles: dict
    blurbs: dict
    owners: tuple[str, ...]
    audiences: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    campaign: str = ""
    campaign_date: date | None = None
    publish_at: datetime | None = None
    unpublish_at: datetime | None = None
    saved_search: str = ""
    origin: int | None = None
    origin_library: str = ""
    items: tuple[Item, ...] = ()
    item_count: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def title(self, lang: str) -> Text:
        return pick(self.titles, self.languages, lang)

    def blurb(self, lang: str) -> Text:
        return pick(self.blurbs, self.languages, lang)

    def item_blurb(self, item: Item, lang: str) -> Text:
        return pick(item.blurbs, self.languages, lang)

    def is_up(self, at: datetime | None = None) -> bool:
        at = at or now_utc()
        return (self.publish_at is not None and self.publish_at <= at
                and (self.unpublish_at is None or at < self.unpublish_at))

    def state(self, at: datetime | None = None) -> str:
        """draft | scheduled | published | ended"""
        at = at or now_utc()
        if self.publish_at is None:
            return "draft"
        if self.unpublish_at is not None and at >= self.unpublish_at:
            return "ended"
        return "published" if self.publish_at <= at else "scheduled"

    def owned_by(self, library: str) -> bool:
        return library in self.owners

    def as_dict(self) -> dict:
        """Every stored fact, for the staff JSON and the API (pages add what they derive)."""
        return {"id": self.id, "languages": list(self.languages), "title": dict(self.titles),
                "blurb": dict(self.blurbs), "owners": list(self.owners), "audiences": list(self.audiences),
                "themes": list(self.themes), "campaign": self.campaign,
                "campaign_date": self.campaign_date.isoformat() if self.campaign_date else None,
                "publish_at": _iso(self.publish_at), "unpublish_at": _iso(self.unpublish_at),
                "state": self.state(), "saved_search": self.saved_search, "origin": self.origin,
                "origin_library": self.origin_library,
                "items": [{"record": i.record_id, "position": i.position, "blurb": dict(i.blurbs)}
                          for i in self.items],
                "created_at": _iso(self.created_at), "updated_at": _iso(self.updated_at)}


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if value else None


# -- checking what a librarian (or a script) sent --------------------------------------------------------

def texts(value, what: str, limit: int) -> dict:
    """A {language: text} object with known languages and bounded, stripped texts (empty ones dropped)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ListError(what, "must be an object keyed by language (nb, nn, se, en)")
    out = {}
    for lang, text in value.items():
        if lang not in UI_LANGUAGES:
            raise ListError(what, f"unknown language {str(lang)[:10]!r}; use nb, nn, se or en")
        if text is None:
            continue
        if not isinstance(text, str):
            raise ListError(what, "each text must be a string")
        text = text.strip()
        if len(text) > limit:
            raise ListError(what, f"at most {limit} characters")
        if text:
            out[lang] = text
    return out


def tags(value, what: str, allowed: tuple[str, ...] | None = None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ListError(what, "must be a list of words")
    out = []
    for tag in value:
        tag = tag.strip().lower()
        if not tag:
            continue
        if len(tag) > MAX_TAG or " " in tag:
            raise ListError(what, f"a tag is one word of at most {MAX_TAG} characters")
        if allowed is not None and tag not in allowed:
            raise ListError(what, f"unknown value {tag[:20]!r}; use {', '.join(allowed)}")
        if tag not in out:
            out.append(tag)
    return tuple(out)


def when(value, what: str) -> datetime | None:
    """An ISO 8601 date or date-time (a date means its midnight UTC); None or "" for none."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise ListError(what, "must be a date (2027-02-06) or date and time (2027-02-06T08:00:00Z)")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ListError(what, "must be a date (2027-02-06) or date and time (2027-02-06T08:00:00Z)") from None
    return aware(parsed).astimezone(timezone.utc)


def day(value, what: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else _bad_day(what)
    except ValueError:
        return _bad_day(what)


def _bad_day(what: str):
    raise ListError(what, "must be a date such as 2027-02-06")


def record_ids(value, what: str = "items") -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ListError(what, "must be a list of record ids")
    out = []
    for entry in value:
        record = entry.get("record") if isinstance(entry, dict) else entry
        if not isinstance(record, str) or not record.strip() or len(record) > 512:
            raise ListError(what, "each item must be a record id (or {\"record\": id, \"blurb\": {...}})")
        if record.strip() not in out:
            out.append(record.strip())
    if len(out) > MAX_ITEMS:
        raise ListError(what, f"at most {MAX_ITEMS} titles in a list")
    return out


def languages_of(titles: dict, blurbs: dict, asked=None) -> tuple[str, ...]:
    """The list's languages: the ones asked for, else the order its texts came in (first: its own)."""
    order = list(tags(asked, "languages", UI_LANGUAGES)) if asked else []
    for lang in (*titles, *blurbs):
        if lang not in order:
            order.append(lang)
    return tuple(order) or ("nb",)
