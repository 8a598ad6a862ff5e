"""`harvest.marcxml.inspect`'s fast path (cached local names, one tag comparison per subfield) accepts and
rejects exactly what the element-by-element check does, including the unusual shapes real files have."""

import pytest
from lxml import etree

from harvest import marcxml
from harvest.errors import MarcError

LEADER = "<leader>00000cam a2200000 a 4500</leader>"


def inspect(body: str, ns: str = marcxml.SLIM):
    # etree.fromstring keeps comments and processing instructions (the harvest parser drops comments)
    return marcxml.inspect(etree.fromstring(f'<record xmlns="{ns}">{LEADER}{body}</record>'))


@pytest.mark.parametrize("ns", [marcxml.SLIM, marcxml.MARCXCHANGE, ""])
def test_comments_and_processing_instructions_inside_a_field_are_harmless(ns):
    info = inspect('<!-- c --><controlfield tag="001">7</controlfield>'
                   '<datafield tag="245"><!-- c --><?pi x?><subfield code="a">x</subfield></datafield>', ns)
    assert info.control_number == "7" and info.record_type == "bib"


def test_a_subfield_in_another_accepted_namespace_is_a_subfield():
    info = inspect(f'<datafield tag="245" xmlns:x="{marcxml.MARCXCHANGE}"><x:subfield code="a">x</x:subfield>'
                   '<subfield code="b">y</subfield></datafield>')
    assert info.record_type == "bib"


@pytest.mark.parametrize("body,cause", [
    ('<datafield tag="245"><subfield code="">x</subfield></datafield>', "field 245 has a subfield without a code"),
    ('<datafield tag="245"><subfield code="a">x</subfield><sub code="b">y</sub></datafield>',
     "field 245 has an unexpected element <sub> instead of <subfield>"),
    ('<datafield tag="24"><subfield code="a">x</subfield></datafield>', "data field without a valid tag"),
])
def test_the_exact_cause_is_still_named(body, cause):
    with pytest.raises(MarcError, match=cause):
        inspect(body)


def test_local_names_are_cached_but_bounded():
    for n in range(marcxml._CACHE_LIMIT + 10):
        assert marcxml.local(f"{{urn:x:{n}}}datafield") == "datafield"
    assert len(marcxml._LOCAL_NAMES) <= marcxml._CACHE_LIMIT
    assert marcxml.local(etree.Comment("x").tag) == ""
