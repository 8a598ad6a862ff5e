"""Filters and functions the templates share (numbers in the visitor's locale, safe JSON-LD, labels)."""

from __future__ import annotations

import json

from flask_babel import format_decimal
from markupsafe import Markup

from portal import labels


def jsonld(data) -> Markup:
    """JSON for a <script type="application/ld+json"> block: `<`, `>` and `&` escaped so that a MARC
    title holding `</script>` cannot close the block."""
    text = json.dumps(data, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def number(value) -> str:
    try:
        return format_decimal(int(value or 0))
    except (TypeError, ValueError):
        return str(value)


def init_app(app) -> None:
    app.jinja_env.filters["jsonld"] = jsonld
    app.jinja_env.filters["number"] = number

    @app.context_processor
    def _labels():
        return {"kind_label": lambda k: str(labels.KIND_LABELS.get(k, k)),
                "role_label": lambda r: str(labels.ROLE_LABELS.get(r, r)),
                "format_label": lambda f: labels.value_label("format", f)}
