"""A search document from a MARC 21 record, so the pipeline can feed the index before (and beside)
the BIBFRAME graph. Field choices follow the issue's field table; the mapping reads as a table.
"""

from __future__ import annotations

import re

from index.document import Document, Holding

_TRAIL = re.compile(r"[\s/:;,.=+]+$")
_YEAR = re.compile(r"(1[4-9]\d\d|20\d\d)")

#: 650/651/... second indicator -> vocabulary; 7 means "look in $2".
THESAURUS = {"0": "lcsh", "1": "lcsh", "2": "mesh", "3": "nal", "5": "cash", "6": "rvm"}
SUBJECT_TAGS = ("600", "610", "611", "630", "648", "650", "651", "653")
#: 008/22 (books) target audience -> facet value.
AUDIENCE = {"a": "children", "b": "children", "c": "children", "j": "children", "d": "young_adult",
            "e": "adult", "f": "adult", "g": "adult"}


def _clean(value: str | None) -> str:
    return _TRAIL.sub("", (value or "").strip()).strip()


def _subs(field, codes: str) -> list[str]:
    return [_clean(v) for code, v in _pairs(field) if code in codes and _clean(v)]


def _pairs(field):
    subfields = field.subfields
    return [(s.code, s.value) for s in subfields]


def _join(field, codes: str, sep: str = " ") -> str:
    return sep.join(_subs(field, codes))


def _unique(values) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def title_parts(record) -> tuple[str, str]:
    f245 = record.get("245")
    if f245 is None:
        return "", ""
    title = " ".join(_subs(f245, "anp")) or " ".join(_subs(f245, "k"))
    return title, _join(f245, "b")


def year_of(record) -> int | None:
    f008 = record.get("008")
    if f008 is not None and f008.data and len(f008.data) >= 11 and f008.data[7:11].isdigit():
        year = int(f008.data[7:11])
        if 1400 <= year <= 2100:
            return year
    for tag in ("264", "260"):
        for f in record.get_fields(tag):
            for value in f.get_subfields("c"):
                m = _YEAR.search(value)
                if m:
                    return int(m.group(1))
    return None


def languages_of(record, source=None) -> tuple[str, ...]:
    """Every language of the record: the transform stage's reading when present (codes, then detection)."""
    try:
        from transform.languages import record_languages
        langs = record_languages(record, source, detect=False)
        if not set(langs.effective) - {"smi", "und", "mul"}:
            # no usable code (missing, undetermined or only collective Sami): let detection decide
            langs = record_languages(record, source, detect=True)
        codes = list(langs.effective) + langs.codes()
        if codes:
            return _unique(codes)
    except Exception:  # noqa: BLE001 - the index must not fail on the language reader; fall back to codes
        pass
    codes = []
    f008 = record.get("008")
    if f008 is not None and f008.data and len(f008.data) >= 38:
        codes.append(f008.data[35:38].strip().lower())
    for f in record.get_fields("041"):
        for code, value in _pairs(f):
            if code in "abdefghjkmn" and value:
                codes += [value[i:i + 3].lower() for i in range(0, len(value.strip()), 3)]
    return _unique(c for c in codes if re.fullmatch(r"[a-z]{3}", c) and c not in ("und", "zxx", "   "))


def format_of(record) -> tuple[str, ...]:
    leader = str(record.leader)
    kind, level = leader[6:7], leader[7:8]
    online = any(f.data.startswith("cr") for f in record.get_fields("007") if f.data) or any(
        "online" in v.lower() for f in record.get_fields("338") for v in f.get_subfields("a"))
    if kind in ("a", "t"):
        if level in ("s", "b"):
            return ("journal",)
        return ("ebook",) if online else ("book",)
    return ({"i": "audiobook", "j": "music", "g": "video", "e": "map", "f": "map", "c": "score",
             "d": "score", "m": "electronic", "k": "image", "r": "object", "p": "mixed"}.get(kind, "other"),)


