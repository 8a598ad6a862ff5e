"""The addresses the portal writes into responses, and the numbers it reads from paths.

Absolute URLs (Atom `self` links and entry ids, JSON-LD `@id`s) are built from the configured
`base_uri`, never from the request's `Host` header: those responses are cached publicly, so a forged
Host would be served to every later visitor for as long as a cache keeps the response. The portal's
root is served at `base_uri` (the minted URIs `{base_uri}/instance/…` dereference there).

A redirect target that comes from the visitor (`next`) passes `local_path`, the one gate for all of
them. Browsers drop tabs and newlines from a URL and read `\\` as `/`, so `/<TAB>/evil.example` and
`/\\evil.example` reach them as `//evil.example`, another site; the check therefore refuses control
characters and backslashes outright instead of hoping a later layer strips them the same way, and
then accepts only a path this portal itself routes.

Path integers are bounded (`BoundedInteger`, registered as the app's `int` converter): a page number
past 64 bits would otherwise reach the database and overflow there instead of being a 404.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import current_app, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, RequestRedirect

_UNSAFE_IN_TARGET = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")
MAX_TARGET = 2000
#: Largest integer a route accepts (a signed 32-bit int: far past any page, safe in every database).
MAX_PATH_INT = 2**31 - 1


def absolute(path: str) -> str:
    """`path` (as `url_for` gives it) under the configured base URI."""
    return current_app.config["GRENSELOS_SETTINGS"].base_uri + path


def external_url(endpoint: str, **values) -> str:
    """`url_for(endpoint, …)` as an absolute URL under `base_uri`, whatever Host the request named."""
    return absolute(url_for(endpoint, **values))


def local_path(value: str | None, default: str) -> str:
    """`value` when it is a path this portal serves (with its query), else `default`."""
    if not value or len(value) > MAX_TARGET or _UNSAFE_IN_TARGET.search(value):
        return default
    if not value.startswith("/") or value.startswith("//"):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    try:
        current_app.url_map.bind("localhost").match(parts.path, method="GET")
    except RequestRedirect:
        pass                                  # a known route that only adds a trailing slash
    except HTTPException:
        return default
    return value


class BoundedInteger(IntegerConverter):
    """Werkzeug's `int` converter with a ceiling: a larger number matches no route (404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(map, fixed_digits=fixed_digits, min=min,
                         max=MAX_PATH_INT if max is None else max, signed=signed)


def init_app(app) -> None:
    """Register before any blueprint, so every `<int:…>` rule is compiled with the ceiling."""
    app.url_map.converters["int"] = BoundedInteger
