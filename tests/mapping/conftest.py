"""Fixtures of the mapping tests: one Converter for the session, helpers to read shared MARC files."""

from __future__ import annotations

import pytest

from transform.convert import ConvertContext, Converter
from transform.marcfiles import read_file

BASE = "http://example.org"


@pytest.fixture(scope="session")
def converter() -> Converter:
    return Converter(BASE)


@pytest.fixture(scope="session")
def read(shared_data):
    """read(relative path) -> list of ReadRecord from /work/shared/data."""
    def _read(relative: str):
        return list(read_file(shared_data / relative))
    return _read


def convert(converter, item, source="test", **kw):
    return converter.convert(item.record, ConvertContext(source, item.record_id(), **kw))
