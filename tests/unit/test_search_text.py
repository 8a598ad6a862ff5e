"""Folding, identifiers and the field table: the pieces both search backends share."""

import pytest

from index import text
from index.document import Document, Holding
from index.errors import QueryError
from index.fields import BY_NAME, FACETS, flatten
from index.query import Facet, Filter, Query, cut_facet
from index.solr_schema import SCHEMA_PATH, render


@pytest.mark.parametrize("word, folded", [
    ("čáhppes", "cahppes"), ("đuoddara", "duoddara"), ("ŧuolla", "tuolla"), ("ŋuolggat", "nuolggat"),
    ("šaldi", "saldi"), ("žiŋŋa", "zinna"), ("ðuoddara", "duoddara"), ("Sääʹmǩiõll", "sääʹmkiõll".replace("ʹ", "").replace("õ", "o")),
    ("blåbær", "blåbær"), ("Søvn", "søvn"), ("Hämeenlinna", "hämeenlinna"), ("Ёлка", "елка"), ("йод", "йод"),
])
def test_fold(word, folded):
    assert text.fold(word) == folded


def test_exact_form_keeps_diacritics_but_equates_yo():
    assert text.normalize("Čáhppes Ёж") == "čáhppes еж"


def test_isbn_forms_both_ways():
    assert text.isbn_forms("82-05-12345-8") == ["8205123458", "9788205123458"]
    assert text.isbn_forms("978-82-05-30541-7") == ["9788205305417", "8205305412"]


def test_split_query_keeps_identifiers_whole():
    assert text.split_query("978-82-05-30541-7 Hamsun") == (["hamsun"], ["9788205305417"])


def test_flatten_adds_sami_group_and_stem_routing():
    doc = Document(id="a:1", work_id="w", source="a", title="Čáhppes", languages=("sme", "nob"),
                   holdings=(Holding("x", available=1),), isbns=("8205123458",))
    values = flatten(doc)
    assert values["language"] == ["sme", "nob", "smi"]
    assert "stem_no" in values and "stem_fi" not in values
    assert values["availability"] == ["available"] and values["available_at"] == ["x"]
    assert "9788205123458" in values["identifier"]


def test_document_round_trips_and_rejects_route_separator():
    doc = Document(id="a:1", work_id="w", source="a", title="T", subjects={"humord": ("Rein",)},
                   holdings=(Holding("x"),))
    assert Document.from_json(doc.to_json()) == doc
    with pytest.raises(ValueError):
        Document(id="a!1", work_id="w", source="a", title="T")


def test_cut_facet_keeps_always_values_below_the_cut():
    counts = {"nob": 50, "eng": 20, "sme": 2, "fkv": 1}
    facet = Facet("language", limit=2, always=("sme", "fkv", "smj"))
    assert [(v.value, v.count) for v in cut_facet(counts, facet)] == [("nob", 50), ("eng", 20), ("sme", 2), ("fkv", 1)]


def test_query_validation_names_the_problem():
    with pytest.raises(QueryError, match="sort"):
        Query(sort="random").validate()
    with pytest.raises(QueryError, match="title"):
        Query(filters=(Filter("title", ("x",)),)).validate()
    with pytest.raises(QueryError, match="search field"):
        Query(fielded=(("nope", "x"),)).validate()


def test_solr_schema_is_generated_from_the_field_table():
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render(), "run python -m index.solr_schema"
    for name in FACETS:
        assert f'name="{name}"' in render()
    assert BY_NAME["language"].facet
