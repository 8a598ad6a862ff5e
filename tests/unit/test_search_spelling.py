"""Spelling suggestions from a term dictionary (index/spelling.py), as the tantivy backend uses them."""

from index import spelling

TERMS = {"fortellinger": 40, "fortelling": 12, "kainun": 3, "kieli": 9, "nordlys": 50, "nordlyset": 4,
         "čáhppes": 2, "cahppes": 1}


def suggest(text, limit=3):
    return spelling.suggest(text, lambda w: w in TERMS,
                            lambda w: [(t, c) for t, c in TERMS.items() if t[:1] == w[:1]], limit)


def test_unknown_word_is_replaced_by_the_nearest_known_one():
    assert suggest("fortelinger")[0] == "fortellinger"
    assert suggest("nordlys kiel") == ["nordlys kieli"]


def test_nearest_first_then_most_frequent():
    assert spelling.closest("nordlyss", TERMS.items()) == ["nordlys", "nordlyset"]
    assert spelling.closest("xyz", TERMS.items()) == []


def test_known_words_and_short_words_give_no_suggestion():
    assert suggest("nordlys kieli") == []
    assert suggest("ab") == []
    assert suggest("") == []


def test_nothing_close_enough_leaves_the_word():
    assert suggest("fortelinger qqqqqq") == ["fortellinger qqqqqq"]
    assert suggest("zzzzzz") == []


def test_sami_letters_are_kept_in_suggestions():
    assert "čáhppes" in suggest("čáhpes")[0]