def audience_of(record) -> tuple[str, ...]:
    f008 = record.get("008")
    leader = str(record.leader)
    if f008 is not None and f008.data and len(f008.data) > 22 and leader[6:7] in ("a", "t", "i", "j", "g"):
        value = AUDIENCE.get(f008.data[22])
        if value:
            return (value,)
    return ()


def subjects_of(record) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for tag in SUBJECT_TAGS:
        for f in record.get_fields(tag):
            heading = " -- ".join(_subs(f, "abcdtvxyz"))
            if not heading:
                continue
            ind2 = (f.indicator2 or " ").strip()
            vocab = THESAURUS.get(ind2, "")
            if ind2 == "7":
                vocab = (f.get_subfields("2") or [""])[0].strip().lower()
            out.setdefault(vocab, []).append(heading)
    return {k: _unique(v) for k, v in out.items()}


def holdings_from_record(record, source) -> tuple[Holding, ...]:
    """The source's own copies: Koha 952 items or 852 locations; a record without either is one holding."""
    items = record.get_fields("952")
    library = source.id
    if items:
        available = sum(1 for f in items if not f.get_subfields("q") and (f.get_subfields("7") or ["0"])[0]
                        in ("0", "") and (f.get_subfields("1") or ["0"])[0] in ("0", ""))
        call = (items[0].get_subfields("o") or [""])[0]
        return (Holding(library, source.municipality, source.kind, items=len(items), available=available,
                        call_number=call),)
    locations = record.get_fields("852")
    call = (locations[0].get_subfields("h", "j") or [""])[0] if locations else ""
    return (Holding(library, source.municipality, source.kind, items=max(1, len(locations)), available=0,
                    call_number=call),)


def document_from_marc(record, source, record_id: str, cluster_id: str,
                       holdings: tuple[Holding, ...] | None = None, work_libraries: int | None = None) -> Document:
    title, subtitle = title_parts(record)
    contributors = [_join(f, "abcdq") for tag in ("100", "110", "111", "700", "710", "711")
                    for f in record.get_fields(tag)]
    series = [_join(f, "anp") for f in record.get_fields("490", "830", "800", "810", "811")
              if _join(f, "anp")]
    publishers = [v for f in record.get_fields("260", "264") if f.tag == "260" or f.indicator2 == "1"
                  for v in _subs(f, "b")]
    isbns = [v.split()[0] for f in record.get_fields("020") for v in f.get_subfields("a") if v.strip()]
    issns = [v.split()[0] for f in record.get_fields("022") for v in f.get_subfields("a") if v.strip()]
    others = [v.split()[0] for f in record.get_fields("015", "024", "028") for v in f.get_subfields("a")
              if v.strip()]
    notes = " ".join(_join(f, "agt") for f in record.get_fields("520", "505"))
    holdings = holdings if holdings is not None else holdings_from_record(record, source)
    libraries = {h.library for h in holdings}
    return Document(
        id=record_id, work_id=cluster_id, source=source.id,
        title=title or "[untitled]", subtitle=subtitle,
        title_variants=_unique(_join(f, "ab") for f in record.get_fields("246", "740")),
        uniform_title=next((_join(f, "anp") for f in record.get_fields("130", "240")), ""),
        contributors=_unique(contributors),
        subjects=subjects_of(record),
        genres=_unique(_join(f, "a") for f in record.get_fields("655")),
        series=_unique(series), isbns=_unique(isbns), issns=_unique(issns), other_identifiers=_unique(others),
        publishers=_unique(publishers), year=year_of(record), languages=languages_of(record, source),
        formats=format_of(record), audiences=audience_of(record), holdings=tuple(holdings), notes=notes,
        work_libraries=work_libraries if work_libraries is not None else len(libraries),
    )


def fallback_work_id(record) -> str:
    """A work key when no clustering has run: the transform stage's title+author key, else the title."""
    import hashlib
    try:
        from transform.cluster_keys import keys_for
        key = keys_for(record).title_author_key
    except Exception:  # noqa: BLE001 - clustering is optional here
        key = ""
    if not key:
        title, _sub = title_parts(record)
        key = " ".join(title.lower().split())
    return "w" + hashlib.sha1(key.encode()).hexdigest()[:16]
