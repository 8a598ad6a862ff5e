"""`import` and `convert` read a damaged file the same way (issue 11, point 4): the same records, the same
refusals at the same positions with the same causes (naming the 001 where the bytes still show it), the
same repairs.

Both go through `harvest.reader`; this test checks the two commands end to end, so a stage that read
files its own way again (or dropped or rewrote a cause) would fail here. The store is SQLite: the reading,
not the database, is under test.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from core.settings import Source
from harvest.files import import_files
from harvest.store import RecordStore
from tests.mapping.test_odd_files import DATA, _latin1_record, _single_byte
from tests.peers.test_import import MALFORMED
from transform.convert import convert_files

#: Identity notes only the importer can make (it names records in its store); not part of the reading.
IMPORT_ONLY = re.compile(r"(^|; )(no 001: identifier .*?it changes if the export's order changes"
                         r"|001 '.*?' occurs \d+ times in .*? stored as \S+)")
ODD = {  # made like the odd-file fixtures of tests/mapping/test_odd_files.py
    "latin1.mrc": _latin1_record,
    "koi8r.mrc": lambda: _single_byte(DATA / "1251.dat", "koi8_r"),
    "cp866.mrc": lambda: _single_byte(DATA / "1251.dat", "cp866"),
    "cp1251-flagged-utf8.mrc": lambda: _single_byte(DATA / "1251.dat", "cp1251", leader09="a"),
}
PYMARC = sorted(p.name for p in DATA.iterdir() if p.name != "LICENSE")
SHARED = [m[0] for m in MALFORMED]


def through_import(path: Path, tmp_path: Path, encoding: str | None) -> dict:
    store = RecordStore(f"sqlite:///{tmp_path / 'records.sqlite'}")
    try:
        summary = import_files(store, Source(id="mm", name="x"), [path], encoding=encoding)
        refused = []
        for q in (q for q in store.quarantined("mm") if q["stage"] == "import"):
            found = re.match(r"(.*?), record (\d+)(?: \((.*?)\))?: (.*)", q["cause"], re.S)
            assert found and found.group(1) == q["location"] and (found.group(3) or None) == q["identifier"]
            refused.append((int(found.group(2)), q["identifier"] or "", found.group(4)))
        rows = list(store.iter_records("mm"))
        warned = sorted(IMPORT_ONLY.sub("", r.error).removeprefix("; ") for r in rows if r.error)
        holdings = sum(r.record_type == "holdings" for r in rows)
        return {"read": summary.records - holdings, "refused": sorted(refused),
                "warned": [w for w in warned if w]}
    finally:
        store.close()


def through_convert(path: Path, encoding: str | None) -> dict:
    out, err = io.BytesIO(), io.StringIO()
    converted, bad = convert_files([path], out, err, encoding=encoding)
    refused, warnings = [], {}
    for line in err.getvalue().splitlines():
        found = re.match(r"(.*?): record (\d+)(?: \(001 (.*?)\))?: (skipped|warning): (.*)", line)
        if not found:
            continue
        _, position, control, kind, text = found.groups()
        if kind == "skipped":
            named = re.match(r"\(001 (.*?)\) (.*)", text)
            refused.append((int(position), *((named.group(1), named.group(2)) if named else (control or "", text))))
        else:
            warnings.setdefault((position, control), []).append(text)
    return {"read": converted, "refused": sorted(refused),
            "warned": sorted("; ".join(w) for w in warnings.values())}


def same_outcome(path: Path, tmp_path: Path, encoding: str | None = None) -> dict:
    imported = through_import(path, tmp_path, encoding)
    converted = through_convert(path, encoding)
    assert imported == converted
    return imported


@pytest.mark.parametrize("name", PYMARC)
def test_pymarc_files_read_alike(name, tmp_path):
    outcome = same_outcome(DATA / name, tmp_path)
    assert outcome["read"] or outcome["refused"]          # nothing vanishes without a word


@pytest.mark.parametrize("name", sorted(ODD))
def test_odd_files_read_alike(name, tmp_path):
    path = tmp_path / name
    path.write_bytes(ODD[name]())
    outcome = same_outcome(path, tmp_path)
    if name == "latin1.mrc":          # a guess is refused by both, naming the guess and the 001
        [(position, control, cause)] = outcome["refused"]
        assert position == 1 and control == "latin1-1" and "ISO 8859-1" in cause and "--encoding" in cause
        (tmp_path / "named").mkdir()
        named = same_outcome(path, tmp_path / "named", encoding="latin-1")
        assert named == {"read": 1, "refused": [], "warned": []}
    else:                             # a certain Cyrillic code page is read, the set named as a repair
        assert outcome["read"] == 1 and not outcome["refused"]
        assert "read as" in outcome["warned"][0]


def test_unimarc_is_refused_by_both(tmp_path):
    outcome = same_outcome(DATA / "testunimarc.dat", tmp_path)
    assert outcome["read"] == 0 and "UNIMARC" in outcome["refused"][0][2]


@pytest.mark.parametrize("name", SHARED)
def test_shared_damaged_files_read_alike(name, shared_data, tmp_path):
    outcome = same_outcome(shared_data / name, tmp_path)
    assert outcome["read"] or outcome["refused"]
