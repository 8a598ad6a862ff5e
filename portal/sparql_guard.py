"""What the public SPARQL endpoint refuses to evaluate, decided from the parsed query.

The endpoint runs Oxigraph, which evaluates `SERVICE` by sending the sub-query over HTTP to any IRI the
query names: on a public endpoint that makes the server a proxy into its own network (SSRF) and a port
scanner. A text search for the keyword cannot be trusted to agree with the engine's reading of the
text (a prefixed name with an escaped quote, `ex:a\\'`, once made such a search take the rest of the
query for a string while Oxigraph still ran the `SERVICE`), so the decision is made on a parse:

1. `\\uXXXX` escapes are expanded first, as the SPARQL grammar says they are, so a keyword spelled with
   escapes is seen as the keyword.
2. The text is tokenised by the grammar's own terminals (IRIs, strings of all four kinds with their
   escapes, prefixed names with `PN_LOCAL_ESC`, variables, comments): a bare `SERVICE` token, and bracket
   nesting deeper than `MAX_NESTING` (a parser's stack is finite), are refused here.
3. The query is parsed by rdflib's SPARQL 1.1 grammar into its syntax tree, and refused if the tree holds
   a `ServiceGraphPattern` anywhere, or if it does not parse as a query at all (an update parses as an
   update and is refused as such). What rdflib cannot parse is not run: the check fails closed.

The parse runs where the query is evaluated (a worker process that is killed at the time limit, see
`portal.sparql_workers`), so a query that is slow to parse costs no web thread. As a last line, those
worker processes cannot open network sockets at all (`portal.sandbox`). The engine's own parser would be
the better judge, but pyoxigraph exposes neither its parser nor a switch for federation.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict

#: Deepest nesting of `{`, `(` and `[` accepted; real queries stay far below it, and parsers recurse per level.
MAX_NESTING = 48
#: Verdicts remembered per process, so a repeated query (the common case for national services) is parsed once.
CACHE_SIZE = 512


class QueryRefused(Exception):
    """The query will not be evaluated; `status` is the HTTP status, the message says why (no parser noise)."""

    def __init__(self, status: int, message: str, detail: str = "", kind: str = "failed"):
        super().__init__(message)
        self.status, self.message, self.detail, self.kind = status, message, detail, kind


FEDERATION_MESSAGE = "Federated queries (SERVICE) are not allowed on this endpoint."
UPDATE_MESSAGE = "This endpoint is read-only: SPARQL Update is not accepted."

_UNICODE_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")

# The grammar's terminals that can hide brackets or keywords (SPARQL 1.1, section 19.8).
_PN_CHARS_BASE = ("A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D"
                  "\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\U00010000-\U000EFFFF")
_PN_CHARS = _PN_CHARS_BASE + "_\\-0-9\u00B7\u0300-\u036F\u203F-\u2040"
_PLX = r"(?:%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])"
_TOKENS = re.compile(
    r"""(?P<space>\s+)
      | (?P<comment>\#[^\n\r]*)
      | (?P<long>'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''|\"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\")
      | (?P<string>'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
      | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
      | (?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
      | (?P<var>[?$][""" + _PN_CHARS + r"""]+)
      | (?P<pname>(?:[""" + _PN_CHARS_BASE + r"""](?:[""" + _PN_CHARS + r""".]*[""" + _PN_CHARS + r"""])?)?:
                  (?:(?:[""" + _PN_CHARS + r""":]|""" + _PLX + r""")(?:(?:[""" + _PN_CHARS + r""".:]|""" + _PLX
    + r""")*(?:[""" + _PN_CHARS + r""":]|""" + _PLX + r"""))?)?)
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<open>[{(\[])
      | (?P<close>[})\]])
      | (?P<other>.)""", re.X | re.S)


def expand_escapes(text: str) -> str:
    """`\\uXXXX` and `\\UXXXXXXXX` replaced by their characters, before any other reading (SPARQL 19.2)."""
    def one(match):
        try:
            return chr(int(match.group(1) or match.group(2), 16))
        except (ValueError, OverflowError):
            return match.group(0)
    return _UNICODE_ESCAPE.sub(one, text)


def scan(text: str) -> None:
    """Refuse a bare SERVICE keyword, and nesting past `MAX_NESTING`, from the grammar's tokens."""
    depth = 0
    for match in _TOKENS.finditer(text):
        kind = match.lastgroup
        if kind == "open":
            depth += 1
            if depth > MAX_NESTING:
                raise QueryRefused(400, f"The query nests brackets more than {MAX_NESTING} deep, "
                                        "deeper than this endpoint accepts.", kind="nesting")
        elif kind == "close":
            depth = max(0, depth - 1)
        elif kind == "word" and match.group().upper() == "SERVICE":
            raise QueryRefused(400, FEDERATION_MESSAGE, kind="federation")


def _contains_service(node, depth: int = 0) -> bool:
    """Walk rdflib's syntax tree (CompValue / ParseResults / lists) for a ServiceGraphPattern."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue
    if depth > 4 * MAX_NESTING + 50:          # the tree is bounded by the nesting check; refuse if not
        return True
    if isinstance(node, CompValue):
        if node.name == "ServiceGraphPattern":
            return True
        return any(_contains_service(value, depth + 1) for value in node.values())
    if isinstance(node, ParseResults | list | tuple):
        return any(_contains_service(value, depth + 1) for value in node)
    if isinstance(node, dict):
        return any(_contains_service(value, depth + 1) for value in node.values())
    return False


_cache: "OrderedDict[str, QueryRefused | None]" = OrderedDict()
_cache_lock = threading.Lock()
_parse_lock = threading.Lock()      # pyparsing's packrat cache is shared state; workers are single-threaded anyway


def check(text: str) -> None:
    """Raise QueryRefused unless `text` is a read-only query without federation; see the module docstring."""
    with _cache_lock:
        if text in _cache:
            _cache.move_to_end(text)
            verdict = _cache[text]
            if verdict is not None:
                raise verdict
            return
    verdict = _judge(text)
    with _cache_lock:
        _cache[text] = verdict
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    if verdict is not None:
        raise verdict


def _judge(text: str) -> QueryRefused | None:
    expanded = expand_escapes(text)
    try:
        scan(expanded)
    except QueryRefused as refused:
        return refused
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
    try:
        with _parse_lock:
            tree = parseQuery(text)
    except RecursionError:
        return QueryRefused(400, "The query is nested too deeply for this endpoint.", kind="nesting")
    except Exception as exc:  # noqa: BLE001 - pyparsing raises several kinds; all mean "not a query"
        try:
            with _parse_lock:
                parseUpdate(text)
        except Exception:  # noqa: BLE001
            return QueryRefused(400, "The query is not valid SPARQL 1.1.", _parser_detail(exc), kind="syntax")
        return QueryRefused(403, UPDATE_MESSAGE, kind="read_only")
    try:
        if _contains_service(tree):
            return QueryRefused(400, FEDERATION_MESSAGE, kind="federation")
    except RecursionError:
        return QueryRefused(400, "The query is nested too deeply for this endpoint.", kind="nesting")
    return None


def _parser_detail(exc: Exception) -> str:
    """The parser's own words, one line, bounded: shown as detail beside our message."""
    text = " ".join(str(exc).split())
    return text[:300]


def projection_order(text: str, names: list[str]) -> list[str]:
    """The answer's variables in the query's order: for `SELECT *` the engine lists them alphabetically
    (`o, p, s` for `?s ?p ?o`), where a reader expects them as the query first names them."""
    tokens = [(m.lastgroup, m.group()) for m in _TOKENS.finditer(expand_escapes(text))
              if m.lastgroup not in ("space", "comment")]
    star = False
    for n, (kind, value) in enumerate(tokens):
        if kind == "word" and value.upper() == "SELECT":
            rest = [v for _k, v in tokens[n + 1:n + 3]]
            star = "*" in rest[:1] or (rest[:1] and rest[0].upper() in ("DISTINCT", "REDUCED") and rest[1:] == ["*"])
            break
    if not star:
        return names
    wanted = set(names)
    ordered = list(dict.fromkeys(value[1:] for kind, value in tokens if kind == "var" and value[1:] in wanted))
    return ordered + [name for name in names if name not in ordered]
