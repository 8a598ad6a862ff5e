"""Interface languages: Bokmål (default), Nynorsk, Northern Sami and English, through gettext catalogs.

The visitor's choice comes from `?lang=` (any page; then remembered in a cookie for a year), then the
cookie, then Bokmål. Browser Accept-Language is deliberately not used: a county portal's default is
Norwegian, and a Sami reader who picks Sami once keeps it.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import g, request
from flask_babel import Babel, get_locale

from portal.security import cookie_secure
from vocab import languages as vocab_languages

#: code → the language's own name, as the switcher shows it.
LANGUAGES = {
    "nb": "Norsk bokmål",
    "nn": "Norsk nynorsk",
    "se": "Davvisámegiella",
    "en": "English",
}
DEFAULT = "nb"
COOKIE = "lang"
COOKIE_AGE = 365 * 24 * 3600


def chosen_language() -> str:
    asked = request.args.get("lang", "")
    if asked in LANGUAGES:
        g.set_lang_cookie = asked
        return asked
    cookie = request.cookies.get(COOKIE, "")
    return cookie if cookie in LANGUAGES else DEFAULT


def current() -> str:
    try:
        return str(get_locale() or DEFAULT)
    except RuntimeError:
        return DEFAULT


def switch_url(code: str) -> str:
    """The current page in another language (keeps every other query parameter)."""
    args = [(k, v) for k, values in request.args.lists() for v in values if k != "lang"]
    args.append(("lang", code))
    return request.path + "?" + urlencode(args)


def language_label(code: str, ui_lang: str | None = None) -> str:
    """A content language's name in the interface language, from vocab/ when it has the code."""
    ui_lang = ui_lang or current()
    try:
        label = vocab_languages.label(code, ui_lang)
    except Exception:  # noqa: BLE001 - an unknown code must not break a page; show the code itself
        label = ""
    return label or code


def _remember(response):
    chosen = g.pop("set_lang_cookie", None)
    if chosen and request.cookies.get(COOKIE) != chosen:
        response.set_cookie(COOKIE, chosen, max_age=COOKIE_AGE, samesite="Lax", httponly=True,
                            secure=cookie_secure())
    return response


def init_app(app) -> None:
    Babel(app, locale_selector=chosen_language, default_locale=DEFAULT)
    app.after_request(_remember)

    @app.context_processor
    def _languages():
        lang = current()
        return {"ui_lang": lang, "ui_languages": LANGUAGES, "switch_url": switch_url,
                "language_label": language_label}
