"""Named steps of the projection table (`projection.map`), in the manner of the mapping's steps.

A step takes the values a row's path reached (resources of the description, or literals) and the
`Context` (the record's `Description`, the index stage's detected languages) and returns new values:
text, numbers, or (vocabulary, heading) pairs for the subjects. Steps only read; they never strip ISBD
punctuation (the mapping's `clean` step did that once) and never read MARC. Where a step turns coded
values into the portal's terms, the terms come from `vocab/` (genres, relators, languages).
"""

from __future__ import annotations

import re
from functools import lru_cache

from pyoxigraph import Literal, NamedNode

from transform import bibframe
from transform.languages import usable_text_codes
from vocab import genres as genre_vocab
from vocab import languages as language_vocab
from vocab import relators

STEPS: dict[str, tuple] = {}   # name -> (function, or a factory given the argument; False, True or "optional")

_T = bibframe.term
LABEL, VALUE, CODE = _T("rdfs:label"), _T("rdf:value"), _T("bf:code")
MAIN_TITLE, SUBTITLE = _T("bf:mainTitle"), _T("bf:subtitle")
PART_NUMBER, PART_NAME = _T("bf:partNumber"), _T("bf:partName")
AGENT, ROLE, SOURCE, STATUS = _T("bf:agent"), _T("bf:role"), _T("bf:source"), _T("bf:status")
RDF_TYPE = _T("rdf:type")
INTENDED_AUDIENCE, GENRE_FORM = _T("bf:IntendedAudience"), _T("bf:GenreForm")
RELATOR = bibframe.PREFIXES["relator"]
AUDIENCE = bibframe.PREFIXES["audience"]
SCHEME = bibframe.PREFIXES["scheme"]
LANGUAGE_IRIS = (bibframe.PREFIXES["lang"], bibframe.PREFIXES["iso639-3"])
CANCELLED = NamedNode(bibframe.PREFIXES["mstatus"] + "cancinv")
_YEAR = re.compile(r"(1[4-9]\d\d|20\d\d)")
#: Codes that name no language of the text (undetermined, multiple, none, missing).
NO_LANGUAGE = frozenset({"und", "mul", "zxx", "mis"})


def step(name: str, takes_arg: bool = False):
    def register(fn):
        STEPS[name] = (fn, takes_arg)
        return fn
    return register


def _text(values) -> list[str]:
    return [v.value if isinstance(v, Literal) else v for v in values if isinstance(v, (str, Literal))]


# ---------------------------------------------------------------------------------------------
# Generic

@step("first")
def first(values, ctx):
    """The first value only."""
    return values[:1]


@step("rest")
def rest(values, ctx):
    """Every value but the first (a title in another script, after the title proper)."""
    return values[1:]


@step("otherwise", takes_arg=True)
def otherwise(text):
    """The argument when the row found nothing (`otherwise:[untitled]`)."""
    def run(values, ctx):
        return values or [text]
    return run


# ---------------------------------------------------------------------------------------------
# Titles, agents, subjects

@step("title", takes_arg="optional")
def title(arg):
    """Titles → one line each: the main title, then its part number and name. A title proper joins them
    as ISBD does (`Lord of the rings. Part 2, The two towers`), `title:uniform` as a uniform title does
    (`Symphonies, no. 5`); `title:subtitle` adds the subtitle after ` : `."""
    if arg not in ("", "subtitle", "uniform"):
        raise ValueError("title takes no argument, `subtitle` or `uniform`")
    return lambda values, ctx: _titles(values, ctx, arg)


def _titles(values, ctx, arg: str) -> list[str]:
    d, out = ctx.description, []
    for node in values:
        if isinstance(node, Literal):
            continue
        main = " ".join(d.literals(node, MAIN_TITLE))
        parts = ", ".join(d.literals(node, PART_NUMBER) + d.literals(node, PART_NAME))
        text = f"{main}{', ' if arg == 'uniform' else '. '}{parts}" if main and parts else main or parts
        sub = " ".join(d.literals(node, SUBTITLE)) if arg == "subtitle" else ""
        text = f"{text} : {sub}" if text and sub else text
        if text:
            out.append(text)
    return out


