"""The converter's languages come from the one reader (`record_languages`), with every 041 role kept.

Records are written inline in cataloguers' notation; the Sami and Kven ones are from
`vocab/examples/illustrative-records.xml` (illustrative, not real catalogue records).
"""

from pathlib import Path

import pytest
from lxml import etree
from pyoxigraph import Literal, NamedNode

from harvest.marcdata import from_stored
from harvest.marcxml import find_records
from transform import language_detection
from transform.convert import ConvertContext, Converter
from transform.examples import follow, record_from_lines
from transform.language_graph import detected_triples, language_iri
from transform.languages import record_languages

BASE = "http://example.org"
LANG = "http://id.loc.gov/vocabulary/languages/"
LEXVO = "http://lexvo.org/id/iso639-3/"
EXAMPLES = Path(__file__).resolve().parents[2] / "vocab" / "examples" / "illustrative-records.xml"


@pytest.fixture(scope="module")
def converter():
    return Converter(BASE)


@pytest.fixture(scope="module")
def illustrative():
    return {r["001"].data: r for r in (from_stored(el) for el in find_records(etree.parse(str(EXAMPLES)).getroot()))}


def convert(converter, lines_or_record, source="t"):
    record = record_from_lines(lines_or_record) if isinstance(lines_or_record, list) else lines_or_record
    return converter.convert(record, ConvertContext(source, "1"))


def values(result, start, path):
    return {x.value for x in follow(result.triples, NamedNode(start), path)}


def test_collective_smi_stays_smi_and_lap_becomes_smi(converter, illustrative):
    r = convert(converter, illustrative["ill-smi-collective"])
    assert values(r, r.work_uri, "bf:language") == {LANG + "smi"}
    assert r.languages.problems == ["collective smi"]          # the pipeline will detect; the graph keeps smi
    r = convert(converter, illustrative["ill-lap-capitals"])
    assert values(r, r.work_uri, "bf:language") == {LANG + "smi"}   # legacy MARC code, not Laka (Chad)


def test_kven_via_041_dollar_2_is_kept_distinct_from_finnish(converter, illustrative):
    r = convert(converter, illustrative["ill-kven-041"])
    assert values(r, r.work_uri, "bf:language") == {LANG + "fin", LEXVO + "fkv"}
    assert r.languages.effective == ["fkv"]
    r = convert(converter, ["041 07 $a fit $2 iso639-3", "245 00 $a Meänkieli"])
    assert values(r, r.work_uri, "bf:language") == {LEXVO + "fit"}
    r = convert(converter, ["041 07 $a sme $a deu $2 iso639-3"])      # ISO 639-3 codes with a MARC code
    assert values(r, r.work_uri, "bf:language") == {LANG + "sme", LANG + "ger"}


def test_packed_041_is_split_and_the_original_goes_on_translation_of(converter, illustrative):
    r = convert(converter, illustrative["ill-packed-041"])
    assert values(r, r.work_uri, "bf:language") == {LANG + "eng", LANG + "fre", LANG + "ger"}
    assert values(r, r.work_uri, "bf:translationOf") == {r.instance_uri + "#original"}
    assert values(r, r.work_uri, "bf:translationOf/bf:language") == {LANG + "rus"}
    assert values(r, r.work_uri, "bf:translationOf/rdf:type") == {"http://id.loc.gov/ontologies/bibframe/Work"}


def test_original_from_041_and_240_is_one_node(converter):
    r = convert(converter, ["041 1# $a sme $h nob", "240 10 $a Sult. $l Sami", "245 10 $a Nealgi"])
    assert values(r, r.work_uri, "bf:translationOf") == {r.instance_uri + "#original"}
    assert values(r, r.work_uri, "bf:translationOf/bf:language") == {LANG + "nob"}


def test_subtitles_and_other_roles_are_inner_languages_with_a_part(converter):
    r = convert(converter, ["041 1# $a eng $j nob $j sme $b fin $p swe $i ger", "041 1# $j sme"])
    assert values(r, r.work_uri, "bf:language") >= {LANG + "eng"}
    parts = {}
    for node in follow(r.triples, NamedNode(r.work_uri), "bf:language"):
        if node.value.startswith(r.instance_uri + "#language-"):
            (code,) = {x.value for x in follow(r.triples, node, "rdf:value")}
            parts.setdefault(code, set()).update(x.value for x in follow(r.triples, node, "bf:part"))
    assert parts == {LANG + "nob": {"subtitles"}, LANG + "sme": {"subtitles"}, LANG + "fin": {"summary"},
                     LANG + "swe": {"captions"}, LANG + "ger": {"intertitles"}}
    # one inner node per language and role, even when a second 041 repeats it
    assert len([n for n in follow(r.triples, NamedNode(r.work_uri), "bf:language")
                if n.value.startswith(r.instance_uri)]) == 5
    assert LANG + "sme" not in values(r, r.work_uri, "bf:language")  # subtitles are not the text's language


