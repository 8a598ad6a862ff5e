"""Filters and functions the templates share (numbers in the visitor's locale, safe JSON-LD, labels)."""

from __future__ import annotations

import json

from flask_babel import format_date, format_decimal
from markupsafe import Markup

from portal import circulation_text, labels, services, urls
from vocab import languages as vocab_languages


def jsonld(data) -> Markup:
    """JSON for a <script type="application/ld+json"> block: `<`, `>` and `&` escaped so that a MARC
    title holding `</script>` cannot close the block."""
    text = json.dumps(data, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def day_label(iso: str) -> str:
    """"2026-12-24" -> "torsdag 24. desember" in the visitor's locale (CLDR names, Sami included)."""
    from datetime import date
    try:
        return format_date(date.fromisoformat(iso), "EEEE d. MMMM")
    except ValueError:
        return iso


def month_label(iso: str) -> str:
    """"2027-05-31" -> "mai 2027": how long a deposit stays ("at Kirkenes until May"), month names as CLDR
    has them standing alone in the visitor's locale."""
    from datetime import date
    try:
        return format_date(date.fromisoformat(iso), "LLLL y")
    except ValueError:
        return iso


def machine_time(iso: str) -> str:
    """A stored timestamp as HTML's `datetime` attribute wants it: whole seconds (HTML allows at most three
    fraction digits; Python writes six)."""
    from datetime import datetime
    try:
        return datetime.fromisoformat(str(iso)).replace(microsecond=0).isoformat()
    except ValueError:
        return str(iso)


def number(value) -> str:
    try:
        return format_decimal(int(value or 0))
    except (TypeError, ValueError):
        return str(value)


def upper_first(value) -> str:
    """"nordsamisk" -> "Nordsamisk" for a name standing alone (Jinja's capitalize lowers the rest)."""
    text = str(value or "")
    return text[:1].upper() + text[1:]


def shown_roles(roles) -> list[str]:
    """Labels of a contributor's roles for a byline: every role but author, which a byline implies.
    Roles are relator codes, or {"code", "label"} dicts already labelled."""
    out = []
    for role in roles or ():
        code = role.get("code", "") if isinstance(role, dict) else role
        if code and code != "aut":
            out.append(role.get("label") or code if isinstance(role, dict) else labels.role_label(code))
    return out


def content_lang(codes) -> str:
    """The BCP 47 tag of a record's own language (its first), or "" when the vocabulary knows none."""
    for code in codes or ():
        return vocab_languages.bcp47(code) or ""
    return ""


def lang_attr(codes) -> Markup:
    """` lang="se"` for an element holding a record's title, summary or note, so a screen reader reads
    Sami as Sami and not with the interface language's pronunciation; nothing when the language is
    unknown (the surrounding language stands rather than a wrong claim)."""
    tag = content_lang(codes)
    return Markup(' lang="%s"') % tag if tag else Markup("")


def library_name(library_id: str) -> str:
    """A library's name as patrons know it (its id when the directory does not know it)."""
    found = services.libraries().by_id(library_id) if library_id else None
    return found.name if found is not None else (library_id or "")


def init_app(app) -> None:
    app.jinja_env.filters["jsonld"] = jsonld
    app.jinja_env.filters["upper_first"] = upper_first
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["shown_roles"] = shown_roles
    app.jinja_env.filters["day_label"] = day_label
    app.jinja_env.filters["month_label"] = month_label
    app.jinja_env.filters["machine_time"] = machine_time
    app.jinja_env.filters["absolute_url"] = urls.absolute

    @app.context_processor
    def _labels():
        return {"kind_label": lambda k: str(labels.KIND_LABELS.get(k, k)),
                "genre_label": lambda g: labels.value_label("genre", g),
                "format_label": lambda f: labels.value_label("format", f),
                "lang_attr": lang_attr, "content_lang": content_lang,
                "hold_status_text": circulation_text.hold_status_text, "library_name": library_name,
                "ill_patron_text": circulation_text.ill_patron_text}
