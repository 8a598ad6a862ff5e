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

_TRAILING = re.compile(r"[\s/:;,=+]+$")
_KEEP_PERIOD = re.compile(r"(?:\b[A-ZÆØÅÄÖÜ]|\b(?:Jr|Sr|Dr|St|Mr|Mrs|etc|ed|eds|Co|Inc|Ltd|pp|p|cm|ill|"
                          r"illus|v|vol|vols|no|nr|bd|utg|opl|s|mm|min|col|ca|c|Ph\.D|i\.e|e\.g|jr|red|"
                          r"uitg|forl|Universitetsforl|dr|fig|sp|pl|nos|Bros|Corp|Univ|Dept|Ltd|d))\.$")


def clean_text(value: str) -> str:
    """Drop ISBD punctuation a field ends with (` /`, ` :`, `,`, a final period) but keep `Jr.`, `H.`."""
    value = _TRAILING.sub("", value.strip())
    if value.endswith(".") and not value.endswith("..") and not _KEEP_PERIOD.search(value):
        value = _TRAILING.sub("", value[:-1])
    if value.startswith("[") and value.endswith("]") and value.count("[") == 1:
        value = value[1:-1]
    return value.strip()


@value_step("clean")
def clean(values, env):
    return [clean_text(v) if isinstance(v, str) else v for v in values]


@value_step("trim")
def trim(values, env):
    return [v.strip() if isinstance(v, str) else v for v in values]


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


@value_step("first")
def first(values, env):
    return values[:1]


@value_step("code")
def code(values, env):
    """A fixed-field code: blank, fill (`|`) and `u`-only values carry nothing."""
    out = []
    for v in values:
        v = v.strip().strip("|").strip()
        if v and v.strip("u"):
            out.append(v.lower())
    return out


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


def uri_from(field, codes) -> NamedNode | None:
    """The first http(s) IRI among the field's subfields `codes` (typically $0 or $1)."""
    for sf in field.subfields:
        if sf.code in codes:
            v = sf.value.strip()
            if v.startswith(("http://", "https://")) and re.fullmatch(r"[^\s<>\"{}|\\^`]+", v):
                return NamedNode(v)
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
