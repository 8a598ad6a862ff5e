"""The search document: one per instance (edition) as a library holds it, carrying its work cluster.

A document is the backend-neutral unit both search engines index. It says what a patron searches and
filters by, not how an engine stores it: `index.fields.flatten` turns it into engine fields.
"""

from __future__ import annotations

import hashlib
import orjson
from dataclasses import dataclass, field, fields


@dataclass(frozen=True)
class Holding:
    """One library's copies of an instance."""
    library: str
    municipality: str = ""
    kind: str = "public"
    items: int = 1
    available: int = 0
    call_number: str = ""


@dataclass(frozen=True)
class Document:
    id: str
    work_id: str
    source: str
    title: str
    subtitle: str = ""
    title_variants: tuple[str, ...] = ()
    uniform_title: str = ""
    contributors: tuple[str, ...] = ()
    #: vocabulary code (humord, lcsh, yso, ...) -> headings; "" for headings without a vocabulary.
    subjects: dict[str, tuple[str, ...]] = field(default_factory=dict)
    genres: tuple[str, ...] = ()
    series: tuple[str, ...] = ()
    isbns: tuple[str, ...] = ()
    issns: tuple[str, ...] = ()
    other_identifiers: tuple[str, ...] = ()
    publishers: tuple[str, ...] = ()
    year: int | None = None
    #: every language of the record (text, original, subtitles), ISO 639-3 / MARC codes.
    languages: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    #: adult, young_adult, children
    audiences: tuple[str, ...] = ()
    holdings: tuple[Holding, ...] = ()
    notes: str = ""
    #: how many libraries hold any edition of the work (set by clustering; used for ranking).
    work_libraries: int = 0

    def __post_init__(self):
        if "!" in self.id or not self.id or not self.work_id:
            raise ValueError(f"document needs an id without '!' and a work id: {self.id!r} / {self.work_id!r}")

    def to_dict(self) -> dict:
        data = {name: getattr(self, name) for name in _FIELDS}
        data["holdings"] = [h.__dict__ for h in self.holdings]
        return data

    def to_json(self) -> str:
        """Serialised once per document (it is both stored in the index and the change checksum)."""
        cached = self.__dict__.get("_json")
        if cached is None:
            cached = orjson.dumps(self.to_dict(), option=orjson.OPT_SORT_KEYS).decode()
            object.__setattr__(self, "_json", cached)
        return cached

    @classmethod
    def from_json(cls, text: str) -> "Document":
        data = orjson.loads(text)
        data = {k: v for k, v in data.items() if k in _FIELDS}
        data["holdings"] = tuple(Holding(**h) for h in data.get("holdings", ()))
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
        return sorted({h.library for h in self.holdings})


_FIELDS = tuple(f.name for f in fields(Document))
