"""Atom 1.0 feeds of new titles (per language, per library), for feed readers and library web sites.

Built with lxml element by element, so every title, name and summary from MARC is escaped by the
serialiser and the output is always well-formed XML, whatever the records hold. Control characters that
XML 1.0 forbids are removed first (legacy MARC carries them). Entry ids are the records' public page
URLs (`/record/{source}-{record_id}`), which never change; an entry's date is when the record first arrived
in the catalogue, which is what "new in the library" means to a patron.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from lxml import etree

from vocab import languages as vocab_languages

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
MEDIA_TYPE = "application/atom+xml; charset=utf-8"


def _text(value) -> str:
    return _NOT_XML.sub("", str(value or ""))


def _date(value: datetime | None) -> str:
    value = value or datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sub(parent, name: str, text=None, **attrs):
    element = etree.SubElement(parent, f"{{{ATOM}}}{name}", {k: _text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = _text(text)
    return element


def build(*, feed_id: str, title: str, self_url: str, page_url: str, entries: list[dict], lang: str,
          subtitle: str = "") -> bytes:
    """entries: dicts with url, title, updated (datetime|None), authors, summary, languages, year."""
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
    feed.set(XML_LANG, lang)
    _sub(feed, "id", feed_id)
    _sub(feed, "title", title)
    if subtitle:
        _sub(feed, "subtitle", subtitle)
    _sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _sub(feed, "link", rel="alternate", type="text/html", href=page_url)
    _sub(feed, "generator", "Grenseløs")
    dates = [e.get("updated") for e in entries if e.get("updated")]
    _sub(feed, "updated", _date(max(dates) if dates else None))
    _sub(_sub(feed, "author"), "name", "Grenseløs")
    for entry in entries:
        element = _sub(feed, "entry")
        _sub(element, "id", entry["url"])
        tag = next((t for t in map(vocab_languages.bcp47, entry.get("languages") or []) if t), None)
        title = _sub(element, "title", entry.get("title") or entry["url"])
        if tag:         # the title and summary are in the record's language, not the feed's
            title.set(XML_LANG, tag)
        _sub(element, "link", rel="alternate", type="text/html", href=entry["url"])
        _sub(element, "updated", _date(entry.get("updated")))
        for name in entry.get("authors") or []:
            _sub(_sub(element, "author"), "name", name)
        for code in entry.get("languages") or []:
            _sub(element, "category", term=code, scheme="http://id.loc.gov/vocabulary/iso639-2")
        summary = entry.get("summary") or ""
        if summary:
            note = _sub(element, "summary", summary[:1000], type="text")
            if tag:
                note.set(XML_LANG, tag)
    return etree.tostring(feed, xml_declaration=True, encoding="utf-8", pretty_print=True)