@step("subtitle")
def subtitle(values, ctx):
    """Titles → their subtitles."""
    return [s for node in values if not isinstance(node, Literal) for s in ctx.description.literals(node, SUBTITLE)]


def _contributions(values, ctx) -> list[tuple[str, list[str]]]:
    """(agent label, relator codes) per agent in contribution order; an agent contributing twice (100 and
    700) is one entry with every role."""
    d = ctx.description
    merged: dict[str, list[str]] = {}
    for contribution in values:
        name = next((d.literal(a, LABEL) for a in d.objects(contribution, AGENT) if d.literal(a, LABEL)), "")
        if not name:
            continue
        roles = merged.setdefault(name, [])
        for code in _role_codes(d, contribution):
            if code not in roles:
                roles.append(code)
    return list(merged.items())


def _role_codes(d, contribution) -> list[str]:
    """Relator codes of a contribution: the relator IRI's code; a role the mapping's relator list did
    not know stays a local bf:Role with its label as catalogued, read through `vocab.relators`."""
    out = []
    for role in d.objects(contribution, ROLE):
        if isinstance(role, NamedNode) and role.value.startswith(RELATOR):
            out.append(role.value[len(RELATOR):])
        elif d.literal(role, LABEL):
            out += relators.codes_for([d.literal(role, LABEL)])
    return out


@step("agents")
def agents(values, ctx):
    """Contributions → their agents' names (rdfs:label), each agent once."""
    return [name for name, _roles in _contributions(values, ctx)]


@step("roles")
def roles(values, ctx):
    """Contributions → relator codes per agent, comma-separated, in the order `agents` gives."""
    return [",".join(codes) for _name, codes in _contributions(values, ctx)]


@step("headings")
def headings(values, ctx):
    """Subjects → (vocabulary, heading): each rdfs:label of the subject (a concept two libraries
    catalogued in two languages has both) with its scheme's code (`…/subjectSchemes/humord` → `humord`;
    '' when the description names none)."""
    d, out = ctx.description, []
    for node in values:
        if isinstance(node, Literal):
            out.append(("", node.value))
            continue
        scheme = next((s.value[len(SCHEME):] for s in d.objects(node, SOURCE)
                       if isinstance(s, NamedNode) and s.value.startswith(SCHEME)), "")
        out += [(scheme, label) for label in d.literals(node, LABEL)]
    return out


# ---------------------------------------------------------------------------------------------
# Genre and audience (terms from vocab.genres)

def _genre_parts(values, ctx) -> tuple[list[str], list[str]]:
    """(coded literary forms: the bf:code of 008/33's genre/form, free-text genre/form labels)."""
    d, codes, terms = ctx.description, [], []
    for node in values:
        if isinstance(node, Literal) or GENRE_FORM not in d.types(node):
            continue
        code = d.literal(node, CODE)
        if code:
            codes.append(code)
        elif d.literal(node, LABEL):
            terms.append(d.literal(node, LABEL))
    return codes, terms


@step("genres")
def genres(values, ctx):
    """Genre/forms → genre ids of vocab.genres (the facet's values)."""
    return genre_vocab.genres_of(*_genre_parts(values, ctx))


@step("terms")
def terms(values, ctx):
    """Genre/forms → their labels as catalogued (655), the coded literary form left out."""
    return _genre_parts(values, ctx)[1]


@step("audience")
def audience(values, ctx):
    """Intended audiences and genre/forms → one audience id of vocab.genres: a coded audience (008/22),
    a genre/form term naming one, an audience note (521), else children for picture books."""
    d, coded, notes = ctx.description, [], []
    for node in values:
        if isinstance(node, NamedNode) and node.value.startswith(AUDIENCE):
            coded.append(node.value[len(AUDIENCE):])
        elif not isinstance(node, Literal) and INTENDED_AUDIENCE in d.types(node) and d.literal(node, LABEL):
            notes.append(d.literal(node, LABEL))
    forms, terms_ = _genre_parts(values, ctx)
    found = genre_vocab.audience_of(coded, terms_, notes, genre_vocab.genres_of(forms, terms_))
    return [found] if found else []


# ---------------------------------------------------------------------------------------------
# Identifiers, dates

