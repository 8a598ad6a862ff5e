"""Every route in the URL map, fed hostile values for each of its converters, never answers 500.

The values are the ones that found the portal's unhandled errors: integers past 64 bits, characters an
IRI may not hold (`"`, space, `<`), a NUL, a newline, overlong values and dates past year 9999. The
routes come from `app.url_map` itself, so a route added later is fuzzed without anyone remembering to.
The app is the demo built by the real pipeline, so the linked-data routes reach a real graph store.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

HUGE_INTS = ("9223372036854775807", "9223372036854775808", "99999999999999999999999999", "0", "-1")
STRINGS = ('a"b', "a b", "a<b>", "a\x00b", "a\nb", "a\tb", "a\\b", "%", "..", "x" * 5000, "ø" * 300,
           "9999-12-31", "0000-00-00", "a.ttl", 'a"b.ttl', 'a"b.jsonld', "a.json", "\ud7ff", "a{b}c|d")
QUERIES = ("page=9223372036854775808", "page_size=-1", "lang=%00", "format=%0A", "q=" + "x" * 600,
           "filter=year:99999-", "filter=%00:%00", "library=%22", "source=%0A", "next=%0A",
           "from=9999-12-31&until=9999-12-31", "query=%00")
_ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _paths(app):
    """(rule, path) for every rule and every hostile value of each of its converters."""
    for rule in app.url_map.iter_rules():
        arguments = _ARGUMENT.findall(rule.rule)
        if not arguments:
            yield rule, rule.rule
            continue
        for converter, _name in arguments:
            values = HUGE_INTS if converter in ("int", "float") else (*STRINGS, *HUGE_INTS)
            for value in values:
                filled = _ARGUMENT.sub(lambda m: quote(value, safe="") if m.group(2) == _name
                                       else ("1" if m.group(1) in ("int", "float") else "x"), rule.rule)
                yield rule, filled


def _no_500(client, method: str, url: str):
    response = client.open(url, method=method)
    assert response.status_code < 500, (method, url, response.status_code)
    return response


def test_every_route_with_hostile_path_values(demo_app):
    client = demo_app.test_client()
    checked = 0
    for rule, path in _paths(demo_app):
        if rule.endpoint == "sparql.sparql":
            continue                     # a query is its own protocol, fuzzed by the SPARQL tests
        for method in sorted((rule.methods or set()) - {"OPTIONS", "HEAD"}):
            _no_500(client, method, path)
            checked += 1
    assert checked > 100


def test_every_get_route_with_hostile_query_parameters(demo_app):
    client = demo_app.test_client()
    for rule in demo_app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "sparql.sparql":
            continue
        path = _ARGUMENT.sub("x", rule.rule)
        for query in QUERIES:
            _no_500(client, "GET", f"{path}?{query}")


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_unknown_methods_on_every_route_are_405_not_csrf(demo_app, method):
    client = demo_app.test_client()
    for rule in demo_app.url_map.iter_rules():
        if method in (rule.methods or ()) or rule.endpoint == "static":
            continue
        path = _ARGUMENT.sub("x", rule.rule)
        response = client.open(path, method=method)
        if response.status_code == 404:
            continue                     # the value "x" names nothing; the method is checked on real paths
        assert response.status_code == 405, (method, path, response.status_code)
        assert "GET" in response.headers["Allow"] or "POST" in response.headers["Allow"]
