"""Language identification: profiles, candidates, evidence, determinism, empty input (real sentences)."""

from pathlib import Path

import pytest

from transform import langid
from transform.language_evidence import RecordEvidence
from vocab import build_profiles

TRAIN = {"sme": "sme-train.txt", "sms": "sms-train.txt"}


def test_empty_and_letterless_input_gives_no_detection():
    for text in ("", "   ", "1234 - 56", "!!!", None):
        assert langid.identify(text) is None
        assert langid.ngram_scores(text) == {}


def test_candidates_are_the_countys_languages():
    codes = set(langid.models().codes)
    assert {"sme", "smj", "sma", "smn", "sms", "fkv", "fit", "fin", "nob", "nno", "swe", "eng", "rus"} <= codes
    assert not codes & {"est", "hun", "nor"}


def test_real_sami_sentences_from_train_files(shared_data):
    lines = (shared_data / "ud-sentences" / "sme-train.txt").read_text(encoding="utf-8").splitlines()
    sample = [l for l in lines if len(l.split()) >= 4][:50]
    assert sum(langid.detect(l) == "sme" for l in sample) >= 48
    sms = (shared_data / "ud-sentences" / "sms-train.txt").read_text(encoding="utf-8").splitlines()
    assert sum(langid.detect(l) == "sms" for l in sms if l.strip()) >= 17


def test_all_capitals_is_read_like_lower_case():
    text = "Guovddážis dán barggus lea Sámi dutkamiid guovddáš"
    assert langid.identify(text.upper()).code == langid.identify(text).code == "sme"


def test_kven_needs_evidence_beyond_ngrams():
    text = "Kainun kieli ja kulttuuri"
    plain = langid.identify(text)
    assert plain.code == "fin"
    assert any("needs evidence" in e for e in plain.evidence)
    with_publisher = langid.identify(text, RecordEvidence(publishers=["Ruijan kveeniliitto"]))
    assert with_publisher.code == "fkv"
    declared = langid.identify(text, RecordEvidence(declared=["fkv"]))
    assert declared.code == "fkv" and any("041" in e for e in declared.evidence)


def test_norwegian_book_about_kvens_stays_norwegian():
    d = langid.identify("Kvenene i Nord-Norge og deres historie gjennom tre hundre år",
                        RecordEvidence(subjects=["Kvener", "Kvensk språk"]))
    assert d.code == "nob"


def test_evidence_picks_lule_sami_among_sami_languages():
    text = "Sámegiella"  # too short for n-grams to separate the Sami languages
    d = langid.identify(text, RecordEvidence(subjects=["Lulesamisk språk"], publishers=["Árran"]))
    assert d.code == "smj"
    assert any("subject" in e for e in d.evidence) and any("publisher" in e for e in d.evidence)


def test_short_text_has_low_confidence():
    assert langid.identify("I like dogs").confidence < 0.6
    long = "Gonagas sáhttá mearridit dábálaš njuolggadusaid báikkálaš dilálašvuođaid ektui"
    assert langid.identify(long).confidence > 0.95


def test_transliterated_russian_title_is_not_a_contradiction():
    d = langid.identify("Zhiznʹ i mnenii͡a izbrannai͡a perepiska Izbrannai͡a perepiska")
    assert not langid.contradicts(d, ["rus"], "Zhiznʹ i mnenii͡a izbrannai͡a perepiska")


def test_deterministic():
    text = "Eallima ja sámegiela birra"
    first = langid.ngram_scores(text)
    langid._ngram_scores_cached.cache_clear()
    assert langid.ngram_scores(text) == first


def test_profiles_rebuild_byte_identical(tmp_path, shared_data):
    built = build_profiles.build(tmp_path, shared_data / "ud-sentences")
    assert set(built) >= {"sme", "smj", "sma", "smn", "sms", "fkv", "fit"}
    for code in ("sme", "sms", "fkv", "nob"):
        assert (tmp_path / code).read_bytes() == (langid.PROFILES / code).read_bytes(), code
