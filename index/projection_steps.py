"""Named steps of the projection table (`projection.map`), in the manner of the mapping's steps.

A step takes the values a row's path reached (resources of the description as IRI strings, or the text
of literals as `Text`) and the `Context` (the record's `Description`, the index stage's detected
languages) and returns new values: text, numbers, or (vocabulary, heading) pairs for the subjects. Steps
only read; they never strip ISBD punctuation (the mapping's `clean` step did that once) and never read
MARC. Where a step turns coded values into the portal's terms, the terms come from `vocab/` (genres,
relators, languages).
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import unquote

from transform import bibframe
from transform.languages import usable_text_codes
from vocab import genres as genre_vocab
from vocab import languages as language_vocab
from vocab import relators

STEPS: dict[str, tuple] = {}   # name -> (function, or a factory given the argument; False, True or "optional")


def _T(name: str) -> str:
    return bibframe.term(name).value


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
CANCELLED = bibframe.PREFIXES["mstatus"] + "cancinv"
_YEAR = re.compile(r"(1[4-9]\d\d|20\d\d)")
#: Codes that name no language of the text (undetermined, multiple, none, missing).
NO_LANGUAGE = frozenset({"und", "mul", "zxx", "mis"})


def step(name: str, takes_arg: bool = False):
    def register(fn):
        STEPS[name] = (fn, takes_arg)
        return fn
    return register


def _is_text(value) -> bool:
    return type(value) is not str        # a path's texts are `projection.Text`; IRIs plain `str`


def _resources(values) -> list[str]:
    return [v for v in values if type(v) is str]


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
    """Per title resource its title, then (after every resource's) the same title in another script:
    an 880 gives a title a second, language-tagged bf:mainTitle (and subtitle), paired here by order."""
    d, out, alternates = ctx.description, [], []
    for node in _resources(values):
        mains = d.texts(node, MAIN_TITLE) or [""]
        parts = ", ".join(d.texts(node, PART_NUMBER) + d.texts(node, PART_NAME))
        subs = d.texts(node, SUBTITLE) if arg == "subtitle" else []
        for i, main in enumerate(mains):
            text = f"{main}{', ' if arg == 'uniform' else '. '}{parts}" if main and parts else main or parts
            if len(mains) > 1 and len(subs) == len(mains):
                sub = subs[i]
            else:
                sub = " ".join(subs) if i == 0 else ""
            text = f"{text} : {sub}" if text and sub else text
            if text:
                (out if i == 0 else alternates).append(text)
    return out + alternates


@step("subtitle")
def subtitle(values, ctx):
    """Titles → their subtitles (of a title given in two scripts, the first script's, as `title` pairs
    them)."""
    d, out = ctx.description, []
    for node in _resources(values):
        mains, subs = d.texts(node, MAIN_TITLE), d.texts(node, SUBTITLE)
        out += subs[:1] if len(mains) > 1 and len(subs) == len(mains) else subs
    return out


def _memo(fn):
    """A derivation several steps share (agents and roles, genres and audience), once per record: keyed
    by the values' list, which the projection follows once per path and shares between rows."""
    def run(values, ctx):
        key = (fn.__name__, id(values))
        found = ctx.memo.get(key)
        if found is None:
            found = ctx.memo[key] = (fn(values, ctx), values)   # the list is kept, so its id stays its own
        return found[0]
    return run


@_memo
def _contributions(values, ctx) -> list[tuple[str, list[str], str]]:
    """(agent label, relator codes, agent IRI) per agent name in contribution order; an agent contributing
    twice (100 and 700) is one entry with every role, and a name catalogued in two scripts (100 and its
    880) is found by both labels."""
    d = ctx.description
    merged: dict[str, tuple[list[str], list[str]]] = {}
    for contribution in _resources(values):
        agent = next(((a, d.texts(a, LABEL)) for a in d.iris(contribution, AGENT) if d.texts(a, LABEL)), None)
        if agent is None:
            continue
        codes = _role_codes(d, contribution)
        for name in agent[1]:
            roles, iris = merged.setdefault(name, ([], []))
            if not iris and not agent[0].startswith("_:"):
                iris.append(agent[0])
            for code in codes:
                if code not in roles:
                    roles.append(code)
    return [(name, roles, iris[0] if iris else "") for name, (roles, iris) in merged.items()]


def _role_codes(d, contribution) -> list[str]:
    """Relator codes of a contribution: the relator IRI's code; a role the mapping's relator list did
    not know stays a local bf:Role with its label as catalogued, read through `vocab.relators`."""
    out = []
    for role in d.iris(contribution, ROLE):
        if role.startswith(RELATOR):
            out.append(role[len(RELATOR):])
        elif d.text(role, LABEL):
            out += relators.codes_for([d.text(role, LABEL)])
    return out


@step("agents")
def agents(values, ctx):
    """Contributions → their agents' names (rdfs:label), each agent once."""
    return [name for name, _roles, _iri in _contributions(values, ctx)]


@step("roles")
def roles(values, ctx):
    """Contributions → relator codes per agent, comma-separated, in the order `agents` gives."""
    return [",".join(codes) for _name, codes, _iri in _contributions(values, ctx)]


@step("agent_ids")
def agent_ids(values, ctx):
    """Contributions → each agent's id, the tail of its IRI after `/agent/` as text (`person/hætta-mihkkal`,
    not percent-encoded: a link encodes it once), in the order `agents` gives; "" for an agent without
    one. The portal's agent page is `/agent/<id>`."""
    out = []
    for _name, _codes, iri in _contributions(values, ctx):
        _, found, tail = iri.partition("/agent/")
        out.append(unquote(tail) if found else "")
    return out


@step("headings")
def headings(values, ctx):
    """Subjects → (vocabulary, heading): each rdfs:label of the subject (a concept two libraries
    catalogued in two languages has both) with its scheme's code (`…/subjectSchemes/humord` → `humord`;
    '' when the description names none)."""
    d, out = ctx.description, []
    for node in values:
        if _is_text(node):
            out.append(("", str(node)))
            continue
        scheme = next((s[len(SCHEME):] for s in d.iris(node, SOURCE) if s.startswith(SCHEME)), "")
        out += [(scheme, label) for label in d.texts(node, LABEL)]
    return out


# ---------------------------------------------------------------------------------------------
# Genre and audience (terms from vocab.genres)

@_memo
def _genre_parts(values, ctx) -> tuple[list[str], list[str]]:
    """(coded literary forms: the bf:code of 008/33's genre/form, free-text genre/form labels)."""
    d, codes, terms = ctx.description, [], []
    for node in _resources(values):
        if GENRE_FORM not in d.types(node):
            continue
        code = d.text(node, CODE)
        if code:
            codes.append(code)
        else:
            terms += d.texts(node, LABEL)
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
    for node in _resources(values):
        if node.startswith(AUDIENCE):
            coded.append(node[len(AUDIENCE):])
        elif INTENDED_AUDIENCE in d.types(node):
            notes += d.texts(node, LABEL)
    forms, terms_ = _genre_parts(values, ctx)
    found = genre_vocab.audience_of(coded, terms_, notes, genre_vocab.genres_of(forms, terms_))
    return [found] if found else []


# ---------------------------------------------------------------------------------------------
# Links

ELECTRONIC_LOCATOR, NOTE_TYPE = _T("bf:electronicLocator"), _T("bf:noteType")
COVER_ART = _T("bf:coverArt")


@step("links")
def links(values, ctx):
    """Notes → "URL label" for each note of an electronic location that names an http(s) URL (856, one
    note per field), leaving out the cover pictures the instance's bf:coverArt already names."""
    d = ctx.description
    instance = d.instance()
    covers = {url for art in (d.iris(instance, COVER_ART) if instance else ())
              for url in d.iris(art, ELECTRONIC_LOCATOR)}
    out = []
    for note in _resources(values):
        if d.text(note, NOTE_TYPE) != "electronic location":
            continue
        for url in d.iris(note, ELECTRONIC_LOCATOR):
            if url.startswith(("http://", "https://")) and url not in covers:
                out.append(f"{url} {d.text(note, LABEL)}".strip())
    return out


# ---------------------------------------------------------------------------------------------
# Identifiers, dates

@step("identifier")
def identifier(values, ctx):
    """Identifiers → the numbers as catalogued (rdfs:label), else their values; cancelled ones left out."""
    d, out = ctx.description, []
    for node in _resources(values):
        if CANCELLED not in d.iris(node, STATUS):
            out += d.texts(node, LABEL) or d.texts(node, VALUE)
    return out


@step("year")
def year(values, ctx):
    """Dates → the first year between 1400 and 2099 in them (`[2015]`, `c1998`, `199X` gives none)."""
    for text in values:
        m = _YEAR.search(text) if _is_text(text) else None
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
    for node in _resources(values):
        if _code(node):
            text.append(_code(node))
        elif not d.iris(node, STATUS):
            other += [_code(v) for v in d.iris(node, VALUE) if _code(v)]
    detection = ctx.languages
    return list(_languages(tuple(text), tuple(other), tuple(detection.codes) if detection is not None else None))


@lru_cache(maxsize=4096)
def _languages(text: tuple, other: tuple, detected: tuple | None) -> tuple[str, ...]:
    """The same few combinations recur in record after record: ordered once."""
    primary = list(detected) if detected is not None else usable_text_codes([(code, "text") for code in text])
    rest = sorted({c for c in text + other if c not in primary}, key=_order)
    return tuple(c for c in sorted(primary, key=_order) + rest if c not in NO_LANGUAGE)


@step("codes")
def codes(values, ctx):
    """Language IRIs → their codes (the original's language of a translation)."""
    return [_code(v) for v in _resources(values) if _code(v) not in ("", *NO_LANGUAGE)]


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
SERIAL = bibframe.PREFIXES["issuance"] + "serl"
ONLINE = (_T("bf:Electronic"), bibframe.PREFIXES["carrier"] + "cr")


@step("format")
def format_(values, ctx):
    """Types, issuance and carriers of an instance and its work → one format: text is a journal when
    issued serially, an e-book when electronic or online (carrier `cr`, or a carrier term saying online),
    else a book; other works by their class (WORK_FORMATS); `other` when none says."""
    d = ctx.description
    found = set(_resources(values))
    kind = next((name for cls, name in _WORK_FORMATS if cls in found), "other")
    if kind != "text":
        return [kind]
    if SERIAL in found:
        return ["journal"]
    online = any(v in found for v in ONLINE) or any("online" in d.text(v, LABEL).lower() for v in found)
    return ["ebook" if online else "book"]
