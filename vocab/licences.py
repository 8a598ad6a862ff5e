"""Licences of the records a source sends, and the one answer to "may this record be republished?".

Each `[[sources]]` table names its records' licence (`licence`, an id of `data/licences.tsv`). National
and library records are open (CC0 by default); a vendor's records (Biblioteksentralen's, for instance) are
licensed for the libraries' own use: they serve search and the record pages, but must not leave through
any linked-data or harvesting path. Every such path (the graph store the transform stage writes, which
SPARQL, dumps and VoID read; the OAI-PMH provider; the RDF of one resource; the lists graph) asks
`publishable` — nothing else decides it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from vocab.tables import DATA, read_tsv, ui_language

DEFAULT = "CC0-1.0"


@dataclass(frozen=True)
class Licence:
    id: str
    uri: str
    republish: bool
    labels: dict = field(default_factory=dict, compare=False, hash=False)

    def label(self, ui_lang: str = "en") -> str:
        return self.labels.get(ui_language(ui_lang)) or self.labels["en"]


@lru_cache(maxsize=1)
def table() -> dict[str, Licence]:
    return {row["id"]: Licence(row["id"], row["uri"], row["republish"] == "yes",
                               {lang: row[lang] for lang in ("en", "nb", "nn", "se") if row.get(lang)})
            for row in read_tsv(DATA / "licences.tsv")}


def ids() -> tuple[str, ...]:
    """The licence ids a source may name (the settings loader's allowed set)."""
    return tuple(table())


def of_source(settings, source_id: str) -> Licence | None:
    """The licence of a configured source's records; None for a source no longer configured."""
    for source in settings.sources:
        if source.id == source_id:
            return table().get(getattr(source, "licence", DEFAULT))
    return None


def publishable(settings, source_id: str) -> bool:
    """May the records of `source_id` be republished? The one place that decides it: an unknown source
    (records left from a source taken out of the configuration) or a licence that forbids it says no."""
    licence = of_source(settings, source_id)
    return licence is not None and licence.republish


def published_sources(settings) -> list[str]:
    """The ids of the configured sources whose records may be republished."""
    return [s.id for s in settings.sources if publishable(settings, s.id)]


def source_of(settings, public_id: str) -> str | None:
    """The source of a record's public id (`{source}-{record id}`, as URIs and record pages name it);
    the longest matching source id wins, as in the resource views."""
    for source_id in sorted((s.id for s in settings.sources), key=len, reverse=True):
        if public_id.startswith(source_id + "-"):
            return source_id
    return None


def record_publishable(settings, public_id: str) -> bool:
    """`publishable` for a record known by its public id."""
    source_id = source_of(settings, public_id)
    return source_id is not None and publishable(settings, source_id)


def document_publishable(settings, document: dict) -> bool:
    """`publishable` for a search document or record dict (its `source`, else the source its public `id`
    names): the portal's republishing paths (JSON-LD, feeds, the list snippet) ask this of each title."""
    source_id = document.get("source") or source_of(settings, str(document.get("id") or ""))
    return source_id is not None and publishable(settings, source_id)
