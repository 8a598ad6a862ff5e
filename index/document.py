"""The search document: one per instance (edition) as a library holds it, carrying its work cluster.

A document is the backend-neutral unit both search engines index. It says what a patron searches and
filters by, not how an engine stores it: `index.fields.flatten` turns it into engine fields. Its `id` is
the public record id `{source}-{record_id}`, the same as in the instance URI `{base}/instance/{id}`.
"""

from __future__ import annotations

import hashlib
import orjson
from dataclasses import dataclass, field, fields


@dataclass(frozen=True)
class Copy:
    """One item: where it stands and whether a patron can take it home now."""
    status: str = "unknown"
    due_date: str = ""
    location: str = ""
    call_number: str = ""
    id: int = 0                      # the copy's row in the copies table (0: read from MARC)
    item_id: str = ""                # barcode or item number, where the library sends one
    deposit_until: str = ""          # on deposit at this holding's library until this day (ISO), else ""
    deposit_place: str = ""          # the service point there the deposit stands at (a school, a depot)


@dataclass(frozen=True)
class Holding:
    """One library's copies of an instance. `status`/`due_date` summarise the copies for a hit list:
    available when any copy is, else the best other status (on loan: the earliest due date)."""
    library: str
    municipality: str = ""
    kind: str = "public"
    items: int = 1
    available: int = 0
    call_number: str = ""
    isil: str = ""
    location: str = ""
    status: str = ""
    due_date: str = ""
    copies: tuple[Copy, ...] = ()
    name: str = ""                   # the library's name (from vocab.libraries), or the code when unknown
    region: bool = True              # held in the cooperating region (Troms and Finnmark)
    known: bool = True               # False: a library code nobody knows, shown as the code
    deposit_until: str = ""          # copies here on deposit from another library: the last day they stay

    def to_dict(self) -> dict:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "copies"}
        data["copies"] = [c.__dict__ for c in self.copies]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Holding":
        copies = tuple(Copy(**c) for c in data.pop("copies", None) or ())
        try:
            return cls(**data, copies=copies)
        except TypeError:  # written by an older or newer version: keep the fields this one knows
            return cls(**{k: v for k, v in data.items() if k in _HOLDING_FIELDS}, copies=copies)


@dataclass(frozen=True)
class Document:
    id: str
    work_id: str
    source: str
    title: str
    subtitle: str = ""
    title_variants: tuple[str, ...] = ()
    uniform_title: str = ""
    #: the statement of responsibility as catalogued (245 $c): "Kari Nordmo ; jorgalan Ánte Somby".
    statement_of_responsibility: str = ""
    contributors: tuple[str, ...] = ()
    #: relator codes per contributor (same order), comma-separated: "aut", "ill,aut", "" when unknown.
    contributor_roles: tuple[str, ...] = ()
    #: the agent page id per contributor (same order), `person/nordmo-kari`; "" when it has none.
    contributor_ids: tuple[str, ...] = ()
    #: vocabulary code (humord, lcsh, yso, ...) -> headings; "" for headings without a vocabulary.
    subjects: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: genre/form ids of vocab.genres (fiction, novels, picture_books, ...): the facet's values.
    genres: tuple[str, ...] = ()
    #: genre/form terms as catalogued (655), searchable.
    genre_terms: tuple[str, ...] = ()
    series: tuple[str, ...] = ()
    isbns: tuple[str, ...] = ()
    issns: tuple[str, ...] = ()
    other_identifiers: tuple[str, ...] = ()
    publishers: tuple[str, ...] = ()
    #: places of publication as catalogued (260/264 $a).
    places: tuple[str, ...] = ()
    year: int | None = None
    #: pictures of the cover the record links (856 whose $3 names one), as URLs.
    covers: tuple[str, ...] = ()
    #: extent as catalogued (300 $a): "287 s.".
    extent: str = ""
    #: every language of the record (text, original, subtitles), ISO 639-3 / MARC codes.
    languages: tuple[str, ...] = ()
    #: the languages among `languages` that come from detection, not from the record's codes.
    languages_detected: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    #: adult, young_adult, children
    audiences: tuple[str, ...] = ()
    holdings: tuple[Holding, ...] = ()
    #: summary and contents notes (520, 505): the record page's summary, searched as notes.
    notes: str = ""
    #: how many libraries hold any edition of the work (set by clustering; used for ranking).
    work_libraries: int = 0
    #: the harvest identifier of the record in its source (for the pages that read the stored MARC).
    identifier: str = ""
    #: online access links the record carries (856 other than cover pictures), each "URL label"
    #: (the label, 856 $3 $y $z, may be empty).
    links: tuple[str, ...] = ()
    #: for a record of a `digital` source: the libraries whose patrons may open it (given by the index
    #: stage from the source's `access`); empty for everything else.
    access: tuple[str, ...] = ()

    def __post_init__(self):
        if "!" in self.id or not self.id or not self.work_id:
            raise ValueError(f"document needs an id without '!' and a work id: {self.id!r} / {self.work_id!r}")

    @property
    def harvest_id(self) -> str:
        """`source:identifier`, the id documents had before record ids were minted (still resolvable)."""
        return f"{self.source}:{self.identifier}".replace("!", "%21") if self.identifier else ""

    def contributor_list(self) -> list[dict]:
        """[{"name", "id", "roles": [relator codes]}] in catalogue order (`id`: the agent page's, or "")."""
        roles, ids = self.contributor_roles, self.contributor_ids
        return [{"name": name, "id": ids[n] if n < len(ids) else "",
                 "roles": [r for r in (roles[n] if n < len(roles) else "").split(",") if r]}
                for n, name in enumerate(self.contributors)]

    def to_dict(self) -> dict:
        data = {name: getattr(self, name) for name in _FIELDS}
        data["holdings"] = [h.to_dict() for h in self.holdings]
        return data

    def to_json(self) -> str:
        """Serialised once per document (it is both stored in the index and the change checksum)."""
        cached = self.__dict__.get("_json")
        if cached is None:
            cached = orjson.dumps(self.to_dict(), option=orjson.OPT_SORT_KEYS).decode()
            object.__setattr__(self, "_json", cached)
        return cached

    @classmethod
    def from_json(cls, text: str | bytes) -> "Document":
        data = orjson.loads(text)
        data = {k: v for k, v in data.items() if k in _FIELDS}
        data["holdings"] = tuple(Holding.from_dict(h) for h in data.get("holdings", ()))
        data["subjects"] = {k: tuple(v) for k, v in data.get("subjects", {}).items()}
        for name, value in list(data.items()):
            if isinstance(value, list):
                data[name] = tuple(value)
        return cls(**data)

    @property
    def checksum(self) -> str:
        """Changes whenever anything indexed changes, including the work cluster and its holdings."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:32]

    @property
    def libraries(self) -> list[str]:
        """The region's libraries holding this edition (copies elsewhere are not library facet values)."""
        return sorted({h.library for h in self.holdings if h.region})


_FIELDS = tuple(f.name for f in fields(Document))
_HOLDING_FIELDS = frozenset(f.name for f in fields(Holding))
