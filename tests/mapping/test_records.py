"""Real records from /work/shared/data convert, with exact core triples for representative ones."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Triple

from tests.mapping.conftest import BASE, convert
from transform.examples import follow
from transform.marcfiles import group_holdings

BF = "http://id.loc.gov/ontologies/bibframe/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
LANG = "http://id.loc.gov/vocabulary/languages/"


def n(iri: str) -> NamedNode:
    if iri.startswith("bf:"):
        return NamedNode(BF + iri[3:])
    if iri.startswith("rdf:"):
        return NamedNode(RDF + iri[4:])
    if iri.startswith("rdfs:"):
        return NamedNode(RDFS + iri[5:])
    return NamedNode(iri if iri.startswith("http") else BASE + iri)


def t(s, p, o) -> Triple:
    return Triple(n(s), n(p), o if isinstance(o, Literal) else n(o))


def values(result, start: str, path: str) -> set:
    return {x.value for x in follow(result.triples, n(start), path)}


def test_all_949_lc_records_convert(shared_data, converter):
    files = sorted((shared_data / "marcxml-lc").rglob("*.xml"))
    assert len(files) == 70
    from transform.marcfiles import read_file
    converted = unreadable = 0
    no_leader = 0
    for path in files:
        for item in read_file(path):
            if item.record is None:
                unreadable += 1
                continue
            no_leader += bool(item.warnings)
            result = convert(converter, item, source="lc", isil="US-DLC")
            assert (n(result.instance_uri), n("rdf:type"), n("bf:Instance")) in {
                (x.subject, x.predicate, x.object) for x in result.triples}
            converted += 1
    assert unreadable == 0
    assert converted == 949
    assert no_leader == 93   # LC's unit-test fixtures leave the leader out; they convert with a warning


def test_lc_record_core_triples_exact(read, converter):
    item = read("marcxml-lc/dataset/loc_general.xml")[0]
    r = convert(converter, item, source="lc")
    inst, work = "/instance/lc-16972248", "/work/lc-16972248"
    got = set(r.triples)
    expected = {
        t(inst, "rdf:type", "bf:Instance"), t(inst, "bf:instanceOf", work), t(work, "rdf:type", "bf:Work"),
        t(work, "rdf:type", "bf:Text"),
        # title
        t(inst, "bf:title", f"{inst}#title-1"), t(f"{inst}#title-1", "rdf:type", "bf:Title"),
        t(f"{inst}#title-1", "bf:mainTitle", Literal("Immanuel Velikovsky - The Truth Behind the Torment")),
        # agent with a stable, heading-based IRI
        t(work, "bf:contribution", f"{inst}#contribution-1"),
        t(f"{inst}#contribution-1", "rdf:type", "bf:PrimaryContribution"),
        t(f"{inst}#contribution-1", "bf:agent", "/agent/person/sharon-ruth-velikovsky"),
        t("/agent/person/sharon-ruth-velikovsky", "rdf:type", "bf:Person"),
        t("/agent/person/sharon-ruth-velikovsky", "rdfs:label", Literal("Sharon, Ruth Velikovsky")),
        # identifiers: LCCN; the ISBN as catalogued with its ISBN-13 beside it, one node per number
        t(f"{inst}#identifier-1", "rdf:type", "bf:Lccn"),
        t(f"{inst}#identifier-1", "rdf:value", Literal("2011500165")),
        t(inst, "bf:identifiedBy", f"{inst}#isbn-9781906833213"),
        t(f"{inst}#isbn-9781906833213", "rdf:type", "bf:Isbn"),
        t(f"{inst}#isbn-9781906833213", "rdf:value", Literal("9781906833213")),
        t(f"{inst}#isbn-9781906833213", "rdf:value", Literal("1906833214")),
        t(f"{inst}#isbn-9781906833213", "rdfs:label", Literal("1906833214")),
        t(f"{inst}#isbn-9781906833213", "bf:qualifier", Literal("pbk")),
        # language from 008
        t(work, "bf:language", LANG + "eng"),
        # provision activity (260)
        t(f"{inst}#provision-2", "rdf:type", "bf:Publication"),
        t(f"{inst}#provision-2", "bf:date", Literal("2010")),
        t(f"{inst}#place-1", "rdfs:label", Literal("London")),
        t(f"{inst}#agent-1", "rdfs:label", Literal("Paradigma Ltd")),
        # subjects with their scheme from the second indicator
        t(work, "bf:subject", f"{inst}#subject-2"), t(f"{inst}#subject-2", "rdf:type", "bf:Topic"),
        t(f"{inst}#subject-2", "rdfs:label", Literal("Astronomers--United States--Biography")),
        t(f"{inst}#subject-2", "bf:source", "http://id.loc.gov/vocabulary/subjectSchemes/lcsh"),
        t(f"{inst}#subject-1", "rdf:type", "bf:Person"),
        t(f"{inst}#subject-1", "rdfs:label", Literal("Velikovsky, Immanuel, 1895-1979")),
        # extent
        t(f"{inst}#extent-1", "rdfs:label", Literal("200 p.")),
        t(inst, "bf:dimensions", Literal("16 x 23 cm")),
    }
    assert expected - got == set()
    assert r.warnings == []


def test_relators_and_role_terms_on_lc_records(read, converter):
    items = read("marcxml-lc/dataset/princeton.xml")
    roles = set()
    for item in items:
        r = convert(converter, item, source="lc")
        roles |= values(r, r.work_uri, "bf:contribution/bf:role")
    assert "http://id.loc.gov/vocabulary/relators/art" in roles
    local = {x for x in roles if x.startswith(BASE)}
    assert local  # terms outside the relator list are kept as local roles with their label


def test_bibsys_marcxchange_with_holdings_records(read, converter):
    items = read("php-marc/oaipmh-bibsys.xml")
    bibs, holdings = group_holdings(items)
    assert len(bibs) == 7 and sum(len(h) for h in holdings.values()) == 82
    bib = next(i for i in bibs if i.control_number == "98218834x")
    r = convert(converter, bib, source="bibsys", holdings_profile="marcxchange-holdings",
                holdings=tuple(holdings["98218834x"]))
    inst = r.instance_uri
    assert values(r, inst, "bf:title/bf:mainTitle") == {"Sprøytvarsel"}
    assert values(r, r.work_uri, "bf:language") == {LANG + "nob"}
    assert values(r, inst, "bf:identifiedBy/rdf:value") >= {"9788200424420", "98218834x"}
    assert values(r, r.work_uri, "bf:contribution/bf:agent/rdfs:label") == {"Ystenes, Martin"}
    items_ = values(r, inst, "bf:hasItem")
    assert len(items_) == len(holdings["98218834x"])
    first = inst + "/item/1"
    assert values(r, first, "bf:heldBy") == {BASE + "/library/ubis"}      # UBIS, from vocab/data/libraries.tsv
    assert values(r, first, "bf:shelfMark/rdfs:label") == {"070.4495 YST"}
    assert values(r, first, "bf:identifiedBy/rdf:value") == {"98ur07542"}
    assert values(r, first, "bf:itemOf") == {inst}
    assert all(unicodedata.is_normalized("NFC", x.object.value) for x in r.triples
               if isinstance(x.object, Literal))


def test_holdings_record_for_another_bib_is_refused(read, converter):
    items = read("php-marc/oaipmh-bibsys.xml")
    bibs, holdings = group_holdings(items)
    bib = next(i for i in bibs if i.control_number == "98218834x")
    other = next(h for parent, hs in holdings.items() if parent != "98218834x" for h in hs)
    r = convert(converter, bib, source="bibsys", holdings_profile="marcxchange-holdings", holdings=(other,))
    assert values(r, r.instance_uri, "bf:hasItem") == set()
    assert any("not to '98218834x'" in w for w in r.warnings)


def test_traject_norwegian_record_keeps_iso639_3_codes(read, converter):
    item = read("traject/iso639-3_lang.marc")[0]
    r = convert(converter, item)
    langs = values(r, r.work_uri, "bf:language")
    assert {LANG + "nor", LANG + "eng", LANG + "nob"} <= langs
    assert values(r, r.work_uri, "bf:contribution/bf:role") == {"http://id.loc.gov/vocabulary/relators/edt",
                                                                 "http://id.loc.gov/vocabulary/relators/his"}


def test_the_sami_record_from_melinda(read, converter):
    item = read("natlibfi-marc-record-serializers/marcxml/2RecordsFrom1")[1]
    r = convert(converter, item, source="melinda")
    work = r.work_uri
    assert values(r, work, "bf:language") == {LANG + "smi", LANG + "eng"}
    # the performer as catalogued; the added entries without a role are contributors (LC's default)
    assert values(r, work, "bf:contribution/bf:role") == {"http://id.loc.gov/vocabulary/relators/prf",
                                                          "http://id.loc.gov/vocabulary/relators/ctb"}
    # the YSO IRI in $0 is the subject itself; Finnish and Swedish labels meet on it
    assert values(r, "http://www.yso.fi/onto/yso/p11537", "rdfs:label") == {"saamelaiset", "samer"}
    assert "http://id.loc.gov/vocabulary/subjectSchemes/yso" in values(r, work, "bf:subject/bf:source")
    assert values(r, r.instance_uri, "bf:title/bf:subtitle") == {"Gavcci jahkejuogu"}
    toc = values(r, r.instance_uri, "bf:tableOfContents/rdfs:label")
    assert any("Boadan nuppi bealde" in x for x in toc)


def test_kven_in_041_with_iso639_3(converter):
    from transform.examples import record_from_lines
    from transform.convert import ConvertContext
    record = record_from_lines(["008 000000s2019    no            000 1 fin d",
                                "041 07 $a fkv $2 iso639-3", "245 00 $a Kvääninkieli"])
    r = converter.convert(record, ConvertContext("t", "kven"))
    assert values(r, r.work_uri, "bf:language") == {LANG + "fin", "http://lexvo.org/id/iso639-3/fkv"}


def test_russian_and_finnish_records_from_melinda(read, converter):
    items = read("natlibfi-marc-record-serializers/aleph-sequential/load-test.derived.marcxml")
    assert len(items) == 100
    russian = []
    for item in items:
        r = convert(converter, item, source="melinda")
        labels = [x.object.value for x in r.triples if isinstance(x.object, Literal)]
        assert all(unicodedata.is_normalized("NFC", v) for v in labels)
        if LANG + "rus" in values(r, r.work_uri, "bf:language"):
            russian.append(r)
    assert len(russian) == 3
    assert any(any("\u0400" <= ch <= "\u04ff" for ch in x.object.value) for r in russian
               for x in r.triples if isinstance(x.object, Literal))


def test_finna_record_with_852_locations(read, converter):
    item = read("recordmanager-finna/Base/record/marc1.xml")[0]
    r = convert(converter, item, source="finna", isil="FI-NL")
    assert LANG + "fin" in values(r, r.work_uri, "bf:language")
    assert len(values(r, r.instance_uri, "bf:hasItem")) == 2


def test_koha_records_with_952_items(read, converter):
    items = read("koha-misc4dev/koha_sample_biblios_with_952_items.marcxml")
    assert len(items) == 435
    total = 0
    for item in items:
        r = convert(converter, item, source="koha", isil="NO-2030000", holdings_profile="koha-952")
        total += len(values(r, r.instance_uri, "bf:hasItem"))
    assert total == 958
    r = convert(converter, items[0], source="koha", isil="NO-2030000", holdings_profile="koha-952")
    first = r.instance_uri + "/item/1"
    assert values(r, first, "bf:heldBy") == {BASE + "/library/NO-2030000"}
    assert values(r, first, "bf:identifiedBy/rdf:value") == {"3999900000001"}
    assert values(r, first, "bf:sublocation/rdfs:label") == {"CPL / GEN"}
    assert values(r, r.instance_uri, "bf:identifiedBy/rdf:value") >= {"9780670026623"}
    assert values(r, r.instance_uri, "bf:identifiedBy/bf:qualifier") >= {"alk. paper"}


def test_same_person_from_two_libraries_gets_one_iri(converter):
    from transform.examples import record_from_lines
    from transform.convert import ConvertContext
    a = record_from_lines(["100 1# $a Ibsen, Henrik, $d 1828-1906, $e author.", "245 10 $a Peer Gynt"])
    b = record_from_lines(["100 1# $a IBSEN, HENRIK $d 1828-1906 $4 aut", "245 10 $a Gengangere"])
    ra = converter.convert(a, ConvertContext("lib1", "1"))
    rb = converter.convert(b, ConvertContext("lib2", "9"))
    assert values(ra, ra.work_uri, "bf:contribution/bf:agent") == values(rb, rb.work_uri, "bf:contribution/bf:agent") \
        == {BASE + "/agent/person/ibsen-henrik-1828-1906"}


def test_translation_links_to_its_original(converter):
    from transform.examples import record_from_lines
    from transform.convert import ConvertContext
    record = record_from_lines(["041 1# $a sme $h nob", "100 1# $a Hamsun, Knut", "240 10 $a Sult. $l Sami",
                                "245 10 $a Nealgi", "765 0# $a Hamsun, Knut $t Sult"])
    r = converter.convert(record, ConvertContext("t", "1", work_id="cluster-42"))
    assert r.work_uri == BASE + "/work/cluster-42"
    original = values(r, r.work_uri, "bf:translationOf")
    assert original == {r.instance_uri + "#original"}
    assert values(r, r.work_uri, "bf:translationOf/bf:language") == {LANG + "nob"}
    assert values(r, r.work_uri, "bf:translationOf/bf:title/bf:mainTitle") == {"Sult"}


@pytest.mark.parametrize("relative", ["traject/one-marc8.mrc", "marc4j/cyrillic_capital_e.mrc"])
def test_marc8_records_come_out_as_nfc_unicode(read, converter, shared_data, relative):
    assert (shared_data / relative).exists()
    item = read(relative)[0]
    assert item.record is not None, item.error
    r = convert(converter, item)
    literals = [x.object.value for x in r.triples if isinstance(x.object, Literal)]
    assert any(any(ord(ch) > 127 for ch in v) for v in literals)
    assert all(unicodedata.is_normalized("NFC", v) for v in literals)
