"""The engine rejects mistakes in the tables at load time, naming file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from transform import engine
from transform.engine import MappingError

MAPPING = Path(engine.__file__).parent / "mapping"


@pytest.fixture
def tables(tmp_path):
    """A copy of the real mapping directory with one extra file the test writes."""
    target = tmp_path / "mapping"
    shutil.copytree(MAPPING, target)

    def write(text: str) -> Path:
        path = target / "zz-test.map"
        path.write_text(text, encoding="utf-8")
        return target
    return write


@pytest.mark.parametrize("text, line, message", [
    ('field 245 "t"\n  node bf:title bf:Title\n    $a bf:mainTitel\n', 3, "mainTitle"),
    ('field 245 "t"\n  $a bf:mainTitle | cleen\n', 2, "unknown step 'cleen'"),
    ('field 245 "t"\n  $a bf:language | map:no-such-list\n', 2, "unknown code list"),
    ('field 245 "t"\n  nodes bf:title bf:Title\n', 2, "unknown keyword 'nodes'"),
    ('field 245 "t"\n  use no-such-pattern\n', 2, "unknown pattern"),
    ('field 245 "t"\n  node bf:title bf:mainTitle\n    $a bf:mainTitle\n', 2, "is a property, a class"),
    ('field 245 "t"\n  $a foaf:name\n', 2, "unknown prefix"),
    ('field 245 "t"\n  $a bf:mainTitle\n  on work\n', 3, "first line"),
    ('field 2456 "t"\n  $a bf:mainTitle\n', 1, "three-digit tag"),
    ('fields 245\n', 1, "unknown top-level keyword"),
    ('field 245 "t"\n  when ind3 1\n', 2, "`when` needs"),
    ('field 245 "t"\n  $a bf:mainTitle\n  example\n    245 10 $a X\n', 3, "at least one expect"),
])
def test_mistakes_fail_at_load_with_file_and_line(tables, text, line, message):
    directory = tables(text)
    with pytest.raises(MappingError) as err:
        engine.load(directory)
    assert err.value.path.name == "zz-test.map"
    assert err.value.line == line
    assert message in str(err.value)
    assert f"zz-test.map:{line}:" in str(err.value)


def test_a_bad_code_list_value_fails_with_file_and_line(tmp_path):
    target = tmp_path / "mapping"
    shutil.copytree(MAPPING, target)
    (target / "codes" / "zz.tsv").write_text("# comment\na\tbf:Txet\n", encoding="utf-8")
    with pytest.raises(MappingError) as err:
        engine.load(target)
    assert err.value.line == 2 and "zz.tsv" in str(err.value)


def test_every_block_names_a_label_and_the_tables_cover_the_issue_list():
    tables = engine.load()
    required = {"LDR", "001", "003", "006", "007", "008", "010", "015", "016", "020", "022", "024", "035",
                "041", "100", "110", "111", "130", "210", "222", "240", "245", "246", "250", "260", "264",
                "300", "336", "337", "338", "490", "500", "505", "520", "521", "600", "610", "611", "630",
                "648", "650", "651", "655", "700", "710", "711", "720", "765", "773", "776", "780", "785",
                "787", "800", "830", "082", "084", "090", "856"}
    assert required <= set(tables.blocks)
    assert all(b.label for blocks in tables.blocks.values() for b in blocks)
    assert not set(tables.blocks) & set(tables.ignored)


def test_every_keyword_and_step_is_documented():
    readme = (MAPPING / "README.md").read_text(encoding="utf-8")
    for keyword in engine.KEYWORDS + ("field", "pattern", "ignore", "absent", "warns", "expect"):
        assert f"`{keyword}" in readme, keyword
    from transform import steps
    for name in list(steps.VALUE_STEPS) + list(steps.FIELD_STEPS):
        assert f"`{name}" in readme, name
