"""Every example written inside the mapping tables runs as a test, named after its file and line."""

from __future__ import annotations

import pytest

from transform import engine
from transform.examples import EXAMPLE_BASE, check, record_from_lines
from transform.convert import Converter

_TABLES = engine.load()
_EXAMPLES = _TABLES.examples()


def test_there_are_examples_for_the_core_fields():
    tags = {ex.tag for ex in _EXAMPLES}
    assert len(_EXAMPLES) >= 40
    assert {"008", "020", "041", "100", "245", "260", "264", "300", "650", "655", "082", "765"} <= tags


@pytest.fixture(scope="module")
def example_converter():
    return Converter(EXAMPLE_BASE)


@pytest.mark.parametrize("example", _EXAMPLES, ids=[f"{e.path.name}:{e.line}" for e in _EXAMPLES])
def test_mapping_example(example_converter, example):
    assert check(example_converter, example) == []


def test_a_wrong_expectation_is_reported(example_converter):
    wrong = engine.Example(_EXAMPLES[0].path, 1, "245", ["245 10 $a Moby Dick"],
                           [(2, "expect", "instance bf:title/bf:mainTitle", '"Moby-Dick"')])
    failures = check(example_converter, wrong)
    assert len(failures) == 1 and "Moby Dick" in failures[0]


def test_example_lines_build_a_record():
    record = record_from_lines(["LDR 00000ngm a2200000 a 4500", "008 990101s1999",
                                "245 1# $a Title : $b sub {dollar}5"])
    assert record.leader[6] == "g"
    assert len(record["008"].data) == 40
    assert record["245"].indicators == [" ", "1"] or tuple(record["245"].indicators) == ("1", " ")
    assert record["245"].get_subfields("b") == ["sub $5"]
