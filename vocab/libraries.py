"""Libraries: who holds a copy, where they are, and whether they belong to the cooperating region.

The one home of library facts. A copy's owning library is named in the data by an ISIL, by a BIBSYS/Alma
library code (852 $a of the national union catalogue), by a local branch code, or not at all; `resolve`
turns that into a `Library`, the same way for the search index, the record pages and the linked data.

Where the facts come from: the configured sources (`[[sources]]` in grenselos.toml: each source *is* a
library, whose id is the source's `library` key or, when that is empty, the source's id), then
`data/libraries.tsv` (libraries met in the data that are not sources), and `data/municipalities.tsv` (the
municipalities of Troms and Finnmark, which decide whether a library is in the region). "County" in this
project means the cooperating region: Troms and Finnmark, two counties again since 1 January 2024.

The rules, in order, for a code reported by a source:
1. no code, or the source's own ISIL: the source's library;
2. the ISIL of another configured source, or an ISIL or code of a row in `libraries.tsv`: that library;
3. an ISIL nobody knows: unknown (shown as the code, counted as a warning), never the source's;
4. another code from a library source: one of that library's own branches or departments (Koha home
   branches), so the source's library; from the national source, whose codes name other libraries: unknown.

What staff edit (opening hours, closed days, routes, service points) lives in the database, not here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from vocab.tables import DATA, read_tsv

#: The counties of the cooperating region.
REGION = ("Troms", "Finnmark")
ISIL = re.compile(r"^[A-Z]{1,4}-[A-Za-z0-9:/-]{1,11}$")
_SPLIT = re.compile(r"\s*(?:[–—/|,]|\s-\s)\s*")


@dataclass(frozen=True)
class Library:
    id: str
    name: str
    isil: str = ""
    codes: tuple[str, ...] = ()
    municipality: str = ""
    county: str = ""
    kind: str = "public"
    source: str = ""                 # the configured source that is this library, if any

    @property
    def in_region(self) -> bool:
        return self.county in REGION

    @property
    def key(self) -> str:
        """The library's public identifier in URIs (`{base}/library/{key}`): its ISIL where it has one."""
        return self.isil or self.id

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "isil": self.isil, "kind": self.kind,
                "municipality": self.municipality, "county": self.county, "key": self.key,
                "in_region": self.in_region, "source": self.source}


@dataclass(frozen=True)
class Resolution:
    """What an owning-library code came to: a library, or `None` with the code kept for the warning."""
    library: Library | None
    code: str = ""
    why: str = field(default="", compare=False)


@lru_cache(maxsize=1)
def municipalities() -> dict[str, str]:
    """Every name (Norwegian, Sami, Kven) of a municipality of the region, folded → its county."""
    out = {}
    for row in read_tsv(DATA / "municipalities.tsv"):
        for name in [row["name"], *(row.get("other_names") or "").split("|")]:
            if name.strip():
                out[name.strip().casefold()] = row["county"]
    return out


def county_of(municipality: str) -> str:
    """The region county of a municipality as a source writes it ("Guovdageaidnu – Kautokeino"), or ""."""
    table = municipalities()
    text = (municipality or "").strip()
    for part in [text, *_SPLIT.split(text)]:
        county = table.get(part.strip().casefold())
        if county:
            return county
    return ""


@lru_cache(maxsize=1)
def _rows() -> tuple[Library, ...]:
    out = []
    for row in read_tsv(DATA / "libraries.tsv"):
        out.append(Library(row["id"], row["name"], (row.get("isil") or "").strip(),
                           tuple((row.get("codes") or "").split()), row.get("municipality") or "",
                           row.get("county") or "", row.get("kind") or "public"))
    return tuple(out)


def source_library(source) -> Library:
    """The library a configured source is (see the module docstring)."""
    county = "" if source.kind == "national" else county_of(source.municipality)
    return Library(getattr(source, "library", "") or source.id, source.name, source.isil or "", (),
                   source.municipality, county, source.kind, source.id)


class Directory:
    """Every library known: the configured sources first, then the rows of `libraries.tsv`."""

    def __init__(self, sources=()):
        self.by_source: dict[str, Library] = {}
        self.by_id: dict[str, Library] = {}
        self.by_isil: dict[str, Library] = {}
        self.by_code: dict[str, Library] = {}
        self.national_sources: set[str] = set()
        for source in sources:
            library = source_library(source)
            self.by_source[source.id] = library
            self.by_id.setdefault(library.id, library)
            if library.isil:
                self.by_isil.setdefault(library.isil, library)
            if source.kind == "national":
                self.national_sources.add(source.id)
        for library in _rows():
            same = self.by_id.get(library.id) or (self.by_isil.get(library.isil) if library.isil else None)
            if same is not None:               # a configured source is this library: it wins, the codes join it
                for code in library.codes:
                    self.by_code.setdefault(code.casefold(), same)
                continue
            self.by_id.setdefault(library.id, library)
            if library.isil:
                self.by_isil.setdefault(library.isil, library)
            for code in library.codes:
                self.by_code.setdefault(code.casefold(), library)

    def get(self, library_id: str) -> Library | None:
        return self.by_id.get(library_id)

    def digital_access(self, source) -> tuple[str, ...]:
        """The libraries (ids) whose patrons may open what a `digital` source offers: the ones its
        `access` names (source or library ids), or else every configured library of the county."""
        if source.kind != "digital":
            return ()
        named = getattr(source, "access", ()) or ()
        if named:
            found = (self.by_source.get(x) or self.by_id.get(x) for x in named)
            return tuple(dict.fromkeys(lib.id for lib in found if lib is not None))
        return tuple(dict.fromkeys(lib.id for lib in self.by_source.values()
                                   if lib.in_region and lib.kind in ("public", "school")))

    def libraries(self, region_only: bool = False) -> list[Library]:
        return [lib for lib in self.by_id.values() if lib.in_region or not region_only]

    def resolve(self, code: str, source_id: str) -> Resolution:
        """The library holding a copy that source `source_id` reports under owning code `code`."""
        code = (code or "").strip()
        own = self.by_source.get(source_id)
        if not code or (own is not None and own.isil and code == own.isil):
            return Resolution(own, code, "the source's own copy")
        if code in self.by_isil:
            return Resolution(self.by_isil[code], code, "ISIL")
        known = self.by_code.get(code.casefold())
        if known is not None:
            return Resolution(known, code, "library code")
        if ISIL.match(code):
            return Resolution(None, code, "an ISIL no configured source or directory row has")
        if source_id in self.national_sources or own is None:
            return Resolution(None, code, "a library code the directory does not know")
        return Resolution(own, code, "a branch or department code of the source")


@lru_cache(maxsize=64)
def solo_directory(source_id: str, isil: str = "") -> Directory:
    """The directory seen by a conversion outside any configuration (`grenselos convert`): one source."""
    from types import SimpleNamespace
    return Directory((SimpleNamespace(id=source_id, name=source_id, isil=isil, kind="public", municipality="",
                                      library=""),))


@lru_cache(maxsize=8)
def _cached(sources: tuple) -> Directory:
    return Directory(sources)


def directory(settings) -> Directory:
    """The directory of a configuration (cached per set of sources: settings are immutable)."""
    return _cached(tuple(settings.sources))
