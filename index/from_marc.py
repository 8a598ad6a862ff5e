"""A search document from a MARC 21 record, reading through the project's one source of each fact:
items and their status from `transform.holdings` (the holdings profiles), contributor roles from
`vocab.relators`, genre and audience from `vocab.genres.classify`, languages from
`transform.languages` (codes) and the transform stage's stored detections (`transform.languages_store`).
What stays here is only what no other stage reads: the title, subject and identifier fields the index
searches, and the format facet.
"""

from __future__ import annotations

import hashlib
import re

from index.document import Copy, Document, Holding
from vocab import statuses

_TRAIL = re.compile(r"[\s/:;,.=+]+$")
_YEAR = re.compile(r"(1[4-9]\d\d|20\d\d)")

#: 650/651/... second indicator -> vocabulary; 7 means "look in $2".
THESAURUS = {"0": "lcsh", "1": "lcsh", "2": "mesh", "3": "nal", "5": "cash", "6": "rvm"}
SUBJECT_TAGS = ("600", "610", "611", "630", "648", "650", "651", "653")
AGENT_TAGS = ("100", "110", "111", "700", "710", "711")
#: Codes that say nothing about the language of the text.
NO_LANGUAGE = frozenset({"und", "mul", "zxx", "mis"})


def _clean(value: str | None) -> str:
    return _TRAIL.sub("", (value or "").strip()).strip()


def _subs(field, codes: str) -> list[str]:
    return [_clean(s.value) for s in field.subfields if s.code in codes and _clean(s.value)]


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


