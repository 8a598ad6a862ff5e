"""A record's languages from its codes (and detection where codes fail), on illustrative records."""

from pathlib import Path

import pytest
from lxml import etree

from harvest.marcdata import from_stored
from harvest.marcxml import find_records
from transform.examples import record_from_lines
from transform.languages import record_languages, record_text, split_codes
from vocab import languages as vocab

EXAMPLES = Path(__file__).resolve().parents[2] / "vocab" / "examples" / "illustrative-records.xml"


@pytest.fixture(scope="module")
def examples():
    root = etree.parse(str(EXAMPLES)).getroot()
    records = [from_stored(el) for el in find_records(root)]
    return {r["001"].data: r for r in records}


def test_collective_smi_is_refined_by_detection_marked_detected(examples):
    langs = record_languages(examples["ill-smi-collective"], "lib")
    assert langs.catalogued == [("smi", "text")]
    assert "collective smi" in langs.problems
    assert langs.detected.code == "sme"
    assert langs.effective == ["sme"] and langs.effective_is_detected
    assert any("Davvi Girji" in e for e in langs.detected.evidence)


def test_collective_smi_without_detection_stays_smi(examples):
    langs = record_languages(examples["ill-smi-collective"], detect=False)
    assert langs.effective == ["smi"] and not langs.effective_is_detected and langs.detected is None
    assert langs.problems == ["collective smi"]


def test_legacy_lap_with_all_capitals_sami_title(examples):
    langs = record_languages(examples["ill-lap-capitals"])
    assert langs.catalogued == [("smi", "text")]
    assert langs.detected.code == "sme", langs.detected
    assert langs.effective == ["sme"]


def test_kven_coded_fin_with_041_iso639_3(examples):
    langs = record_languages(examples["ill-kven-041"])
    assert langs.catalogued == [("fin", "text"), ("fkv", "text")]
    assert langs.effective == ["fkv"] and not langs.effective_is_detected
    assert langs.problems == [] and langs.detected is None


def test_kven_publisher_on_a_fin_record_is_a_suggestion_never_an_overwrite(examples):
    langs = record_languages(examples["ill-kven-publisher"])
    assert langs.effective == ["fin"]
    assert langs.detected.code == "fkv"
    assert "contradicted by text (detected fkv)" in langs.problems
    assert any("kveeniliitto" in e.lower() for e in langs.detected.evidence)


def test_packed_041_is_split_with_roles(examples):
    langs = record_languages(examples["ill-packed-041"], detect=False)
    assert langs.catalogued == [("eng", "text"), ("fre", "text"), ("ger", "text"), ("rus", "original")]
    assert langs.effective == ["eng", "fre", "ger"]
    assert split_codes("engfreger") == ["eng", "fre", "ger"] and split_codes("eng, fre") == ["eng", "fre"]


def test_contradicted_code_is_flagged_and_kept(examples):
    langs = record_languages(examples["ill-contradicted"])
    assert langs.effective == ["nob"]
    assert langs.detected.code == "sme"
    assert "contradicted by text (detected sme)" in langs.problems


def test_missing_code_detected_skolt_sami(examples):
    langs = record_languages(examples["ill-missing-skolt"])
    assert langs.catalogued == []
    assert langs.problems == ["missing"]
    assert langs.detected.code == "sms" and langs.effective == ["sms"] and langs.effective_is_detected


def test_unknown_code_is_reported_not_dropped(examples):
    vocab.unknown_codes.clear()
    langs = record_languages(examples["ill-unknown-code"], "lib-x", detect=False)
    assert langs.unknown == ["qqx"] and "unknown code qqx" in langs.problems and "missing" in langs.problems
    assert vocab.unknown_codes.by_source()["lib-x"] == {"qqx": 1}


def test_every_041_role_and_scheme():
    r = record_from_lines(["008 200101s2020    no            000 0 mul d",
                           "041 1# $a nob $a sme $b eng $d sma $e ger $f fre $g swe $h lap $j fin $k dan $m ita $n spa",
                           "041 #7 $a se $2 iso639-1"])
    langs = record_languages(r, detect=False)
    roles = {}
    for code, role in langs.catalogued:
        roles.setdefault(role, code)
    assert roles == {"text": "mul", "summary": "eng", "sung_or_spoken": "sma", "libretto": "ger",
                     "contents": "fre", "accompanying": "swe", "original": "smi", "subtitles": "fin",
                     "intermediate": "dan", "original_accompanying": "ita", "original_libretto": "spa"}
    assert langs.effective == ["nob", "sme", "sma"]  # mul dropped when 041 says which languages
    assert langs.problems == []


def test_und_and_empty_text():
    r = record_from_lines(["008 200101s2020    no            000 0 und d"])
    langs = record_languages(r)
    assert langs.problems == ["undetermined (und)", "no text to detect from"]
    assert langs.detected is None and langs.effective == []
    assert record_text(r) == ""


def test_suspicious_kve_code():
    r = record_from_lines(["008 200101s2020    no            000 0 kve d"])
    langs = record_languages(r, detect=False)
    assert any(p.startswith("suspicious code kve") for p in langs.problems)


def test_detection_is_deterministic(examples):
    from transform import langid
    first = [record_languages(r).as_dict() for r in examples.values()]
    langid._ngram_scores_cached.cache_clear()
    second = [record_languages(r).as_dict() for r in examples.values()]
    assert first == second


def test_detect_false_loads_no_model(examples):
    import sys
    import subprocess
    code = ("import sys; from transform.languages import record_languages;"
            "from harvest.marcdata import ControlField, MarcData;"
            "r = MarcData('00000nam a2200000 a 4500', [ControlField('008', 'x' * 35 + 'smi d')]);"
            "record_languages(r, detect=False); from transform import langid;"
            "print('langdetect' in sys.modules, langid._models is not None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.split() == ["False", "False"]
