"""MARCXML as it really arrives (slim, marcxchange, no namespace, Koha fragments, broken files), read
without a store: the record checks of `harvest.marcxml` and the canonical text of `harvest.marcdata`."""

from __future__ import annotations

import pytest
from lxml import etree

from harvest import marcxml
from harvest.errors import MarcError
from harvest.reader import read_records, sniff
from harvest.marcdata import from_element, from_stored, to_slim


def element(xml: str):
    return marcxml.parse_record(xml)


RECORD = ('<record xmlns="{ns}"><leader>00000cam a2200000 a 4500</leader>'
          '<controlfield tag="001">42</controlfield>'
          '<datafield tag="245" ind1="1" ind2="0"><subfield code="a">Sa\u0301pmi</subfield></datafield>'
          '</record>')


@pytest.mark.parametrize("ns", [marcxml.SLIM, marcxml.MARCXCHANGE, ""])
def test_every_namespace_gives_the_same_canonical_text(ns):
    record = from_element(element(RECORD.format(ns=ns)))
    text = to_slim(record)
    assert text == to_slim(from_element(element(RECORD.format(ns=marcxml.SLIM))))
    assert "Sápmi" in text and "a\u0301" not in text                   # NFC
    assert from_stored(text)["245"]["a"] == "Sápmi"


@pytest.mark.parametrize("body,cause", [
    ('<controlfield>1</controlfield>', "control field without a valid tag"),
    ('<datafield ind1=" " ind2=" "><subfield code="a">x</subfield></datafield>', "data field without a valid tag"),
    ('<datafield tag="020" ind1=" " ind2=" "><subfield>x</subfield></datafield>', "subfield without a code"),
    ('<datafield tag="020" ind1=" " ind2=" "><subfields code="a">x</subfields></datafield>',
     "unexpected element <subfields>"),
    ('<bogus/>', "unexpected element <bogus>"),
])
def test_inspect_names_the_broken_part(body, cause):
    xml = f'<record xmlns="{marcxml.SLIM}"><leader>00000cam a2200000 a 4500</leader>{body}</record>'
    with pytest.raises(MarcError, match=cause):
        marcxml.inspect(element(xml))


def test_missing_or_short_leader():
    with pytest.raises(MarcError, match="no leader"):
        marcxml.inspect(element(f'<record xmlns="{marcxml.SLIM}"><controlfield tag="001">1</controlfield></record>'))
    with pytest.raises(MarcError, match="not 24"):
        marcxml.inspect(element(f'<record xmlns="{marcxml.SLIM}"><leader>short</leader></record>'))


def test_koha_oai_fragment_has_its_header_elements_ignored(shared_data):
    for name in ("1474920681_KOHA_LFL_5.xml", "1474920681_KOHA_LFL_6_with_comment.xml"):
        [item] = list(read_records(shared_data / "marc4j" / name))
        assert item.record is not None, item.cause
        assert item.record.control("001") == "121564"
        assert "<identifier>" not in to_slim(item.record)


def test_record_type_attribute_checked_and_holdings_typed(shared_data):
    items = list(read_records(shared_data / "marc4j/chabon-record-type-bad.xml"))
    assert items[0].record.problems == ["record type attribute 'Bibliographical' is not one of Authority, "
                                        "Bibliographic, Classification, Community, Holdings"]
    assert items[1].record.problems == []
    holdings = [i.record for i in read_records(shared_data / "php-marc/oaipmh-bibsys.xml")
                if i.record.record_type == "holdings"]
    assert holdings and all('type="Holdings"' in to_slim(h) for h in holdings)


def test_not_well_formed_file_keeps_its_good_records(shared_data):
    items = list(read_records(shared_data / "ruby-marc/three-records-second-bad.xml"))
    assert [i.record is not None for i in items] == [True, False, True]
    assert "U+0007" in items[1].cause and items[1].identifier == "afc99990058366"
    assert items[1].location == "three-records-second-bad.xml:line 55"
    [koha] = list(read_records(shared_data / "koha-misc4dev/koha_biblio_369_invalid_xml_control_chars.xml"))
    assert koha.record is None and "U+001F" in koha.cause and koha.raw.startswith(b"<record")


def test_mojibake_is_flagged(shared_data):
    [item] = list(read_records(shared_data / "recordmanager-finna/Base/record/marc-broken.xml"))
    assert any("double-encoded" in p for p in item.record.problems)


def test_format_sniffing():
    assert sniff(b"\xef\xbb\xbf<?xml version='1.0'?><collection/>") == "xml"
    assert sniff(b"<!-- export --><record/>") == "xml"
    assert sniff(b"00714cam a2200205 a 4500001") == "iso2709"
    assert sniff(b"\x1b(3 farsi text") is None


def test_salvage_and_checksum_are_stable():
    raw = (f'<collection xmlns:m="{marcxml.SLIM}"><m:record><m:leader>00000cam a2200000 a 4500</m:leader>'
           '</m:record><m:record><m:leader>bad\x01</m:leader></m:record></collection>').encode()
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(raw)
    got = list(marcxml.salvage_records(raw))
    assert [e is not None for e, _, _ in got] == [True, False]
    assert marcxml.checksum("å") == marcxml.checksum("å") != marcxml.checksum("a")