@step("identifier")
def identifier(values, ctx):
    """Identifiers → the numbers as catalogued (rdfs:label), else their values; cancelled ones left out."""
    d, out = ctx.description, []
    for node in values:
        if isinstance(node, Literal) or CANCELLED in d.objects(node, STATUS):
            continue
        out += d.literals(node, LABEL) or d.literals(node, VALUE)
    return out


@step("year")
def year(values, ctx):
    """Dates → the first year between 1400 and 2099 in them (`[2015]`, `c1998`, `199X` gives none)."""
    for text in _text(values):
        m = _YEAR.search(text)
        if m:
            return [int(m.group(1))]
    return []


# ---------------------------------------------------------------------------------------------
# Languages

@lru_cache(maxsize=4096)
def _code(iri: str) -> str:
    for prefix in LANGUAGE_IRIS:
        if iri.startswith(prefix):
            lang = language_vocab.get(iri[len(prefix):])
            return lang.code if lang is not None else ""
    return ""


def _order(code: str) -> tuple:
    """RDF keeps no order of a work's languages: the county's minority languages first, then by code."""
    minority = language_vocab.MINORITY_LANGUAGES
    return (minority.index(code), "") if code in minority else (len(minority), code)


@step("languages")
def languages(values, ctx):
    """A work's languages → codes: the languages of its text first (the detected ones where the index
    stage has a detection, else the catalogued ones without stand-ins such as `fin` beside `fkv`), then
    every other language it names (summaries, subtitles, ...). Detected languages in the description
    are left to the `detected` step; languages without a code (a uniform title's `$l`) are skipped."""
    d, text, other = ctx.description, [], []
    for node in values:
        if isinstance(node, NamedNode) and _code(node.value):
            text.append(_code(node.value))
        elif not isinstance(node, Literal) and not d.objects(node, STATUS):
            other += [_code(v.value) for v in d.objects(node, VALUE) if isinstance(v, NamedNode) and _code(v.value)]
    detection = ctx.languages
    if detection is not None:
        primary = list(detection.codes)
    else:
        primary = usable_text_codes([(code, "text") for code in text])
    rest = sorted({c for c in text + other if c not in primary}, key=_order)
    return [c for c in sorted(primary, key=_order) + rest if c not in NO_LANGUAGE]


@step("codes")
def codes(values, ctx):
    """Language IRIs → their codes (the original's language of a translation)."""
    return [_code(v.value) for v in values if isinstance(v, NamedNode) and _code(v.value) not in ("", *NO_LANGUAGE)]


@step("detected")
def detected(values, ctx):
    """The languages the index stage's detection put in the facet (the record had no usable code)."""
    detection = ctx.languages
    return list(detection.codes) if detection is not None and detection.is_detected else []


# ---------------------------------------------------------------------------------------------
# Format

#: Work classes → the format facet's value, first match wins (narrow classes before bf:Audio).
WORK_FORMATS = (("bf:MusicAudio", "music"), ("bf:NonMusicAudio", "audiobook"), ("bf:Audio", "audiobook"),
                ("bf:NotatedMusic", "score"), ("bf:MovingImage", "video"), ("bf:Cartography", "map"),
                ("bf:StillImage", "image"), ("bf:Multimedia", "electronic"), ("bf:Object", "object"),
                ("bf:MixedMaterial", "mixed"), ("bf:Text", "text"))
_WORK_FORMATS = tuple((_T(cls), name) for cls, name in WORK_FORMATS)
SERIAL = NamedNode(bibframe.PREFIXES["issuance"] + "serl")
ONLINE = (_T("bf:Electronic"), NamedNode(bibframe.PREFIXES["carrier"] + "cr"))


@step("format")
def format_(values, ctx):
    """Types, issuance and carriers of an instance and its work → one format: text is a journal when
    issued serially, an e-book when electronic or online (carrier `cr`, or a carrier term saying online),
    else a book; other works by their class (WORK_FORMATS); `other` when none says."""
    d = ctx.description
    found = set(v for v in values if isinstance(v, NamedNode))
    kind = next((name for cls, name in _WORK_FORMATS if cls in found), "other")
    if kind != "text":
        return [kind]
    if SERIAL in found:
        return ["journal"]
    online = any(v in found for v in ONLINE) or any(
        "online" in d.literal(v, LABEL).lower() for v in values if not isinstance(v, Literal))
    return ["ebook" if online else "book"]