def test_unknown_and_suspicious_codes_are_kept_and_reported(converter, illustrative):
    r = convert(converter, illustrative["ill-unknown-code"])
    assert values(r, r.work_uri, "bf:language/bf:code") == {"qqx"}
    assert any("unknown code qqx" in w for w in r.warnings)
    r = convert(converter, ["041 0# $a kve"])
    assert any("suspicious code kve" in w for w in r.warnings)


def test_the_graph_says_what_the_one_reader_says(converter, illustrative):
    for record in illustrative.values():
        r = convert(converter, record)
        langs = record_languages(record, "t", detect=False)
        assert r.languages.catalogued == langs.catalogued
        text = {language_iri(code).value for code, role in langs.catalogued if role in ("text", "sung_or_spoken")}
        assert {v for v in values(r, r.work_uri, "bf:language") if not v.startswith(BASE)} == text


def test_a_record_without_008_or_041_still_reports_its_languages(converter):
    r = convert(converter, ["245 10 $a Untitled"])
    assert r.languages is not None and r.languages.problems == ["missing"]
    assert values(r, r.work_uri, "bf:language") == set()


def test_which_records_need_detection(illustrative):
    def reason(record):
        return language_detection.detection_reason(record, record_languages(record, detect=False))
    assert reason(illustrative["ill-smi-collective"]) == "collective smi"
    assert reason(illustrative["ill-missing-skolt"]) == "missing"
    assert reason(illustrative["ill-contradicted"]) == "Sami letters in the text"
    assert reason(illustrative["ill-kven-publisher"]) == "publisher 'Ruijan kveeniliitto' suggests fkv"
    assert reason(illustrative["ill-kven-041"]) is None
    assert reason(illustrative["ill-packed-041"]) is None
    czech = record_from_lines(["008 000000s2000    xr            000 0 cze d",
                               "245 10 $a Žluťoučký kůň úpěl ďábelské ódy"])
    assert reason(czech) is None
    norwegian_about_sami = record_from_lines(["008 000000s2000    no            000 0 nob d",
                                              "245 10 $a Samisk historie", "264 #1 $b Davvi Girji"])
    assert reason(norwegian_about_sami) == "publisher 'Davvi Girji' suggests sme"


def test_detected_language_triples_are_marked_and_deterministic(illustrative):
    langs = record_languages(illustrative["ill-smi-collective"], "t")
    triples = detected_triples(BASE + "/instance/t-1", BASE + "/work/w", langs)
    node = NamedNode(BASE + "/instance/t-1#language-detected")
    assert follow(triples, NamedNode(BASE + "/work/w"), "bf:language") == [node]
    assert follow(triples, node, "rdf:value") == [NamedNode(LANG + "sme")]
    assert follow(triples, node, "bf:status/bf:code") == [Literal("detected")]
    (note,) = follow(triples, node, "bf:note/rdfs:label")
    assert note.value.startswith(f"detected by Grenseløs, confidence {langs.detected.confidence:.2f}")
    assert "Davvi Girji" in note.value
    assert follow(triples, node, "bf:adminMetadata/bf:generationProcess/rdf:type") == [
        NamedNode("http://id.loc.gov/ontologies/bibframe/GenerationProcess")]
    assert triples == detected_triples(BASE + "/instance/t-1", BASE + "/work/w", langs)
    suggestion = record_languages(illustrative["ill-kven-publisher"], "t")
    triples = detected_triples(BASE + "/instance/t-2", BASE + "/work/v", suggestion)
    assert follow(triples, NamedNode(BASE + "/instance/t-2#language-detected"), "bf:status/bf:code") == [
        Literal("suggested")]
    assert detected_triples(BASE + "/instance/t-3", BASE + "/work/u",
                            record_languages(illustrative["ill-kven-041"], "t")) == []
