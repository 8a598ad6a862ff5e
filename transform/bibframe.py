"""The closed vocabulary the mapping may use: BIBFRAME 2, bflc and a handful of RDF(S)/OWL terms.

In the spirit of rdflib's `DefinedNamespace(_fail=True)`: a misspelt term in a mapping file must fail
when the tables are loaded, naming file and line, instead of publishing nonsense. The term lists are
data (`mapping/vocabulary/*.txt`, extracted from LC's ontology files) so that a new BIBFRAME release is
a data update.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pyoxigraph import NamedNode

BF = "http://id.loc.gov/ontologies/bibframe/"
BFLC = "http://id.loc.gov/ontologies/bflc/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
DCTERMS = "http://purl.org/dc/terms/"
VOID = "http://rdfs.org/ns/void#"
MADS = "http://www.loc.gov/mads/rdf/v1#"
EDTF = "http://id.loc.gov/datatypes/edtf"

#: BIBFRAME release the term list and the output follow; recorded in the dataset description.
BIBFRAME_VERSION = "2.6.0"

#: Prefixes usable in mapping files and examples (and offered to Turtle/JSON-LD serialisers).
PREFIXES = {
    "bf": BF, "bflc": BFLC, "rdf": RDF, "rdfs": RDFS, "owl": OWL, "xsd": XSD, "dcterms": DCTERMS,
    "void": VOID, "madsrdf": MADS,
    "lang": "http://id.loc.gov/vocabulary/languages/",
    "iso639-3": "http://lexvo.org/id/iso639-3/",
    "relator": "http://id.loc.gov/vocabulary/relators/",
    "country": "http://id.loc.gov/vocabulary/countries/",
    "carrier": "http://id.loc.gov/vocabulary/carriers/",
    "content": "http://id.loc.gov/vocabulary/contentTypes/",
    "media": "http://id.loc.gov/vocabulary/mediaTypes/",
    "issuance": "http://id.loc.gov/vocabulary/issuance/",
    "mstatus": "http://id.loc.gov/vocabulary/mstatus/",
    "scheme": "http://id.loc.gov/vocabulary/subjectSchemes/",
    "genre": "http://id.loc.gov/vocabulary/genreFormSchemes/",
    "audience": "http://id.loc.gov/vocabulary/maudience/",
    "classscheme": "http://id.loc.gov/vocabulary/classSchemes/",
    "gac": "http://id.loc.gov/vocabulary/geographicAreas/",
    "millus": "http://id.loc.gov/vocabulary/millus/",
    "menclvl": "http://id.loc.gov/vocabulary/menclvl/",
    "descconv": "http://id.loc.gov/vocabulary/descriptionConventions/",
    "org": "http://id.loc.gov/vocabulary/organizations/",
    "marcauthen": "http://id.loc.gov/vocabulary/marcauthen/",
}

#: Non-BIBFRAME terms the mapping may use; everything else must be in the BIBFRAME/bflc lists.
_OTHER_TERMS = {
    RDF: {"type", "value", "first", "rest", "nil"},
    RDFS: {"label", "seeAlso"},
    OWL: {"sameAs"},
    DCTERMS: {"isPartOf", "modified", "hasVersion"},
    VOID: {"Dataset"},
    # MADS/RDF, as LC's converter uses it, only for the parts of a pre-coordinated subject heading
    MADS: {"componentList", "authoritativeLabel", "ComplexSubject", "Topic", "Geographic", "Temporal",
           "GenreForm", "PersonalName", "CorporateName", "ConferenceName", "Title", "NameTitle",
           "FamilyName", "isMemberOfMADSScheme"},
}

_VOCAB_DIR = Path(__file__).parent / "mapping" / "vocabulary"


class UnknownTerm(ValueError):
    """A prefixed name that is not a term of the closed vocabulary."""


@lru_cache(maxsize=None)
def _terms() -> dict[str, set[str]]:
    terms: dict[str, set[str]] = {ns: set(names) for ns, names in _OTHER_TERMS.items()}
    for name, ns in (("bibframe.txt", BF), ("bflc.txt", BFLC)):
        found = terms.setdefault(ns, set())
        for line in (_VOCAB_DIR / name).read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                found.add(line.split()[1])
    return terms


def expand(name: str) -> str:
    """Expand `prefix:local` (or `<iri>`) to a full IRI, without checking the vocabulary."""
    if name.startswith("<") and name.endswith(">"):
        return name[1:-1]
    prefix, sep, local = name.partition(":")
    if not sep or prefix not in PREFIXES:
        raise UnknownTerm(f"unknown prefix in {name!r} (known: {', '.join(sorted(PREFIXES))})")
    return PREFIXES[prefix] + local


def term(name: str) -> NamedNode:
    """The NamedNode of a vocabulary term such as `bf:mainTitle`; raises UnknownTerm if it is not one."""
    iri = expand(name)
    for ns, names in _terms().items():
        if iri.startswith(ns) and iri[len(ns):] in names:
            return NamedNode(iri)
    for ns in _terms():
        if iri.startswith(ns):
            raise UnknownTerm(f"{name!r} is not a term of {ns}{_suggest(iri[len(ns):], _terms()[ns])}")
    raise UnknownTerm(f"{name!r} is outside the closed vocabulary (bf:, bflc:, rdf:, rdfs:, owl:)")


def is_class(name: str) -> bool:
    local = name.partition(":")[2]
    return bool(local) and local[0].isupper()


def _suggest(local: str, names: set[str]) -> str:
    import difflib
    close = difflib.get_close_matches(local, names, n=3)
    return f"; did you mean {', '.join(close)}?" if close else ""
