"""The field and facet table, as data: what each search field holds, how it is searched and faceted.

Both backends read this table. `flatten` turns a Document into logical field values once, so that
tantivy and Solr index exactly the same content; each backend only adds its own analysis (the Solr
schema declares the same names, checked by a test).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from index import text as textmod
from index.document import Document
from vocab import languages as vocab_languages

#: The Sami languages (from vocab, their one home), each kept distinct in the language facet.
SAMI = tuple(sorted(vocab_languages.SAMI_GROUP - {"smi"}))
#: The group value for "Sami languages" (the collective ISO 639-2 / MARC code).
SAMI_GROUP = "smi"
#: Always listed in the language facet: the Sami group and the county's minority languages.
MINORITY_ALWAYS = (SAMI_GROUP, *vocab_languages.MINORITY_LANGUAGES)

#: Languages whose text goes into each stemmed field (the rest is searched unstemmed only).
STEM_LANGUAGES = {
    "stem_no": ("nob", "nno", "nor", "dan", "swe"),
    "stem_fi": ("fin", "fkv", "fit"),
    "stem_ru": ("rus",),
    "stem_en": ("eng",),
}

#: Subject vocabularies with a facet of their own; headings from any other go to subject_other.
SUBJECT_VOCABULARIES = ("humord", "noubomn", "lcsh", "yso", "fast", "mesh")


@dataclass(frozen=True)
class Field:
    name: str
    kind: str            # "text" (analysed), "string" (exact), "int", "float"
    multi: bool = True
    facet: bool = False  # a string field that facets and filters
    help: str = ""


FIELDS = (
    Field("id", "string", multi=False, help="Public record id `{source}-{record_id}` (as in the instance URI)."),
    Field("harvest_id", "string", multi=False, help="`source:identifier` as harvested (resolves old ids)."),
    Field("work_id", "string", multi=False, facet=True, help="Work cluster id; grouping key."),
    Field("source", "string", multi=False, facet=True, help="Source the record was harvested from."),
    Field("doc", "stored", multi=False, help="The whole Document as JSON, returned with hits."),
    Field("title", "text", help="Title, subtitle, variant and uniform titles."),
    Field("title_exact", "string", help="Each title reduced to its words, for exact-title ranking."),
    Field("contributor", "text", help="Authors, editors, translators, illustrators."),
    Field("subject", "text", help="Subject headings of every vocabulary."),
    Field("genre", "text", help="Genre/form terms as catalogued, and the genre labels in every UI language."),
    Field("series", "text", help="Series titles."),
    Field("publisher", "text", help="Publishers."),
    Field("notes", "text", help="Summary and contents notes."),
    Field("all", "text", help="Everything searchable, in its exact form (with the names of the record's "
                              "languages in every interface language and the places of publication)."),
    Field("identifier", "string", help="ISBN (10 and 13), ISSN and other identifiers, normalised."),
    *(Field(name, "text", help=f"Text of records in {', '.join(langs)}, stemmed.")
      for name, langs in STEM_LANGUAGES.items()),
    Field("year", "int", multi=False, help="Year of publication; range facet."),
    Field("work_libraries", "int", multi=False, help="Libraries holding any edition of the work."),
    Field("rank", "float", multi=False, help="Static rank: libraries holding the work, then recency."),
    Field("sort_rank", "string", multi=False, help="The order of editions and of tied hits (`edition_order`): "
                                                  "libraries holding the work, then this edition, newest, id."),
    Field("sort_title", "string", multi=False, help="Sort key: title, then id."),
    Field("sort_newest", "string", multi=False, help="Sort key: newest year first, then title, then id."),
    Field("contributor_facet", "string", facet=True, help="Contributors as facet values."),
    Field("subject_facet", "string", facet=True, help="Subject headings of every vocabulary."),
    *(Field(f"subject_{v}", "string", facet=True, help=f"Subject headings from {v}.")
      for v in (*SUBJECT_VOCABULARIES, "other")),
    Field("genre_facet", "string", facet=True, help="Genre/form ids of vocab.genres (fiction, novels, ...)."),
    Field("series_facet", "string", facet=True, help="Series titles."),
    Field("publisher_facet", "string", facet=True, help="Publishers."),
    Field("language", "string", facet=True, help="Every language of the record, plus 'smi' for any Sami."),
    Field("format", "string", facet=True, help="Format / content type."),
    Field("audience", "string", facet=True, help="adult, young_adult, children."),
    Field("library", "string", facet=True, help="Holding libraries."),
    Field("municipality", "string", facet=True, help="Municipalities of the holding libraries."),
    Field("library_kind", "string", facet=True, help="public or school."),
    Field("availability", "string", facet=True, help="'available' when a copy is on the shelf now; 'digital' "
          "for a shared digital resource (e-book, e-audiobook, database)."),
    Field("available_at", "string", facet=True, help="Libraries with a copy on the shelf now."),
    Field("access", "string", facet=True, help="Libraries whose patrons may open a shared digital resource "
          "(its source's access)."),
)

BY_NAME = {f.name: f for f in FIELDS}
FACETS = tuple(f.name for f in FIELDS if f.facet)
TEXT_FIELDS = tuple(f.name for f in FIELDS if f.kind == "text")

#: Free-text search: field -> boost. Folded twins (`<name>_fold`) get FOLD_FACTOR of the boost.
FREE_TEXT_BOOSTS = {
    "title": 6.0, "contributor": 3.0, "subject": 2.0, "series": 1.5, "genre": 1.0, "publisher": 0.8,
    "notes": 0.5, "all": 1.0, "stem_no": 0.8, "stem_fi": 0.8, "stem_ru": 0.8, "stem_en": 0.8,
}
FOLDED = ("title", "contributor", "subject", "series", "all")
FOLD_FACTOR = 0.4
EXACT_TITLE_BOOST = 40.0
IDENTIFIER_BOOST = 60.0

#: Fielded search names a patron (or the portal's advanced search) may use -> index field.
FIELDED = {
    "title": "title", "contributor": "contributor", "author": "contributor", "subject": "subject",
    "genre": "genre", "series": "series", "publisher": "publisher", "isbn": "identifier",
    "issn": "identifier", "identifier": "identifier",
}


#: Filter values that stand for a group of values: "sami" (as the portal says it) is the Sami group.
FILTER_ALIASES = {("language", "sami"): (SAMI_GROUP,)}


def filter_values(field: str, values) -> list[str]:
    """The index values a filter's values stand for (group aliases expanded), without repeats."""
    out: list[str] = []
    for value in values:
        for v in FILTER_ALIASES.get((field, value), (value,)):
            if v not in out:
                out.append(v)
    return out


