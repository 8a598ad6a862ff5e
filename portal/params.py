"""Validation of the search parameters every search page and the API accept.

Everything a visitor can type is bounded here, once, before it reaches a backend: the query's length,
the filter fields (a closed list), the sort keys, paging limits. A bad value is a 400 that names the
parameter, never a backend error or an empty page that hides the mistake.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l

from portal.errors import BadParameter
from portal.search_service import FILTER_FIELDS, SORTS, SearchRequest

MAX_QUERY = 500
MAX_FILTERS = 30
MAX_VALUE = 200
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
MAX_RESULT_WINDOW = 10_000          # deepest hit a visitor can page to, as in Solr/Elasticsearch
_YEAR = re.compile(r"^(\d{1,4})?-?(\d{1,4})?$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    return _CONTROL.sub("", unicodedata.normalize("NFC", value)).strip()


def _int(args, name: str, default: int, low: int, high: int) -> int:
    raw = args.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadParameter(name, _l("must be a whole number"), raw) from None
    if not low <= value <= high:
        raise BadParameter(name, _l("must be between %(low)s and %(high)s", low=low, high=high), raw)
    return value


def parse_filter(raw: str) -> tuple[str, str]:
    field, sep, value = raw.partition(":")
    field, value = field.strip(), clean_text(value)
    if not sep or not field or not value:
        raise BadParameter("filter", _l("must look like field:value"), raw)
    if field not in FILTER_FIELDS:
        raise BadParameter("filter", _l("unknown field %(field)s; known fields: %(known)s", field=field,
                                        known=", ".join(FILTER_FIELDS)), raw)
    if len(value) > MAX_VALUE:
        raise BadParameter("filter", _l("value is too long"), raw)
    if field == "year":
        match = _YEAR.match(value)
        if not match or not (match.group(1) or match.group(2)):
            raise BadParameter("filter", _l("a year filter looks like year:1990-2000"), raw)
    if field == "available" and value not in ("true", "false", "digital"):
        raise BadParameter("filter", _l("available is true, false or digital"), raw)
    return field, value


def search_request(args) -> SearchRequest:
    q = clean_text(args.get("q", ""))
    if len(q) > MAX_QUERY:
        raise BadParameter("q", _l("the search is too long (at most %(n)s characters)", n=MAX_QUERY))
    raw_filters = [f for f in args.getlist("filter") if f.strip()]
    if len(raw_filters) > MAX_FILTERS:
        raise BadParameter("filter", _l("too many filters (at most %(n)s)", n=MAX_FILTERS))
    filters = []
    for raw in raw_filters:
        pair = parse_filter(raw)
        if pair not in filters:
            filters.append(pair)
    sort = args.get("sort", "") or "relevance"
    if sort not in SORTS:
        raise BadParameter("sort", _l("unknown sort; use one of %(known)s", known=", ".join(SORTS)), sort)
    page_size = _int(args, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    page = _int(args, "page", 1, 1, MAX_RESULT_WINDOW)
    if (page - 1) * page_size >= MAX_RESULT_WINDOW:
        raise BadParameter("page", _l("too deep; narrow the search with filters instead"), str(page))
    return SearchRequest(q=q, filters=tuple(filters), sort=sort, page=page, page_size=page_size)
