"""Named steps the mapping tables may use, left to right after `|`, in the manner of Traject's macros.

A value step takes the list of values read from a field (strings, or IRIs made by an earlier step)
and returns a new list; it may warn through `env.warn`, never silently drop something a cataloguer
would miss. A field step (`step name` in a table) reads the whole field for shapes a pipe cannot
express. Steps talk only through their arguments and `env`, never through side channels.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from pyoxigraph import Literal, NamedNode

from transform import bibframe, language_graph
from transform.text_steps import KEEP_PERIOD as _KEEP_PERIOD, clean, clean_text, code, first, trim

VALUE_STEPS: dict[str, tuple] = {}   # name -> (function or factory, argument kind: None, "arg", "map", "class")
FIELD_STEPS: dict[str, tuple] = {}   # name -> (function(field, env, subject) -> bool, subfield codes read)

RELATOR = bibframe.PREFIXES["relator"]
RDFS_LABEL = NamedNode(bibframe.RDFS + "label")
RDF_TYPE = NamedNode(bibframe.RDF + "type")
RDF_VALUE = NamedNode(bibframe.RDF + "value")


def value_step(name: str, arg: str | None = None):
    def register(fn):
        VALUE_STEPS[name] = (fn, arg)
        return fn
    return register


def field_step(name: str, codes: str = ""):
    def register(fn):
        FIELD_STEPS[name] = (fn, codes)
        return fn
    return register


def nfc(text: str) -> str:
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


# ---------------------------------------------------------------------------------------------
# Text

# clean, trim, first and code live in transform.text_steps (the readings use them too).
for _name, _step in (("clean", clean), ("trim", trim), ("first", first), ("code", code)):
    value_step(_name)(_step)


@value_step("join")
def join(values, env):
    return [" ".join(v.strip() for v in values if isinstance(v, str) and v.strip())]


#: A name's dates (100 $d): `1963-`, `1819-1891`, `ca. 1600`, `b. 1950`, `fl. 1200`, `d. 1066`.
_NAME_DATES = re.compile(r"^(?:\d|(?:ca|b|d|fl)\.\s*\d|\[?\d)", re.I)


@value_step("name")
def name(values, env):
    """A name's parts joined as a person reads them: `Hillstrom, Kevin` + `1963-` → `Hillstrom, Kevin,
    1963-` (the comma before the dates is often left out of $a); `join` for everything else."""
    text = ""
    for v in values:
        v = v.strip() if isinstance(v, str) else ""
        if not v:
            continue
        if text and _NAME_DATES.match(v) and not text.endswith((",", "(")):
            text = text.rstrip(" .") if not _KEEP_PERIOD.search(text) else text
            text += ","
        text = f"{text} {v}" if text else v
    return [text] if text else []


@value_step("year")
def year(values, env):
    """A year from 008 or a date statement: `1990`, `199u` → `199X` (EDTF)."""
    out = []
    for v in values:
        m = re.search(r"\b(1\d|20)(\d|u)(\d|u)\b|\b(1\d|20)\d\d\b", v.replace("|", " ")) if len(v) != 4 else None
        v = v if len(v) == 4 else (m.group(0) if m else "")
        if re.fullmatch(r"[12]\d[\du]{2}", v) and v != "uuuu":
            out.append(v.replace("u", "X"))
        elif v.strip() and v.strip("|u "):
            env.warn(f"not a year: {v!r}")
    return out


# ---------------------------------------------------------------------------------------------
# IRIs and code lists

_SAFE_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@value_step("prefix", "arg")
def prefix(arg):
    base = bibframe.expand(arg + ":")

    def run(values, env):
        out = []
        for v in values:
            v = v.strip().lower().split("/")[0]   # yso/fin: the scheme, in Finnish
            if _SAFE_CODE.fullmatch(v):
                out.append(NamedNode(base + v))
            elif v:
                env.warn(f"code {v!r} cannot become an IRI under {arg}:")
        return out
    return run


@value_step("map", "map")
def map_(table):
    def run(values, env):
        out = []
        for v in values:
            hit = table.get(v.strip()) if isinstance(v, str) else v
            if hit is None:
                env.warn(f"code {v!r} is not in the code list")
            else:
                out.append(hit)
        return out
    return run


@value_step("lookup", "map")
def lookup(table):
    """Like `map`, but a code outside the list simply yields nothing (for optional refinements)."""
    def run(values, env):
        return [table[v.strip()] for v in values if isinstance(v, str) and v.strip() in table]
    return run


@value_step("mapkeep", "map")
def mapkeep(table):
    """Like `map`, but keeps an unknown value as it is (a term that is already readable)."""
    def run(values, env):
        return [table.get(v.strip().lower(), v) if isinstance(v, str) else v for v in values]
    return run


@value_step("uri")
def uri(values, env):
    out = []
    for v in values:
        v = v.strip()
        if re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", v):
            out.append(NamedNode(v))
        elif v:
            env.warn(f"not a usable URL: {v!r}")
    return out


@value_step("cover", "map")
def cover(table):
    """856 $3 and $u together → the URL, only when $3 names a picture of the cover (`Omslagsbilde`,
    `Thumbnail`: the code list); any other link gives nothing here (it stays an electronic locator)."""
    def run(values, env):
        texts = [v.strip() for v in values if isinstance(v, str)]
        if not any(t.rstrip(" .:;,").lower() in table for t in texts):
            return []
        return [NamedNode(v) for v in texts if re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", v)]
    return run


@value_step("labelled", "class")
def labelled(cls):
    """Each value becomes its own inner resource of the class, carrying the value as rdfs:label."""
    name = cls.value.rsplit("/", 1)[1].lower()

    def run(values, env):
        out = []
        for v in values:
            if isinstance(v, str) and v:
                node = env.mint(name)
                env.add(node, RDF_TYPE, cls)
                env.add(node, RDFS_LABEL, Literal(nfc(v)))
                out.append(node)
        return out
    return run


#: Authority numbers catalogued with a source prefix in $0 that have a published IRI, as LC's converter
#: resolves them: (prefix, IRI pattern for the number).
_AUTHORITY_PREFIXES = (
    (re.compile(r"^\(uri\)\s*(https?://\S+)$"), "{}"),
    (re.compile(r"^\(DE-588\)\s*(\S+)$"), "https://d-nb.info/gnd/{}"),
    (re.compile(r"^\(OCoLC\)fst0*(\d+)$"), "http://id.worldcat.org/fast/{}"),
    (re.compile(r"^\(DLC\)\s*(sh|sj|gf|dg)\s*(\d+)$"), "http://id.loc.gov/authorities/subjects/{}{}"),
    (re.compile(r"^\(DLC\)\s*(n|nb|nr|no|ns)\s*(\d+)$"), "http://id.loc.gov/authorities/names/{}{}"),
    (re.compile(r"^\(isni\)\s*(\d{15}[\dX])$"), "https://isni.org/isni/{}"),
)
_IRI_SAFE = re.compile(r"[^\s<>\"{}|\\^`]+")