def languages_of(record, source=None, effective=None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(every language of the record, the ones among them that were detected).

    The facet's languages are the transform stage's effective ones: its stored detection
    (`effective`, an `EffectiveLanguages`) where the record had no usable code, else the codes read
    from 008 and 041. Every other catalogued language (original, subtitles, ...) is added."""
    from transform.languages import record_languages
    langs = record_languages(record, source, detect=False)
    primary = list(effective.codes) if effective is not None else list(langs.effective)
    detected = tuple(effective.codes) if effective is not None and effective.is_detected else ()
    codes = _unique(c for c in [*primary, *langs.codes()] if c not in NO_LANGUAGE)
    return codes, tuple(c for c in detected if c in codes)


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


def contributors_of(record) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(names, relator codes per name): $4 codes, then $e terms; a 1XX without either is the author."""
    from vocab import relators
    names, roles = [], []
    for f in record.get_fields(*AGENT_TAGS):
        name = _join(f, "abcdq")
        if not name:
            continue
        codes = relators.codes_for(f.get_subfields("e"), f.get_subfields("4"))
        if not codes and f.tag.startswith("1"):
            codes = ["aut"]
        if name in names:  # the same agent twice (100 and 700): one entry with every role
            n = names.index(name)
            merged = [c for c in roles[n].split(",") if c] + [c for c in codes if c not in roles[n].split(",")]
            roles[n] = ",".join(merged)
            continue
        names.append(name)
        roles.append(",".join(codes))
    return tuple(names), tuple(roles)


def _summary(copies: list[Copy]) -> tuple[str, str]:
    if not copies:
        return "unknown", ""
    status = statuses.best([c.status for c in copies])
    due = min((c.due_date for c in copies if c.status == "on_loan" and c.due_date), default="")
    return status, due if status == "on_loan" else ""


def holdings_of(record, source, holdings_records=(), directory=None) -> tuple[Holding, ...]:
    """Holdings per library from the items the source's holdings profile reports (transform.holdings),
    each filed under the library that holds it (`vocab.libraries.Directory.resolve`): a copy naming another
    library is that library's, a code nobody knows stays that code (never the source's). A record without
    item fields is one holding of the source, status unknown."""
    from transform.holdings import read_items
    from vocab.libraries import Directory
    directory = directory or Directory((source,))
    grouped: dict[str, tuple[object, str, list]] = {}
    for item in read_items(record, source.holdings, holdings_records):
        found = directory.resolve(item.library, source.id)
        key = found.library.id if found.library is not None else found.code
        grouped.setdefault(key, (found.library, found.code, []))[2].append(item)
    if not grouped:
        own = directory.resolve("", source.id).library
        return (_holding(own, "", []),)
    return tuple(_holding(library, code, items) for library, code, items in grouped.values())


def _holding(library, code: str, items: list) -> Holding:
    copies = [Copy(i.status, i.due_date, i.location, i.call_number) for i in items]
    status, due = _summary(copies)
    if library is None:                  # an unknown code: shown as the code, outside every library facet
        return Holding(code, items=len(items), available=0, status=status, due_date=due, copies=tuple(copies),
                       name=code, region=False, known=False, kind="")
    return Holding(
        library.id, library.municipality, library.kind, items=max(1, len(items)),
        available=sum(1 for c in copies if statuses.get(c.status).available_now),
        call_number=next((c.call_number for c in copies if c.call_number), ""), isil=library.isil,
        location=next((c.location for c in copies if c.location), ""), status=status, due_date=due,
        copies=tuple(copies), name=library.name, region=library.in_region)


def document_from_marc(record, source, record_id: str, cluster_id: str,
                       holdings: tuple[Holding, ...] | None = None, work_libraries: int | None = None, *,
                       languages=None, identifier: str = "", holdings_records=(), directory=None) -> Document:
    """The document of one record. `record_id` is the public id (`{source}-{minted id}`, see
    `index.pipeline.document_id`); `languages` the transform stage's `EffectiveLanguages` when it
    stored a detection; `holdings_records` the separate holdings records of the source, if any."""
    from vocab import genres as genre_vocab
    title, subtitle = title_parts(record)
    names, roles = contributors_of(record)
    series = [_join(f, "anp") for f in record.get_fields("490", "830", "800", "810", "811") if _join(f, "anp")]
    publishers = [v for f in record.get_fields("260", "264") if f.tag == "260" or f.indicator2 == "1"
                  for v in _subs(f, "b")]
    isbns = [v.split()[0] for f in record.get_fields("020") for v in f.get_subfields("a") if v.strip()]
    issns = [v.split()[0] for f in record.get_fields("022") for v in f.get_subfields("a") if v.strip()]
    others = [v.split()[0] for f in record.get_fields("015", "024", "028") for v in f.get_subfields("a")
              if v.strip()]
    notes = " ".join(_join(f, "agt") for f in record.get_fields("520", "505"))
    if holdings is None:
        holdings = holdings_of(record, source, holdings_records, directory)
    classified = genre_vocab.classify(record)
    codes, detected = languages_of(record, source, languages)
    return Document(
        id=record_id, work_id=cluster_id, source=source.id, identifier=identifier,
        title=title or "[untitled]", subtitle=subtitle,
        title_variants=_unique(_join(f, "ab") for f in record.get_fields("246", "740")),
        uniform_title=next((_join(f, "anp") for f in record.get_fields("130", "240")), ""),
        contributors=names, contributor_roles=roles,
        subjects=subjects_of(record),
        genres=_unique(classified.genres),
        genre_terms=_unique(_join(f, "a") for f in record.get_fields("655")),
        series=_unique(series), isbns=_unique(isbns), issns=_unique(issns), other_identifiers=_unique(others),
        publishers=_unique(publishers), year=year_of(record), languages=codes, languages_detected=detected,
        formats=format_of(record), audiences=(classified.audience,) if classified.audience else (),
        holdings=tuple(holdings), notes=notes,
        work_libraries=work_libraries if work_libraries is not None else len({h.library for h in holdings
                                                                              if h.region}),
    )


def fallback_work_id(record) -> str:
    """A work key when no clustering has run: the transform stage's title+author key, else the title."""
    try:
        from transform.cluster_keys import keys_for
        key = keys_for(record).title_author_key
    except Exception:  # noqa: BLE001 - clustering is optional here
        key = ""
    if not key:
        title, _sub = title_parts(record)
        key = " ".join(title.lower().split())
    return "w" + hashlib.sha1(key.encode()).hexdigest()[:16]
