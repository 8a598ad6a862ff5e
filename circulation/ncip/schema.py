"""Validation against NISO's NCIP 2.02 schema (vendored beside this module, see NOTICE.md).

Why validate our own messages: a peer that validates strictly refuses a message we thought was fine, and
finds out only in production; checking every message we send and answer against the schema turns that
into a failure in our tests. The schema is parsed once per process (it is 128 kB)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lxml import etree

SCHEMA_FILE = Path(__file__).with_name("ncip_v2_02.xsd")


@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_FILE)))


def errors(document: bytes | etree._Element) -> list[str]:
    """What the schema says is wrong with a message (empty: valid)."""
    root = document if isinstance(document, etree._Element) else etree.fromstring(document)
    schema = _schema()
    if schema.validate(root):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def is_valid(document: bytes | etree._Element) -> bool:
    return not errors(document)
