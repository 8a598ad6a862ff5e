"""The language vocabulary: lookups by every code kind, labels in four languages, unknown codes, SKOS."""

import logging

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SKOS

from vocab import languages as L
from vocab import skos


@pytest.mark.parametrize("code, canonical", [
    ("ger", "ger"), ("deu", "ger"), ("de", "ger"), ("SME", "sme"), ("se", "sme"), ("lap", "smi"),
    ("nor", "nor"), ("no", "nor"), ("nb", "nob"), ("nno", "nno"), ("fkv", "fkv"), ("fit", "fit"),
    ("gae", "gla"), ("scr", "hrv"), ("ser", "srp"), (" fin ", "fin"), ("zh-cn", "chi")])
def test_get_accepts_marc_iso3_iso1_and_legacy_codes(code, canonical):
    assert L.get(code).code == canonical
    assert L.normalize(code) == canonical


def test_kve_is_not_kven():
    assert L.get("kve").code == "kve"
    assert L.get("kve").names["en"] != "Kven"
    assert L.label("fkv", "nb") == "kvensk"


def test_per_source_local_code_wins_only_for_that_source():
    L.add_local_code("kvensk-bibliotek", "kve", "fkv")
    assert L.normalize("kve", "kvensk-bibliotek") == "fkv"
    assert L.normalize("kve", "other") == "kve"
    with pytest.raises(ValueError):
        L.add_local_code("x", "abc", "not-a-language")


@pytest.mark.parametrize("code, nb, nn, se, en", [
    ("sme", "nordsamisk", "nordsamisk", "davvisámegiella", "Northern Sami"),
    ("smj", "lulesamisk", "lulesamisk", "julevsámegiella", "Lule Sami"),
    ("sma", "sørsamisk", "sørsamisk", "lullisámegiella", "Southern Sami"),
    ("sms", "skoltesamisk", "skoltesamisk", "nuortalašgiella", "Skolt Sami"),
    ("fkv", "kvensk", "kvensk", "kveanagiella", "Kven"),
    ("fin", "finsk", "finsk", "suomagiella", "Finnish"),
    ("rus", "russisk", "russisk", "ruoššagiella", "Russian"),
    ("mul", "flerspråklig", "fleirspråkleg", "máŋggagielat", "Multiple languages")])
def test_labels_in_all_four_interface_languages(code, nb, nn, se, en):
    assert (L.label(code, "nb"), L.label(code, "nn"), L.label(code, "se"), L.label(code, "en")) == (nb, nn, se, en)
    assert L.label(code, "nob") == nb and L.label(code, "nb-NO") == nb


def test_unnamed_language_falls_back_to_english_and_unknown_to_code():
    assert L.label("kal", "se")  # hand-named
    assert L.label("aaa", "nb") == "Ghotuo"
    assert L.label("qqx", "nb") == "qqx"


def test_autonyms_and_review_flags():
    assert L.autonym("sma") == "åarjelsaemien gïele"
    assert L.get("sms").autonym == "sääʹmǩiõll"
    assert "se" in L.get("sjd").needs_review
    assert not L.get("sme").needs_review


def test_sami_group():
    assert {"sme", "smj", "sma", "smn", "sms", "sju", "sje", "sjd", "sia", "sjk", "sjt", "smi"} == set(L.SAMI_GROUP)
    assert all(L.is_sami(c) for c in ("sme", "lap", "se", "smi", "sjt"))
    assert not L.is_sami("fin") and not L.is_sami("fkv") and not L.is_sami(None)
    assert L.group_of("smj") == "smi" and L.group_of("nb") == "nor" and L.group_of("eng") is None
    assert L.get("smi").is_collective and L.get("und").is_special


def test_blank_and_fill_codes_are_missing_not_unknown():
    collector = L.UnknownCodes()
    for blank in ("", "   ", "|||", None, "^^^"):
        assert L.normalize(blank, "s", collector=collector) is None
    assert collector.by_source() == {}


def test_unknown_code_reported_once_per_source(caplog):
    collector = L.UnknownCodes()
    with caplog.at_level(logging.WARNING, logger="vocab.languages"):
        for _ in range(3):
            assert L.normalize("qqx", "lib-a", collector=collector) is None
        assert L.normalize("qqx", "lib-b", collector=collector) is None
    warnings = [r.getMessage() for r in caplog.records if "qqx" in r.getMessage()]
    assert len(warnings) == 2
    assert "lib-a" in warnings[0] and "lib-b" in warnings[1]
    assert collector.by_source() == {"lib-a": {"qqx": 3}, "lib-b": {"qqx": 1}}


def test_skos_parses_and_holds_the_sami_group():
    text = skos.turtle("http://127.0.0.1:5000")
    g = Graph().parse(data=text, format="turtle")
    base = "http://127.0.0.1:5000/vocab/languages"
    sme, smi = URIRef(base + "/sme"), URIRef(base + "/smi")
    assert (sme, RDF.type, SKOS.Concept) in g
    assert (sme, SKOS.broader, smi) in g
    assert {str(o) for o in g.objects(URIRef(base + "/group/smi"), SKOS.member)} >= {
        base + "/" + c for c in ("sme", "smj", "sma", "smn", "sms")}
    labels = {(o.language, str(o)) for o in g.objects(sme, SKOS.prefLabel)}
    assert labels == {("nb", "nordsamisk"), ("nn", "nordsamisk"), ("se", "davvisámegiella"), ("en", "Northern Sami")}
    assert (sme, SKOS.exactMatch, URIRef("http://id.loc.gov/vocabulary/languages/sme")) in g
    assert (URIRef(base + "/fkv"), SKOS.exactMatch, URIRef("http://lexvo.org/id/iso639-3/fkv")) in g


def test_data_table_is_reproducible_from_iso_codes(tmp_path):
    from pathlib import Path
    from vocab import build_languages
    source = Path("/usr/share/iso-codes/json")
    if not source.exists():
        pytest.skip("Debian iso-codes not installed (only needed to regenerate the table)")
    out = tmp_path / "iso639.tsv"
    build_languages.write(build_languages.build(source), out, version="4.15.0")
    committed = (Path(L.DATA) / "iso639.tsv").read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8").splitlines()[2:] == committed.splitlines()[2:]


def test_statistics_groups_read_codes_and_language_iris():
    from vocab.languages import statistics_group
    assert statistics_group("http://id.loc.gov/vocabulary/languages/smj") == "sami"
    assert statistics_group("http://lexvo.org/id/iso639-3/fkv") == "kven"
    assert (statistics_group("fi"), statistics_group("rus"), statistics_group("sjd")) == ("finnish", "russian", "sami")
    assert statistics_group("fit") is None and statistics_group("nob") is None and statistics_group("") is None
