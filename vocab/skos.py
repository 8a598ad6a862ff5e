"""The language vocabulary as SKOS, for the linked-data layer to serve (`/vocab/languages`).

Every language with hand-written names becomes a skos:Concept with labels in nb, nn, se and en, its
autonym as an altLabel, its codes as notations, and exactMatch links to id.loc.gov (MARC code) and
lexvo (ISO 639-3). The Sami languages hang under the collective `smi` (skos:broader/narrower) and form
a skos:Collection, so a client can ask for "every Sami language" in one query.
"""

from __future__ import annotations

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS, XSD

from vocab import languages as vocab

LOC = "http://id.loc.gov/vocabulary/languages/"
LEXVO = "http://lexvo.org/id/iso639-3/"
_TAGS = {"nb": "nb", "nn": "nn", "se": "se", "en": "en"}


def scheme_uri(base_uri: str) -> URIRef:
    return URIRef(base_uri.rstrip("/") + "/vocab/languages")


def notation_namespace(base_uri: str) -> Namespace:
    """Datatypes telling which code list a skos:notation comes from (marc, iso639_3, iso639_1)."""
    return Namespace(base_uri.rstrip("/") + "/vocab/ns#")


def language_uri(base_uri: str, code: str) -> URIRef:
    lang = vocab.get(code)
    return URIRef(f"{scheme_uri(base_uri)}/{lang.code if lang else code}")


def graph(base_uri: str = "http://localhost:5000", codes=None) -> Graph:
    g = Graph()
    g.bind("skos", SKOS)
    g.bind("dcterms", DCTERMS)
    scheme = scheme_uri(base_uri)
    g.bind("glv", notation_namespace(base_uri))
    g.add((scheme, RDF.type, SKOS.ConceptScheme))
    g.add((scheme, DCTERMS.title, Literal("Grenseløs languages", lang="en")))
    g.add((scheme, DCTERMS.title, Literal("Grenseløs språk", lang="nb")))
    g.add((scheme, DCTERMS.title, Literal("Grenseløs gielat", lang="se")))
    langs = vocab.languages(codes) if codes is not None else vocab.languages()
    for lang in langs:
        _add_language(g, base_uri, scheme, lang)
    sami = URIRef(f"{scheme}/group/smi")
    g.add((sami, RDF.type, SKOS.Collection))
    for ui in vocab.UI_LANGUAGES:
        g.add((sami, SKOS.prefLabel, Literal(vocab.label("smi", ui), lang=_TAGS[ui])))
    for code in sorted(vocab.SAMI_GROUP):
        g.add((sami, SKOS.member, language_uri(base_uri, code)))
        if code != "smi":
            _add_language(g, base_uri, scheme, vocab.get(code))
            g.add((language_uri(base_uri, code), SKOS.broader, language_uri(base_uri, "smi")))
            g.add((language_uri(base_uri, "smi"), SKOS.narrower, language_uri(base_uri, code)))
    for code in ("nob", "nno"):
        g.add((language_uri(base_uri, code), SKOS.broader, language_uri(base_uri, "nor")))
        g.add((language_uri(base_uri, "nor"), SKOS.narrower, language_uri(base_uri, code)))
    return g


def _add_language(g: Graph, base_uri: str, scheme: URIRef, lang: vocab.Language) -> None:
    uri = language_uri(base_uri, lang.code)
    ns = notation_namespace(base_uri)
    if (uri, RDF.type, SKOS.Concept) in g:
        return
    g.add((uri, RDF.type, SKOS.Concept))
    g.add((uri, SKOS.inScheme, scheme))
    for ui in vocab.UI_LANGUAGES:
        g.add((uri, SKOS.prefLabel, Literal(lang.label(ui), lang=_TAGS[ui])))
    if lang.autonym and lang.autonym != lang.code:
        g.add((uri, SKOS.altLabel, Literal(lang.autonym, lang=lang.iso639_1 or lang.iso639_3 or lang.code)))
    g.add((uri, SKOS.notation, Literal(lang.code)))
    if lang.marc:
        g.add((uri, SKOS.notation, Literal(lang.marc, datatype=ns.marc)))
        g.add((uri, SKOS.exactMatch, URIRef(LOC + lang.marc)))
    if lang.iso639_3:
        g.add((uri, SKOS.notation, Literal(lang.iso639_3, datatype=ns.iso639_3)))
        g.add((uri, SKOS.exactMatch, URIRef(LEXVO + lang.iso639_3)))
    if lang.iso639_1:
        g.add((uri, SKOS.notation, Literal(lang.iso639_1, datatype=ns.iso639_1)))
    if lang.needs_review:
        g.add((uri, SKOS.editorialNote,
               Literal("names to review: " + ", ".join(sorted(lang.needs_review)), lang="en")))


def turtle(base_uri: str = "http://localhost:5000", codes=None) -> str:
    return graph(base_uri, codes).serialize(format="turtle")


if __name__ == "__main__":
    print(turtle())