def authority_iri(value: str) -> NamedNode | None:
    """An http(s) IRI for a $0/$1 value: as catalogued, or resolved from a known source prefix
    (`(DE-588)118540238` → GND, `(OCoLC)fst01919741` → FAST, `(DLC)n 79021164` → id.loc.gov)."""
    v = value.strip()
    if v.startswith(("http://", "https://")):
        return NamedNode(v) if _IRI_SAFE.fullmatch(v) else None
    for rx, pattern in _AUTHORITY_PREFIXES:
        m = rx.match(v)
        if m:
            iri = pattern.format(*m.groups())
            return NamedNode(iri) if _IRI_SAFE.fullmatch(iri) else None
    return None


def uri_from(field, codes) -> NamedNode | None:
    """The first IRI among the field's subfields `codes` (typically $0 or $1): an http(s) IRI, or an
    authority number whose source has a published IRI."""
    for sf in field.subfields:
        if sf.code in codes:
            node = authority_iri(sf.value)
            if node is not None:
                return node
    return None


# ---------------------------------------------------------------------------------------------
# Identifiers

def isbn13(raw: str) -> str | None:
    """ISBN-10 or -13 (with hyphens, spaces or a trailing qualifier) as 13 digits; None if invalid."""
    m = re.match(r"\s*((?:97[89][\s-]?)?(?:\d[\s-]?){9}[\dXx])\b", raw)
    if not m:
        return None
    digits = re.sub(r"[\s-]", "", m.group(1)).upper()
    if len(digits) == 10:
        if sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(digits)) % 11:
            return None
        digits = "978" + digits[:9]
    elif len(digits) != 13 or not digits.isdigit():
        return None
    elif sum((1 if i % 2 == 0 else 3) * int(c) for i, c in enumerate(digits[:13])) % 10:
        return None
    check = (10 - sum((1 if i % 2 == 0 else 3) * int(c) for i, c in enumerate(digits[:12])) % 10) % 10
    return digits[:12] + str(check)


