"""Odd files give correct text or a clear error per record, never silent garbage (issue 13).

pymarc's own test files are copied into tests/mapping/data/pymarc/ with pymarc's BSD licence (LICENSE
there). Other character sets are made from them by re-encoding the same text, so every case checks the
text that comes out, not only that something does.
"""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path

import pytest
from transform import marc_encoding
from transform.convert import convert_files
from transform.marcfiles import read_file

DATA = Path(__file__).parent / "data" / "pymarc"
CYRILLIC_TITLE = "Основы гидравлического расчета инженерных сетей"


def _single_byte(record_text_from: Path, codec: str, leader09: str = " ") -> bytes:
    """The CP1251 file's first record with its text in another single-byte set (same lengths)."""
    raw = record_text_from.read_bytes().split(b"\x1d")[0] + b"\x1d"
    data = raw.decode("cp1251").encode(codec)
    return data[:9] + leader09.encode() + data[10:]


def iso2709(fields: list[tuple[str, str]], codec: str, leader09: str = " ") -> bytes:
    """A record in ISO 2709 with its text in `codec` (pymarc always writes UTF-8)."""
    body, directory = b"", b""
    for tag, text in fields:
        data = text.replace("$", "\x1f").encode(codec) + b"\x1e"
        directory += f"{tag}{len(data):04d}{len(body):05d}".encode()
        body += data
    base = 24 + len(directory) + 1
    length = base + len(body) + 1
    leader = f"{length:05d}nam {leader09}22{base:05d} a 4500".encode()
    return leader + directory + b"\x1e" + body + b"\x1d"


def _latin1_record() -> bytes:
    data = iso2709([("001", "latin1-1"), ("100", "1 $aBjørnson, Bjørnstjerne"),
                    ("245", "10$aSynnøve Solbakken : en fortælling")], "latin-1")
    assert b"\xf8" in data and data[9:10] == b" "
    return data


def test_cp1251_is_recognised_and_read_as_cyrillic():
    items = list(read_file(DATA / "1251.dat"))
    assert len(items) == 6 and all(i.record is not None for i in items)
    assert items[0].record["245"]["a"] == CYRILLIC_TITLE
    assert items[0].record["100"]["a"] == "Ильина, Татьяна Николаевна"
    assert all(any("CP1251" in w for w in i.warnings) for i in items)


@pytest.mark.parametrize("codec,name", [("koi8_r", "KOI8-R"), ("cp866", "CP866")])
def test_koi8r_and_cp866_are_recognised(tmp_path, codec, name):
    path = tmp_path / f"{codec}.mrc"
    path.write_bytes(_single_byte(DATA / "1251.dat", codec))
    [item] = read_file(path)
    assert item.record is not None, item.error
    assert item.record["245"]["a"] == CYRILLIC_TITLE
    assert any(name in w for w in item.warnings)


def test_cyrillic_flagged_as_utf8_is_still_recognised(tmp_path):
    path = tmp_path / "flagged.mrc"
    path.write_bytes(_single_byte(DATA / "1251.dat", "cp1251", leader09="a"))
    [item] = read_file(path)
    assert item.record["245"]["a"] == CYRILLIC_TITLE
    assert any("although leader/09 says UTF-8" in w for w in item.warnings)


def test_utf8_without_the_leader_flag_keeps_its_diacritics():
    [flagged] = read_file(DATA / "utf8_with_leader_flag.dat")
    [unflagged] = read_file(DATA / "utf8_without_leader_flag.dat")
    assert unicodedata.normalize("NFC", unflagged.record["240"]["a"]) == unicodedata.normalize(
        "NFC", flagged.record["240"]["a"]) == "De la solitude à la communauté."
    assert any("valid UTF-8 although leader/09 says MARC-8" in w for w in unflagged.warnings)
    assert not flagged.warnings


def test_marc8_is_still_read_as_marc8():
    [item] = read_file(DATA / "marc8.dat")
    assert item.record is not None and not item.warnings
    assert "\ufffd" not in str(item.record)


def test_latin1_is_refused_with_the_guess_unless_named(tmp_path):
    path = tmp_path / "latin1.mrc"
    path.write_bytes(_latin1_record())
    [item] = read_file(path)
    assert item.record is None
    assert "ISO 8859-1" in item.error and "--encoding" in item.error and "(001 latin1-1)" in item.error
    [named] = read_file(path, encoding="latin-1")
    assert named.record["100"]["a"] == "Bjørnson, Bjørnstjerne"
    assert named.record["245"]["a"] == "Synnøve Solbakken : en fortælling"
    assert named.warnings == ["read as latin-1, as --encoding says"]


def test_unimarc_is_recognised_and_refused():
    [item] = read_file(DATA / "testunimarc.dat")
    assert item.record is None
    assert "UNIMARC" in item.error and "not MARC 21" in item.error


def test_a_bad_tag_costs_the_field_not_the_record():
    [item] = read_file(DATA / "bad_tag.xml")
    assert item.record is not None
    assert item.record["245"]["a"] == "The Untamed"
    assert any("invalid tag '42'" in w for w in item.warnings)


def test_damaged_utf8_bytes_are_reported(shared_data):
    [item] = read_file(shared_data / "ruby-marc" / "utf8_with_bad_bytes.marc")
    assert item.record is not None
    assert any("damaged byte" in w for w in item.warnings)
    assert any("U+FFFD" in w and "245" in w for w in item.warnings)


def test_guess_is_only_certain_on_clear_evidence():
    assert marc_encoding.guess(b"00000nam a22 plain ascii\x1d", "a").certain
    assert marc_encoding.guess(_latin1_record(), " ").encoding == "latin-1"
    assert not marc_encoding.guess(_latin1_record(), " ").certain


def test_convert_reports_every_odd_record_with_file_identifier_and_cause(tmp_path):
    latin = tmp_path / "latin1.mrc"
    latin.write_bytes(_latin1_record())
    files = [DATA / "1251.dat", DATA / "testunimarc.dat", DATA / "bad_tag.xml", latin]
    out, err = io.BytesIO(), io.StringIO()
    converted, bad = convert_files(files, out, err)
    report = err.getvalue()
    assert (converted, bad) == (7, 2)
    assert re.search(r"testunimarc\.dat: record 1: skipped: UNIMARC record", report)
    assert re.search(r"latin1\.mrc: record 1: skipped: \(001 latin1-1\) character set unclear: .*ISO 8859-1", report)
    assert "1251.dat: record 1 (001 ru03-000001RKP): warning: read as CP1251" in report
    assert "bad_tag.xml: record 1: warning: field with an invalid tag '42' skipped" in report
    nt = out.getvalue().decode("utf-8")
    assert CYRILLIC_TITLE in nt.encode("latin-1", "backslashreplace").decode("unicode_escape") or CYRILLIC_TITLE in nt


def test_a_bad_directory_tag_costs_that_field_only():
    [item] = read_file(DATA / "bad_indicator.dat")
    assert item.record is not None
    assert item.record["245"]["a"].startswith("Aristocrats of color")
    assert any("invalid tag '0 2' skipped" in w for w in item.warnings)


def test_every_pymarc_test_file_gives_text_or_a_clear_error():
    """No record comes out with replacement characters or mis-decoded text without a warning saying so."""
    for path in sorted(DATA.iterdir()):
        if path.name == "LICENSE":
            continue
        for item in read_file(path):
            if item.record is None:
                assert item.error and len(item.error) > 20, (path.name, item.position)
                continue
            text = str(item.record)
            if "\ufffd" in text or re.search("[\u0300-\u036f]{3}", text):
                assert item.warnings, (path.name, item.position, "damaged text without a warning")