@lru_cache(maxsize=256)
def genre_labels(genre_id: str) -> tuple[str, ...]:
    """A genre id's labels in every interface language, so that `roman` or `románat` finds novels."""
    from vocab import genres
    from vocab.tables import UI_LANGUAGES
    term = genres.get(genre_id)
    if term is None:
        return ()
    return tuple(dict.fromkeys(term.label(ui) for ui in UI_LANGUAGES))


@lru_cache(maxsize=512)
def language_names(code: str) -> tuple[str, ...]:
    """A language's names in every interface language and its own, so that `samisk`, `Sami` or `kvensk`
    finds the books in that language (from vocab, the names' one home)."""
    return vocab_languages.names(code)


def rank(doc: Document) -> float:
    """Works held by many libraries first, then newer ones: one number both engines multiply in."""
    recency = max(0, min((doc.year or 1900) - 1900, 130)) / 50.0
    return float(doc.work_libraries) + recency


def edition_order(doc: Document) -> str:
    """The one rule, stated here rather than left to an engine, for which edition heads its work in a
    grouped search and how hits that tie are ordered: works held by more libraries first, then the
    edition held by more libraries, then the newest, then the document id. tantivy and Solr compute
    scores differently; both sort by this key (`sort_rank`) where scores tie, and both show a work's
    matching editions in this order (under the relevance sort), so they answer alike."""
    return (f"{999_999 - min(doc.work_libraries, 999_999):06d}{999_999 - min(len(doc.libraries), 999_999):06d}"
            f"{9999 - min(max(doc.year or 0, 0), 9999):04d}\u0001{doc.id}")