@value_step("isbn")
def isbn(values, env):
    """Normalise to ISBN-13; an invalid number is kept as catalogued, with a warning."""
    out = []
    for v in values:
        norm = isbn13(v)
        if norm:
            out.append(norm)
        else:
            kept = re.split(r"\s*[(:]", v.strip(), 1)[0]
            if kept:
                env.warn(f"invalid ISBN {v!r} kept as catalogued")
                out.append(kept)
    return out


@value_step("catalogued")
def catalogued(values, env):
    """An identifier as catalogued, without the qualifier that may follow it: `0-19-852663-6 (pbk.)`
    → `0-19-852663-6` (the form printed in the book, kept beside the normalised one)."""
    out = []
    for v in values:
        kept = re.split(r"\s*[(:;]", v.strip(), 1)[0].split()
        if kept:
            out.append(kept[0])
    return out


@value_step("qualifier")
def qualifier(values, env):
    """`(pbk.)` or `hardcover` — from $q, or the remainder after the number in an old-style $a."""
    out = []
    for v in values:
        rest = re.sub(r"^\s*[\dXx-]{10,17}\b", "", v) if re.match(r"\s*[\dXx-]{10,17}\b", v) else v
        rest = rest.strip().strip(":;").strip()
        rest = clean_text(rest[1:-1] if rest.startswith("(") and rest.endswith(")") else rest.strip("()"))
        if rest:
            out.append(rest)
    return out


@value_step("issn")
def issn(values, env):
    out = []
    for v in values:
        m = re.search(r"(\d{4})-?(\d{3}[\dXx])", v)
        if m:
            out.append(f"{m.group(1)}-{m.group(2).upper()}")
        elif v.strip():
            env.warn(f"invalid ISSN {v!r} kept as catalogued")
            out.append(v.strip())
    return out


# ---------------------------------------------------------------------------------------------
# Agents and roles

def agent_kind(class_name: str) -> str:
    return class_name.split(":")[1].lower()


