"""Every error a visitor or a program can meet, in one shape, in the visitor's language.

HTML errors are friendly pages with a way back to search; JSON errors always have the same keys
(`ok`, `status`, `code`, `title`, `error`, and `parameter` for a bad parameter) so clients can rely on
them. Nothing of a traceback ever leaves the server: unexpected errors are logged and answered 500.

A search outage (`index.errors.SearchUnavailable`, whichever backend) is not unexpected: it is answered
503 `search_unavailable` with `Retry-After`, saying that search is down for a while and what still
works, as a library catalogue (Blacklight, VuFind) does when its Solr is away. Record pages do not get
here: they fall back to the record store (`portal.views.record`).
"""

from __future__ import annotations

from flask import g, jsonify, render_template, request
from flask_babel import gettext as _, lazy_gettext
from werkzeug.exceptions import HTTPException

from index.errors import SearchUnavailable

#: Seconds a client is asked to wait before asking again while search is unavailable.
RETRY_AFTER = 30


class PortalError(Exception):
    """Base of the errors the portal raises on purpose."""


class BadParameter(PortalError):
    """A query parameter the portal cannot use; answered 400 with which parameter and why."""

    def __init__(self, parameter: str, message, value: str | None = None):
        super().__init__(f"{parameter}: {message}")
        self.parameter, self.message, self.value = parameter, message, value


def _titles():
    return {
        400: lazy_gettext("Bad request"),
        401: lazy_gettext("Sign-in required"),
        403: lazy_gettext("Forbidden"),
        404: lazy_gettext("Page not found"),
        405: lazy_gettext("Method not allowed"),
        410: lazy_gettext("Gone"),
        413: lazy_gettext("Request too large"),
        429: lazy_gettext("Too many requests"),
        500: lazy_gettext("Something went wrong"),
        503: lazy_gettext("Service unavailable"),
    }


def _messages():
    return {
        400: lazy_gettext("The request could not be understood."),
        404: lazy_gettext("We could not find the page you asked for. It may have moved, or the address may "
                          "be mistyped."),
        405: lazy_gettext("This address does not accept that kind of request."),
        413: lazy_gettext("The request was too large."),
        500: lazy_gettext("An unexpected error happened on our side. It has been logged; please try again "
                          "later."),
    }


CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed", 410: "gone",
         413: "too_large", 429: "too_many_requests", 500: "internal_error", 503: "unavailable"}


def error_response(status: int, message: str | None = None, code: str | None = None,
                   parameter: str | None = None):
    title = str(_titles().get(status, _titles()[500] if status >= 500 else _titles()[400]))
    message = str(message or _messages().get(status, title))
    body = {"ok": False, "status": status, "code": code or CODES.get(status, "error"), "title": title,
            "error": message}
    if parameter:
        body["parameter"] = parameter
    json_wanted = g.get("format") == "json" or request.path.startswith("/api/") \
        or request.path.endswith(".json")
    if json_wanted:
        response = jsonify(body)
    else:
        from flask import make_response
        try:
            html = render_template("error.html", error=body)
        except Exception:  # the error page itself failed: plain text, still no traceback
            html = f"{status} {title}"
        response = make_response(html)
    response.status_code = status
    return response


def _bad_parameter(exc: BadParameter):
    return error_response(400, _("Invalid parameter %(name)s: %(message)s", name=exc.parameter,
                                 message=str(exc.message)), code="invalid_parameter", parameter=exc.parameter)


def _http_error(exc: HTTPException):
    if exc.code == 400 and exc.description == "csrf":
        return error_response(400, _("The form has expired or did not come from this site. Please go back, "
                                     "reload the page and try again."), code="csrf_failed")
    response = error_response(exc.code or 500)
    if exc.code == 405 and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def _search_unavailable(exc: SearchUnavailable):
    from flask import current_app
    current_app.logger.warning("search unavailable on %s %r: %s", request.method, request.path, exc)
    response = error_response(503, _("Search is unavailable for a short while. Record pages and library "
                                     "information still work; please try your search again in a few minutes."),
                              code="search_unavailable")
    response.headers["Retry-After"] = str(RETRY_AFTER)
    response.headers["Cache-Control"] = "no-store"
    return response


def _unexpected(exc: Exception):
    from flask import current_app
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500)


def init_app(app) -> None:
    app.register_error_handler(BadParameter, _bad_parameter)
    app.register_error_handler(SearchUnavailable, _search_unavailable)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
