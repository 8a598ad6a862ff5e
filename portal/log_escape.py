"""One log record is one line: control characters in logged values are escaped, wherever they are logged.

A request path is the visitor's text: `/x%0A127.0.0.1 - - "GET /staff HTTP/1.1" 200` decodes to a
newline and a line that looks like another request, and an operator (or a log parser, or fail2ban)
would believe it. The escape is installed as the process's log record factory rather than as a filter
on some handlers, because the values arrive through loggers and handlers the portal does not own:
Werkzeug's request log adds its handler lazily, gunicorn configures its own, and a filter on a logger
is not consulted for records its children propagate to it. Every string argument of every record, and
the message itself, has C0/C1 control characters and Unicode line breaks replaced by a visible escape
(`\\n`, `\\x00`, `\\u2028`); a traceback attached to a record keeps its lines.
"""

from __future__ import annotations

import logging
import re

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape(text: str) -> str:
    """`text` with every character that could end or rewrite a log line made visible instead."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda m: _NAMED.get(m.group(), f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256
                                             else f"\\u{ord(m.group()):04x}"), text)


def _clean(value):
    return escape(value) if isinstance(value, str) else value


def _escaped_factory(previous):
    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        record.msg = _clean(record.msg)
        if isinstance(record.args, dict):
            record.args = {key: _clean(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_clean(value) for value in record.args)
        return record
    factory.escapes_control_characters = True
    return factory


def install() -> None:
    """Wrap the current log record factory once per process (creating many apps installs it once)."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "escapes_control_characters", False):
        logging.setLogRecordFactory(_escaped_factory(current))