def heading_key(text: str) -> str:
    """A normalised heading: case, punctuation and spacing differences between libraries vanish."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\W_]+", "-", text).strip("-")


def agent_iri(base: str, kind: str, field, codes) -> NamedNode | None:
    key = heading_key(" ".join(sf.value for sf in field.subfields if sf.code in codes))
    if not key:
        return None
    return NamedNode(f"{base}/agent/{kind}/{quote(key, safe='-')}")


@value_step("role", "map")
def role(table):
    """A relator code ($4) or term ($e, $j, English or Norwegian) → the relator IRI.

    Unknown terms become a local bf:Role with the catalogued label (and a warning), never dropped.
    """
    role_cls = bibframe.term("bf:Role")

    def run(values, env):
        out = []
        for v in values:
            if not isinstance(v, str):
                out.append(v)
                continue
            if v.startswith(RELATOR):
                out.append(NamedNode(v))
                continue
            key = clean_text(v).lower().strip()
            hit = table.get(key) or table.get(key.rstrip("."))
            if hit is None and re.fullmatch(r"[a-z]{3}", key):
                hit = NamedNode(RELATOR + key)
                env.warn(f"relator code {key!r} is not in the relator list")
            if hit is None:
                if not key:
                    continue
                env.warn(f"relator term {v!r} is not in the relator list")
                hit = env.mint("role")
                env.add(hit, RDF_TYPE, role_cls)
                env.add(hit, RDFS_LABEL, Literal(nfc(clean_text(v))))
            out.append(hit)
        return out
    return run


# ---------------------------------------------------------------------------------------------
# Field steps

@field_step("languages", "abdefghijkmnpqrt2")
def languages(field, env, subj):
    """All of a record's languages (008/35-37 and every 041), read once per record by
    `transform.languages.record_languages` and written by `transform.language_graph`."""
    return language_graph.add_catalogued(env)


@field_step("subject_label", "abcdefghklmnopqrstuvxyz")
def subject_label(field, env, subj):
    """Subject heading label: main part joined by spaces (a person's name as `name` joins it, with a comma
    before the dates), subdivisions ($v $x $y $z) by `--`."""
    parts, current = [], []

    def main(values):
        return (name(values, env) or [""])[0] if field.tag == "600" else " ".join(values)
    for sf in field.subfields:
        if sf.code in "vxyz":
            if current:
                parts.append(clean_text(main(current)))
                current = []
            parts.append(clean_text(sf.value))
        elif sf.code.isalpha() and sf.code != "e":
            current.append(sf.value.strip())
    if current:
        parts.append(clean_text(main(current)))
    label = "--".join(p for p in parts if p)
    if not label:
        return False
    env.add(subj, RDFS_LABEL, Literal(nfc(label)))
    return True


# ---------------------------------------------------------------------------------------------
# Dates, codes and identifiers (issue 13)

EDTF = NamedNode(bibframe.EDTF)
_DATE_NOISE = re.compile(r"^[\s\[\]©℗cp]*|[\s\].,;:]*$", re.I)


def edtf_of(text: str) -> str | None:
    """The EDTF form of a transcribed date where it has one: `c2009` → `2009`, `[1998?]` → `1998?`,
    `199-?` → `199X?`, `ca. 1850` → `1850~`, `2009-2010` → `2009/2010`, `1990-` → `1990/..`; `n.d.` and
    prose → None."""
    t = text.strip().strip("[]")
    approx = re.match(r"^(?:ca\.?|circa|approximately|omkr\.?|ok\.?)\s*", t, flags=re.I)
    if approx:
        t = t[approx.end():]
    uncertain = "?" in t
    t = _DATE_NOISE.sub("", t.replace("?", "")).strip()
    if re.fullmatch(r"1[0-9]{3}|20[0-9]{2}", t):
        return t + ("%" if uncertain and approx else "?" if uncertain else "~" if approx else "")
    m = re.fullmatch(r"(1[0-9]{2}|20[0-9])[-u]", t)
    if m:
        return m.group(1) + "X" + ("?" if uncertain else "")
    m = re.fullmatch(r"(1[0-9]|20)(?:--|uu)", t)
    if m:
        return m.group(1) + "XX" + ("?" if uncertain else "")
    m = re.fullmatch(r"(1[0-9]{3}|20[0-9]{2})\s*-\s*(1[0-9]{3}|20[0-9]{2})?", t)
    if m:
        end = m.group(2) or ".."
        return f"{m.group(1)}/{end}" + ("?" if uncertain else "")
    return None


@value_step("edtf")
def edtf(values, env):
    """Transcribed dates → EDTF literals (datatype http://id.loc.gov/datatypes/edtf) where they parse;
    a date that does not parse gives nothing here (the transcription is kept by its own line)."""
    out = []
    for v in values:
        if isinstance(v, str):
            e = edtf_of(v)
            if e:
                out.append(Literal(e, datatype=EDTF))
    return out


@value_step("rstrip", "arg")
def rstrip(arg):
    """Characters a code ends with that carry nothing (`n-us---` → `n-us` with `rstrip:-`)."""
    def run(values, env):
        return [v.rstrip(arg) if isinstance(v, str) else v for v in values]
    return run


_OCLC = re.compile(r"^\s*\(OCoLC\)\s*(?:ocm|ocn|oca|on)?0*(\d+)\s*$")


@value_step("oclc")
def oclc(values, env):
    """`(OCoLC)ocm12345678` → `12345678` (the number OCLC's own IRIs use); anything else gives nothing."""
    out = []
    for v in values:
        m = _OCLC.match(v) if isinstance(v, str) else None
        if m:
            out.append(m.group(1))
    return out


@field_step("isbns", "aqz")
def isbns(field, env, subj):
    """020: one bf:Isbn per distinct number, `{instance}#isbn-<ISBN-13>`, so a book catalogued with its
    ISBN-10 and its ISBN-13 has one node: rdf:value the number as catalogued (first form seen), the
    normalised ISBN-13 as a second rdf:value beside it when it differs in more than hyphens, each catalogued form as
    rdfs:label, qualifiers ($q or trailing `(pbk.)`) as bf:qualifier; $z cancelled/invalid with
    bf:status cancinv. An invalid $a is kept as catalogued, with a warning."""
    isbn_cls, qual, status = bibframe.term("bf:Isbn"), bibframe.term("bf:qualifier"), bibframe.term("bf:status")
    cancinv = NamedNode(bibframe.expand("mstatus:cancinv"))
    ident = bibframe.term("bf:identifiedBy")
    added = False
    current = None
    for sf in field.subfields:
        if sf.code in "az":
            raw = sf.value.strip()
            if not raw:
                current = None
                continue
            as_catalogued = (catalogued([raw], env) or [raw])[0]
            norm = isbn13(raw)
            if sf.code == "a" and norm is None:
                env.warn(f"invalid ISBN {raw!r} kept as catalogued")
            key = (norm or re.sub(r"\W+", "-", as_catalogued)) + ("" if sf.code == "a" else "-cancelled")
            node = NamedNode(f"{env.instance_iri}#isbn-{quote(key, safe='-')}")
            env.add(subj, ident, node)        # repeated triples are merged when the record is done
            env.add(node, RDF_TYPE, isbn_cls)
            env.add(node, RDF_VALUE, Literal(nfc(as_catalogued)))
            if norm and norm != as_catalogued.replace("-", ""):
                env.add(node, RDF_VALUE, Literal(norm))
            env.add(node, RDFS_LABEL, Literal(nfc(as_catalogued)))
            if sf.code == "z":
                env.add(node, status, cancinv)
            for q in qualifier([raw], env) if sf.code == "a" and re.search(r"[(:]", raw) else ():
                env.add(node, qual, Literal(nfc(q)))
            current = node
            added = True
        elif sf.code == "q" and current is not None:
            for q in qualifier([sf.value], env):
                env.add(current, qual, Literal(nfc(q)))
    return added


_SUBJECT_PART = {"v": "GenreForm", "x": "Topic", "y": "Temporal", "z": "Geographic"}
_SUBJECT_MAIN = {"600": "PersonalName", "610": "CorporateName", "611": "ConferenceName", "630": "Title",
                 "648": "Temporal", "650": "Topic", "651": "Geographic", "655": "GenreForm"}


@field_step("subject_components", "abcdgqtvxyz")
def subject_components(field, env, subj):
    """A subject heading's parts as LC's converter writes them: the subject is also a
    madsrdf:ComplexSubject whose madsrdf:componentList (an rdf:List) holds one resource per part — the
    main heading typed by its tag (600 PersonalName, 650 Topic, 651 Geographic, …) and each subdivision
    by its code ($v GenreForm, $x Topic, $y Temporal, $z Geographic), each with its
    madsrdf:authoritativeLabel."""
    mads = bibframe.MADS
    parts, main = [], []
    for sf in field.subfields:
        if sf.code in _SUBJECT_PART:
            if sf.value.strip():
                parts.append((_SUBJECT_PART[sf.code], clean_text(sf.value)))
        elif sf.code in "abcdgqt" and not parts:
            main.append(sf.value.strip())
    if main:
        parts.insert(0, (_SUBJECT_MAIN.get(field.tag, "Topic"), clean_text(" ".join(main))))
    parts = [(k, label) for k, label in parts if label]
    if not parts:
        return False
    n = env.counters.get("subject-component", 0)
    env.counters["subject-component"] = n + len(parts)
    if len(parts) > 1:
        env.add(subj, RDF_TYPE, NamedNode(mads + "ComplexSubject"))
    lst = NamedNode(f"{env.instance_iri}#component-list-{n + 1}")
    env.add(subj, NamedNode(mads + "componentList"), lst)
    for i, (kind, label) in enumerate(parts):
        comp = NamedNode(f"{env.instance_iri}#component-{n + i + 1}")
        env.add(comp, RDF_TYPE, NamedNode(mads + kind))
        env.add(comp, NamedNode(mads + "authoritativeLabel"), Literal(nfc(label)))
        env.add(lst, NamedNode(bibframe.RDF + "first"), comp)
        nxt = (NamedNode(f"{env.instance_iri}#component-list-{n + 1}-{i + 2}") if i + 1 < len(parts)
               else NamedNode(bibframe.RDF + "nil"))
        env.add(lst, NamedNode(bibframe.RDF + "rest"), nxt)
        lst = nxt
    return True


@value_step("text", "arg")
def text(arg):
    """A fixed text in place of the value read (a node that says what made it: `[6] rdfs:label | text:…`)."""
    def run(values, env):
        return [arg] if values else []
    return run


@value_step("timestamp")
def timestamp(values, env):
    """005 `20160315093210.0` → `2016-03-15T09:32:10` (xsd:dateTime form); anything else warns."""
    out = []
    for v in values:
        m = re.fullmatch(r"\s*(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(?:\.\d)?\s*", v)
        if m:
            out.append("{}-{}-{}T{}:{}:{}".format(*m.groups()))
        elif v.strip():
            env.warn(f"not a transaction timestamp: {v!r}")
    return out


@value_step("yymmdd")
def yymmdd(values, env):
    """008/00-05 date entered on file `981218` → `1998-12-18` (years 00-67 are 20xx, as LC reads them)."""
    out = []
    for v in values:
        if re.fullmatch(r"\d{6}", v) and 1 <= int(v[2:4]) <= 12 and 1 <= int(v[4:6]) <= 31:
            century = "20" if int(v[:2]) < 68 else "19"
            out.append(f"{century}{v[:2]}-{v[2:4]}-{v[4:6]}")
    return out


CLASS_G = "http://id.loc.gov/authorities/classification/G"


@field_step("geographic_classification", "ab")
def geographic_classification(field, env, subj):
    """052 (LC's G schedule) → bf:geographicCoverage IRIs as LC's converter mints them: `$a 3804 $b N4`
    → `…/classification/G3804.N4` (one per $b), else one per $a."""
    areas = [sf.value.strip() for sf in field.subfields if sf.code == "a" and sf.value.strip()]
    subs = [sf.value.strip() for sf in field.subfields if sf.code == "b" and sf.value.strip()]
    iris = [f"{CLASS_G}{areas[0]}.{b}" for b in subs] if areas and subs else [CLASS_G + a for a in areas]
    pred = bibframe.term("bf:geographicCoverage")
    added = False
    for iri in iris:
        if re.fullmatch(r"[^\s<>\"{}|\\^`]+", iri):
            env.add(subj, pred, NamedNode(iri))
            added = True
    return added
