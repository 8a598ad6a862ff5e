"""The librarians' language report suggests a language only where the words can tell, and says why.

Found on real records: Albanian, Portuguese and Italian suggested for music titles ("String quartet in
E minor"), Danish at 0.96 for "Selena & Demi: forever friends" (an English book about two people), and
"(none) ((none))" printed for records without a code. The rule lives in `transform.languages`
(`too_little_to_judge`), so the report, the facet and the contradiction check cannot disagree.
"""

from __future__ import annotations

from harvest.marcdata import ControlField, DataField, MarcData, to_slim
from harvest.store import IncomingRecord
from transform.language_report import build_report, format_report
from transform.languages import SUGGESTION_REASONS, record_languages, too_little_to_judge

NORWEGIAN = ("Fiskeren og havet : en roman om livet langs kysten i nord, "
             "om båtene og folket som bor der")


def marc(kind: str = "a", lang: str = "   ", title: str = NORWEGIAN, subtitle: str = "", names=(),
         summary: str = "") -> MarcData:
    fields = [ControlField("008", "260101s2020    no            000 1 " + lang + " d"),
              DataField("245", "1", "0", [("a", title)] + ([("b", subtitle)] if subtitle else []))]
    if summary:
        fields.append(DataField("520", " ", " ", [("a", summary)]))
    fields += [DataField("600", "1", "0", [("a", name)]) for name in names]
    return MarcData(f"00000n{kind}m a2200000 a 4500", fields)


def test_music_scores_maps_and_films_get_no_guess_from_their_titles():
    for kind in "cdjefgk":
        record = marc(kind, title="Sonata for piano and violoncello in A minor", subtitle="op. 36, allegro vivace")
        langs = record_languages(record, detect=True)
        assert langs.detected is None, kind
        assert "not detected: not text" in langs.problems
        assert langs.effective == []             # no guess feeds the facet either


def test_a_textual_record_without_a_code_gets_a_suggestion_and_its_reason():
    langs = record_languages(marc("a"), detect=True)
    assert langs.detected is not None and langs.detected.code in ("nob", "nno", "nor")
    assert langs.suggestion_reason() == "missing"
    spoken = record_languages(marc("i"), detect=True)       # an audiobook's words are its language
    assert spoken.detected is not None


def test_too_few_words_once_names_are_set_aside():
    selena = marc("a", "eng", title="Selena & Demi :", subtitle="forever friends.",
                  names=("Gomez, Selena,", "Lovato, Demi,"))
    assert too_little_to_judge(selena, "Selena & Demi forever friends Selena and Demi : forever friends") \
        == "too little text"
    langs = record_languages(selena, detect=True)
    assert langs.detected is None and langs.problems == []    # a coded record with too little text: left alone
    assert too_little_to_judge(marc("a", title="Fiske"), "Fiske i nord") == "too little text"


def test_letters_only_sami_writes_let_two_words_suffice():
    sami = marc("a", title="Áhčči ja guolli ŋ", subtitle="")
    assert too_little_to_judge(sami, "Áhččis ŋuolla") is None
    assert too_little_to_judge(sami, "Áhččis nuolla") == "too little text"


def test_the_report_says_why_and_never_prints_none_in_brackets(store):
    records = {"no-code": marc("a"), "music": marc("j", title="String quartet in E minor"),
               "coded": marc("a", "nob")}
    store.upsert("lib", [IncomingRecord(identifier=key, marcxml=to_slim(rec),
                                        datestamp="2026-01-01") for key, rec in records.items()])
    entry = build_report(store)["lib"]
    # The music record has no code and gets no guess; the uncoded text counts under its detected language.
    assert entry["without_language"] == 1 and "(none)" not in entry["by_language"]
    assert sum(entry["detected_by_language"].values()) == 1
    assert [s["identifier"] for s in entry["suggestions"]] == ["no-code"]
    assert entry["suggestions"][0]["reason"] == "missing"
    text = format_report({"lib": entry}, "nb")
    assert "(none)" not in text
    assert "without a language code: 1" in text
    assert f"because {SUGGESTION_REASONS['missing']}" in text
