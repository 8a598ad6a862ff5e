"""A record's languages as BIBFRAME: what the record catalogues, and what Grenseløs detected.

Both come from one reader, `transform.languages.record_languages`, so the graph, the language facet and
the librarians' report never disagree about what a record's codes mean (`lap` is `smi`, `041 #7 $a fkv
$2 iso639-3` is Kven, `engfre` is two languages).

Catalogued (`add_catalogued`, run by the mapping's `step languages` on 008 and 041): the text languages
(008/35-37, 041 $a $d) are `bf:language` IRIs on the Work; the language a translation was made from
(041 $h) goes on the original Work (`bf:translationOf` to `{instance}#original`, the node 240 and 765
also describe); every other role is an inner `bf:Language` with `rdf:value` and a `bf:part` whose label
comes from the code list `mapping/codes/language-roles.tsv`. MARC codes become id.loc.gov IRIs; ISO
639-3 codes without a MARC code (fkv, fit, sjd ...) lexvo.org IRIs. A code the vocabulary does not know
is kept as `bf:code` on an inner `bf:Language` and reported as a warning, never dropped.

Detected (`detected_triples`, added by the pipeline): see its docstring and `mapping/README.md`.
"""

from __future__ import annotations

from pyoxigraph import Literal, NamedNode, Triple

from transform import bibframe
from transform.languages import TEXT_ROLES, RecordLanguages, coding_problems, record_languages
from vocab import languages as vocab

_T = bibframe.term
LANG = bibframe.PREFIXES["lang"]
ISO639_3 = bibframe.PREFIXES["iso639-3"]
TYPE, VALUE, LABEL = _T("rdf:type"), _T("rdf:value"), _T("rdfs:label")
LANGUAGE, LANGUAGE_CLASS, PART, CODE = _T("bf:language"), _T("bf:Language"), _T("bf:part"), _T("bf:code")
TRANSLATION_OF, WORK = _T("bf:translationOf"), _T("bf:Work")
STATUS, STATUS_CLASS = _T("bf:status"), _T("bf:Status")
NOTE, NOTE_CLASS, NOTE_TYPE = _T("bf:note"), _T("bf:Note"), _T("bf:noteType")
ADMIN, ADMIN_CLASS = _T("bf:adminMetadata"), _T("bf:AdminMetadata")
PROCESS, PROCESS_CLASS = _T("bf:generationProcess"), _T("bf:GenerationProcess")

ROLE_LIST = "language-roles"
"""The code list (mapping/codes/language-roles.tsv) giving each 041 role its `bf:part` label."""
PROCESS_LABEL = "Grenseløs language identification (langdetect with Sami, Kven and Meänkieli profiles)"
DETECTED, SUGGESTED = "detected", "suggested"
"""`bf:code` of the detected language's `bf:Status`: `detected` when it feeds the language facet (the
record has no usable code), `suggested` when the catalogued code stands and this is a hint to fix it."""


def language_iri(code: str) -> NamedNode | None:
    """The IRI of a canonical language code: id.loc.gov for MARC codes, lexvo.org for ISO 639-3 only."""
    lang = vocab.get(code)
    if lang is None:
        return None
    if lang.marc:
        return NamedNode(LANG + lang.marc)
    return NamedNode(ISO639_3 + lang.code)


def add_catalogued(env) -> bool:
    """Emit the record's catalogued languages once per record (the first 008 or 041 does it)."""
    if env.languages is not None:
        return False
    source_id = getattr(env.ctx, "source_id", None)
    langs = record_languages(env.record, source_id, detect=False)
    env.languages = langs
    roles = env.maps.get(ROLE_LIST, {})
    added = False
    for code, role in langs.catalogued:
        iri = language_iri(code)
        if iri is None:          # normalised codes are always known; guard against a vocab change
            continue
        added = True
        if role in TEXT_ROLES:
            env.add(env.work, LANGUAGE, iri)
        elif role == "original":
            original = NamedNode(f"{env.instance_iri}#original")
            env.add(env.work, TRANSLATION_OF, original)
            env.add(original, TYPE, WORK)
            env.add(original, LANGUAGE, iri)
        else:
            node = env.mint("language")
            env.add(env.work, LANGUAGE, node)
            env.add(node, TYPE, LANGUAGE_CLASS)
            env.add(node, VALUE, iri)
            label = roles.get(role)
            if label is None:
                env.warn(f"language role {role!r} has no label in codes/{ROLE_LIST}.tsv")
                label = role.replace("_", " ")
            env.add(node, PART, Literal(label))
    for raw in langs.unknown:
        node = env.mint("language")
        env.add(env.work, LANGUAGE, node)
        env.add(node, TYPE, LANGUAGE_CLASS)
        env.add(node, CODE, Literal(raw))
        added = True
    coding = set(coding_problems(langs.catalogued))
    for problem in langs.problems:
        if problem not in coding:
            env.warn(f"language: {problem}")
    return added


def detected_triples(instance_iri: str, work_iri: str, langs: RecordLanguages) -> list[Triple]:
    """A detected language on the Work, marked so nobody mistakes it for a catalogued code.

        <work> bf:language <{instance}#language-detected> .
        <{instance}#language-detected> a bf:Language ; rdf:value lang:sme ;
            bf:status [ a bf:Status ; bf:code "detected" | "suggested" ; rdfs:label "..." ] ;
            bf:note [ a bf:Note ; bf:noteType "language detection" ;
                      rdfs:label "detected by Grenseløs, confidence 0.93; evidence: ..." ] ;
            bf:adminMetadata [ a bf:AdminMetadata ; bf:generationProcess [ a bf:GenerationProcess ;
                      rdfs:label "Grenseløs language identification (...)" ] ] .

    The inner nodes have IRIs under the instance (`#language-detected-status` ...), so a re-run gives
    the same triples. Nothing when there is no detection.
    """
    detection = langs.detected
    if detection is None:
        return []
    iri = language_iri(detection.code)
    if iri is None:
        return []
    node = NamedNode(f"{instance_iri}#language-detected")
    status, note = NamedNode(f"{node.value}-status"), NamedNode(f"{node.value}-note")
    admin, process = NamedNode(f"{node.value}-admin"), NamedNode(f"{node.value}-process")
    state = DETECTED if langs.effective_is_detected else SUGGESTED
    use = ("used for the language facet because the record has no usable code" if state == DETECTED
           else "a suggestion; the catalogued code stands")
    text = f"detected by Grenseløs, confidence {detection.confidence:.2f}; {use}"
    if detection.evidence:
        text += "; evidence: " + "; ".join(detection.evidence)
    return [
        Triple(NamedNode(work_iri), LANGUAGE, node),
        Triple(node, TYPE, LANGUAGE_CLASS),
        Triple(node, VALUE, iri),
        Triple(node, STATUS, status),
        Triple(status, TYPE, STATUS_CLASS),
        Triple(status, CODE, Literal(state)),
        Triple(status, LABEL, Literal(f"{state} by Grenseløs, not catalogued")),
        Triple(node, NOTE, note),
        Triple(note, TYPE, NOTE_CLASS),
        Triple(note, NOTE_TYPE, Literal("language detection")),
        Triple(note, LABEL, Literal(text)),
        Triple(node, ADMIN, admin),
        Triple(admin, TYPE, ADMIN_CLASS),
        Triple(admin, PROCESS, process),
        Triple(process, TYPE, PROCESS_CLASS),
        Triple(process, LABEL, Literal(PROCESS_LABEL)),
    ]
