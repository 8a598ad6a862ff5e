"""The ISO 2709 reader and the MARC-8 / code page decoders, on hand-built bytes and real damaged files."""

from __future__ import annotations

import pytest

from harvest import iso2709
from harvest.encodings import Charset, EncodingError, Marc8Decoder, declared_charset
from harvest.errors import MarcError
from harvest.marcdata import ControlField, DataField


def record(fields: list[tuple[str, bytes]], leader9: str = " ", status: str = "n") -> bytes:
    """A well-formed ISO 2709 record from (tag, field bytes without terminator)."""
    directory, body = b"", b""
    for tag, data in fields:
        data += b"\x1e"
        directory += tag.encode() + b"%04d%05d" % (len(data), len(body))
        body += data
    base = 24 + len(directory) + 1
    length = base + len(body) + 1
    leader = f"{length:05d}{status}am{leader9}a22{base:05d}   4500".encode()
    leader = leader[:9] + leader9.encode() + leader[10:]
    return leader + directory + b"\x1e" + body + b"\x1d"


def test_marc8_basic_and_extended_cyrillic_with_escapes_kept_across_subfields():
    problems = []
    decoder = Marc8Decoder()
    assert decoder.decode(b"\x1b(NoDLUKE I RE[E\x1b(QJ\x1b(NA", problems) == "Одлуке и решења"
    assert decoder.decode(b"sUDA", problems) == "Суда"        # still Cyrillic: state lasts the field
    decoder.reset()
    assert decoder.decode(b"suda", problems) == "suda" and problems == []


def test_marc8_diacritic_moves_after_its_letter():
    problems = []
    text = Marc8Decoder().decode(b"Espa\xb4na F\xe8ornuft", problems)   # ANSEL: 0xE8 umlaut before the letter
    assert text == "Espa\u0131na Fo\u0308rnuft" or "Fo\u0308rnuft" in text
    assert problems == []


def test_marc8_eacc_and_space_inside_multibyte_mode():
    problems = []
    assert Marc8Decoder().decode(b"\x1b$1'Od'R{'`['_T\x1b(B", problems) == "窃听风云" and problems == []
    assert Marc8Decoder().decode(b"\x1b$1'Od 'R{\x1b(B", problems) == "窃 听" and problems == []


def test_marc8_errors_are_reported_not_printed(capsys):
    problems = []
    text = Marc8Decoder().decode(b"ok \x1b$1\x7b\x36\x39 \x1b$,", problems)
    assert "\ufffd" in text and text.startswith("ok ")
    assert any("not in EACC" in p for p in problems)
    assert any("incomplete MARC-8 escape" in p for p in problems)
    assert capsys.readouterr() == ("", "")


def test_code_page_override_and_unknown_code_page():
    problems = []
    assert Charset("CP866").decode("Никитенко".encode("cp866"), problems) == "Никитенко"
    assert Charset("cp1251").decode("Мурманск".encode("cp1251"), problems) == "Мурманск"
    assert problems == []
    with pytest.raises(EncodingError, match="unknown character set"):
        Charset("klingon-8")
    assert declared_charset("00000nam a2200000   4500") == "utf-8"
    assert declared_charset("00000nam  2200000   4500") == "marc-8"


def test_parse_utf8_record_and_nfc():
    data = record([("001", b"42"), ("245", "10\x1faSa\u0301mi girjjit".encode())], leader9="a")
    parsed = iso2709.parse(data)
    assert parsed.fields == [ControlField("001", "42"),
                             DataField("245", "1", "0", [("a", "Sámi girjjit")])]
    assert parsed.problems == []


def test_bad_utf8_is_replaced_and_reported():
    data = record([("001", b"1"), ("245", "00\x1faSámi \xc0 byte".encode("latin-1").replace(b"\xe1", "á".encode()))],
                  leader9="a")
    parsed = iso2709.parse(data)
    assert parsed.fields[1].subfields == [("a", "Sámi \ufffd byte")]
    assert parsed.problems == ["field 245: byte 0xC0 at byte 6 is not UTF-8 (bad bytes replaced by U+FFFD)"]


def test_leader_claims_utf8_but_data_is_marc8():
    data = record([("001", b"1"), ("245", b"00\x1faF\xe8ornuft och k\xe8ansla")], leader9="a")
    parsed = iso2709.parse(data)
    assert parsed.fields[1].subfields == [("a", "Förnuft och känsla")]
    assert parsed.problems == ["leader/09 says utf-8 but the data is marc-8; read as marc-8"]


def test_control_characters_and_bad_subfield_codes_are_named():
    data = record([("001", b"1"), ("245", b"00\x1faTitle\x1b\x1f\xe2x")], leader9="a")
    parsed = iso2709.parse(data)
    assert ("field 245: control character U+001B replaced by U+FFFD" in parsed.problems)
    assert any("subfield code byte 0xE2" in p for p in parsed.problems)


def test_broken_directory_and_non_numeric_tag_raise():
    good = record([("001", b"1"), ("245", b"00\x1faT")])
    broken = good[:30] + b"X" + good[31:]                    # a letter inside a directory length
    with pytest.raises(MarcError, match="non-numeric length or start"):
        iso2709.parse(broken)
    bad_tag = good[:24] + b"0 1" + good[27:]
    with pytest.raises(MarcError, match="not three letters or digits"):
        iso2709.parse(bad_tag)
    with pytest.raises(MarcError, match="too short"):
        iso2709.parse(b"00010nam")


def test_alphanumeric_tags_are_kept():
    parsed = iso2709.parse(record([("001", b"1"), ("FMT", b"BK"), ("LKR", b"  \x1faUP")]))
    assert parsed.fields[1:] == [ControlField("FMT", "BK"), DataField("LKR", " ", " ", [("a", "UP")])]


def test_chunks_resynchronise_after_a_wrong_length_and_junk():
    a = record([("001", b"a")])
    b = record([("001", b"b")])
    wrong = b"99999" + a[5:]                                 # leader length that points nowhere
    stream = wrong + b"\r\n\x00" + b"garbage" + b + b[:30]   # padding, junk, a good record, a truncated one
    got = list(iso2709.chunks(stream))
    assert [c.cause is None for c in got] == [True, False, True, False]
    assert got[0].note.startswith("leader says 99999 bytes")
    assert got[1].cause.startswith("no record leader here") and got[1].data == b"garbage"
    assert iso2709.parse(got[2].data).control("001") == "b"
    assert got[3].cause.startswith("truncated") and got[3].offset == len(stream) - 30


def test_missing_terminator_is_cut_at_the_stated_length():
    a = record([("001", b"a")])[:-1] + b"\x1e"               # terminator replaced
    b = record([("001", b"b")])
    got = list(iso2709.chunks(a + b))
    assert [c.note for c in got] == ["record terminator missing", None]


def test_real_files_with_damaged_structure(shared_data):
    data = (shared_data / "marc4j/pride-and-prejudice-with-many-errors.mrc").read_bytes()
    got = list(iso2709.chunks(data))
    assert len(got) == 383 and all(c.cause is None for c in got)
    short = [iso2709.parse(c.data) for c in got]
    assert sum(any("23 bytes" in p for p in r.problems) for r in short) == 16
    farsi = list(iso2709.chunks((shared_data / "marc-perl/marc-charset/t/farsi.marc").read_bytes()))
    assert len(farsi) == 1 and farsi[0].cause.startswith("no record leader here")