def _unique(values) -> list[str]:
    """Values stripped, without empty ones and repeats, in first-seen order (all in C: it runs twenty
    times for every document indexed)."""
    return list(dict.fromkeys(filter(None, map(str.strip, filter(None, values)))))


def sort_key(doc: Document, sort: str) -> str:
    """The string a document sorts by: title then id, or newest year first, then title, then id. Kept
    in the index as `sort_title`/`sort_newest`, and computed here for hits already in hand."""
    if sort == "newest":
        return f"{9999 - (doc.year or 0):04d}\u0001{textmod.exact_key(doc.title)}\u0001{doc.id}"
    return f"{textmod.exact_key(doc.title)}\u0001{doc.id}"


def flatten(doc: Document) -> dict[str, object]:
    """Logical field values of one document; absent fields are left out."""
    titles = _unique([" ".join(p for p in (doc.title, doc.subtitle) if p), *doc.title_variants,
                      doc.uniform_title])
    exact_titles = _unique([textmod.exact_key(t) for t in (doc.title, *titles)])
    subjects = [h for headings in doc.subjects.values() for h in headings]
    identifiers = []
    for isbn in doc.isbns:
        identifiers += textmod.isbn_forms(isbn)
    identifiers += [textmod.normalize_identifier(i) for i in (*doc.issns, *doc.other_identifiers)]
    languages = _unique(doc.languages)
    if any(code in SAMI for code in languages) and SAMI_GROUP not in languages:
        languages.append(SAMI_GROUP)
    genre_text = _unique([*doc.genre_terms, *(label for g in doc.genres for label in genre_labels(g))])
    # the languages' names and the places of publication are found by the words for them ("samisk",
    # "Tromsø"); places as subjects (651, 650 $z) are in the subject headings already
    names = _unique(name for code in languages for name in language_names(code))
    searchable = [*titles, *doc.contributors, *subjects, *genre_text, *doc.series, *doc.publishers, doc.notes,
                  *names, *doc.places]
    all_text = textmod.normalize(" \n ".join(s for s in searchable if s))
    holdings = [h for h in doc.holdings if h.region]      # the library facets list the region's libraries only
    out: dict[str, object] = {
        "id": doc.id, "harvest_id": doc.harvest_id or None, "work_id": doc.work_id, "source": doc.source,
        "doc": doc.to_json(),
        "title": [textmod.normalize(t) for t in titles],
        "title_exact": exact_titles,
        "contributor": [textmod.normalize(c) for c in doc.contributors],
        "subject": [textmod.normalize(s) for s in subjects],
        "genre": [textmod.normalize(g) for g in genre_text],
        "series": [textmod.normalize(s) for s in doc.series],
        "publisher": [textmod.normalize(p) for p in doc.publishers],
        "notes": [textmod.normalize(doc.notes)] if doc.notes else [],
        "all": [all_text],
        "identifier": _unique(identifiers),
        "work_libraries": doc.work_libraries,
        "rank": rank(doc),
        "sort_rank": edition_order(doc),
        "sort_title": sort_key(doc, "title"),
        "sort_newest": sort_key(doc, "newest"),
        "contributor_facet": _unique(doc.contributors),
        "subject_facet": _unique(subjects),
        "genre_facet": _unique(doc.genres),
        "series_facet": _unique(doc.series),
        "publisher_facet": _unique(doc.publishers),
        "language": languages,
        "format": _unique(doc.formats),
        "audience": _unique(doc.audiences),
        "library": _unique(h.library for h in holdings),
        "municipality": _unique(h.municipality for h in holdings),
        "library_kind": _unique(h.kind for h in holdings),
        "availability": (["available"] if any(h.available > 0 for h in holdings) else [])
                        + (["digital"] if doc.access else []),
        "access": _unique(doc.access),
        "available_at": _unique(h.library for h in holdings if h.available > 0),
    }
    if doc.year is not None:
        out["year"] = doc.year
    for vocab, headings in doc.subjects.items():
        name = f"subject_{vocab}" if vocab in SUBJECT_VOCABULARIES else "subject_other"
        out[name] = _unique([*out.get(name, []), *headings])
    for name, codes in STEM_LANGUAGES.items():
        out[name] = [all_text] if any(code in codes for code in languages) else []
    return {k: v for k, v in out.items() if v != [] and v is not None}
