"""Enrichment: what a thin record lacks that a richer record of its work cluster has, as a diff a
librarian accepts or leaves.

A group of `mapping/enrichment.table` (subjects, summary, classification, audience, language codes) is
missing when its reading gives nothing on the record as it stands (harvested, with the overlays already
accepted), and offered by the first record of the same cluster that has it: the national bibliography
first, then the most complete (copy cataloguing's ranking). An offer naming a Sami or Kven language is
listed first and weighs more in the batch view, which lists a library's records that would gain most.

Accepting keeps the offer as an overlay (`transform.overlays`); the caller converts the record again.
Nothing here writes to the record store.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, func, select

from harvest.marcdata import from_stored
from transform import copy_cataloguing, overlays, readings
from transform.enrichment_table import groups
from transform.overlays import OverlayField
from transform.tables import transform_records
from vocab import languages as languages_vocab
from vocab import libraries as libraries_vocab

#: The language groups an offer is promoted for (vocab.languages.STATISTICS_GROUPS names).
PROMOTED = ("sami", "kven")


class NotFound(LookupError):
    """No converted record has that id."""


@dataclass
class Offer:
    group: str
    from_source: str
    from_identifier: str
    library: str                    # name of the library (or bibliography) the record comes from
    fields: list[OverlayField]
    promoted: bool = False          # names a Sami or Kven language
    weight: int = 0

    def as_dict(self) -> dict:
        return {"group": self.group, "from": {"source": self.from_source, "identifier": self.from_identifier,
                                              "library": self.library},
                "fields": [f.as_dict() for f in self.fields], "sami_or_kven": self.promoted, "weight": self.weight}


@dataclass
class Diff:
    source: str
    identifier: str
    record_id: str
    missing: list[str]
    title: str = ""
    offers: list[Offer] = field(default_factory=list)
    overlays: list[dict] = field(default_factory=list)       # what was accepted before, and its state

    @property
    def gain(self) -> int:
        return sum(o.weight for o in self.offers)

    def as_dict(self) -> dict:
        return {"source": self.source, "identifier": self.identifier, "id": f"{self.source}-{self.record_id}",
                "title": self.title, "missing": self.missing, "gain": self.gain, "offers": [o.as_dict() for o in self.offers],
                "overlays": self.overlays}


def locate(conn, source_ids, public_id: str) -> tuple[str, str, str]:
    """(source, identifier, record_id) of a public record id `{source}-{record_id}`."""
    for source in sorted(source_ids, key=len, reverse=True):
        if public_id.startswith(f"{source}-"):
            row = conn.execute(select(transform_records.c.identifier, transform_records.c.record_id).where(
                transform_records.c.source == source, transform_records.c.record_id == public_id[len(source) + 1:],
                transform_records.c.status == "ok")).first()
            if row is not None:
                return source, row.identifier, row.record_id
    raise NotFound(public_id)


def _offer_fields(found) -> list[OverlayField]:
    out, seen = [], set()
    for hit in found:
        if hit.spec.is_slice:
            start, end = hit.spec.start, hit.spec.end
            out.append(OverlayField(hit.spec.tag, f"{start}-{end}" if end != start else str(start),
                                    value=(hit.field.data or "")[start:end + 1]))
        elif id(hit.field) not in seen:
            seen.add(id(hit.field))
            f = hit.field
            out.append(OverlayField(f.tag, "", f.ind1 or " ", f.ind2 or " ",
                                    tuple((s.code, s.value) for s in f.subfields)))
    return out


def _mates(settings, store, conn, source: str, identifier: str, cluster: str | None = None) -> list:
    """The other records of the cluster, as parsed MARC, best first (national, then most complete)."""
    if cluster is None:
        cluster = conn.execute(select(transform_records.c.cluster_id).where(
            transform_records.c.source == source, transform_records.c.identifier == identifier)).scalar()
    if not cluster:
        return []
    directory = libraries_vocab.directory(settings)
    out = []
    for row in conn.execute(select(transform_records.c.source, transform_records.c.identifier).where(
            transform_records.c.cluster_id == cluster, transform_records.c.status == "ok")):
        if (row.source, row.identifier) == (source, identifier):
            continue
        stored = store.get(row.source, row.identifier)
        if stored is None or stored.deleted or not stored.marcxml:
            continue
        record = from_stored(stored.marcxml)
        if copy_cataloguing.to_be_upgraded(record):
            continue
        library = directory.by_source.get(row.source)
        kind = library.kind if library else ""
        out.append((kind != "national", -copy_cataloguing.completeness(record), row.source, row.identifier,
                    library.name if library else row.source, record))
    out.sort(key=lambda m: m[:4])
    return [(m[2], m[3], m[4], m[5]) for m in out]


def diff(settings, store, conn, source: str, identifier: str, record_id: str = "", *,
         marcxml: str | None = None, rows: list | None = None, cluster: str | None = None) -> Diff:
    """What the record lacks and what its cluster offers (an empty `offers` when nothing). `marcxml` and
    `rows` (its overlay rows) when the caller has read them already (the batch view)."""
    if marcxml is None:
        stored = store.get(source, identifier)
        if stored is None or stored.deleted or not stored.marcxml:
            raise NotFound(f"{source}:{identifier}")
        marcxml = stored.marcxml
    if rows is None:
        rows = overlays.rows_for(conn, source, [identifier]).get(identifier, [])
    harvested = from_stored(marcxml)
    current = overlays.merge(harvested, rows).record
    table = groups()
    out = Diff(source, identifier, record_id or "", [g for g, spec in table.items()
                                                      if not readings.has(current, spec.reading)],
               readings.first(harvested, "title"))
    out.overlays = [{"id": r.id, "group": r.group_name, "status": r.status,
                     "superseded": r.status == overlays.SUPERSEDED or readings.has(harvested, table[r.group_name].reading)
                     if r.group_name in table else False,
                     "field": OverlayField.from_row(r).as_dict(),
                     "from": {"source": r.from_source, "identifier": r.from_identifier},
                     "library": r.library, "by": r.principal,
                     "at": r.created_at.isoformat(timespec="seconds")} for r in rows]
    if not out.missing:
        return out
    mates = _mates(settings, store, conn, source, identifier, cluster)
    for name in out.missing:
        spec = table[name]
        for mate_source, mate_identifier, library, record in mates:
            found = readings.hits(record, spec.reading)
            if not found:
                continue
            promoted = any(languages_vocab.statistics_group(v) in PROMOTED for h in found for v in h.values)
            out.offers.append(Offer(name, mate_source, mate_identifier, library, _offer_fields(found), promoted,
                                    spec.weight + (spec.bonus if promoted else 0)))
            break
    out.offers.sort(key=lambda o: not o.promoted)       # Sami and Kven first; otherwise table order
    return out


def batch(settings, store, conn, source: str, limit: int = 100) -> tuple[list[Diff], list[dict]]:
    """The source's records that share a cluster with another record and would gain something, the most
    gain first; and the records that could not be read (named, never dropped silently)."""
    tr = transform_records
    sizes = (select(tr.c.cluster_id, func.count().label("n")).where(tr.c.status == "ok")
             .group_by(tr.c.cluster_id).subquery())
    shared = {r.identifier: (r.record_id, r.cluster_id) for r in conn.execute(
        select(tr.c.identifier, tr.c.record_id, tr.c.cluster_id)
        .select_from(tr.join(sizes, and_(sizes.c.cluster_id == tr.c.cluster_id, sizes.c.n > 1)))
        .where(tr.c.source == source, tr.c.status == "ok"))}
    accepted = overlays.rows_for(conn, source, shared)
    found, problems = [], []
    for row in store.iter_records(source, include_deleted=False, record_type="bib"):    # one read, in pages
        if row.identifier not in shared or not row.marcxml:
            continue
        try:
            record_id, cluster = shared[row.identifier]
            d = diff(settings, store, conn, source, row.identifier, record_id, marcxml=row.marcxml,
                     rows=accepted.get(row.identifier, []), cluster=cluster)
        except NotFound:
            continue
        except Exception as exc:  # noqa: BLE001 - one unreadable record never hides the others
            problems.append({"identifier": row.identifier, "error": f"{type(exc).__name__}: {exc}"})
            continue
        if d.offers:
            found.append(d)
    found.sort(key=lambda d: (-d.gain, d.record_id))
    return found[:limit], problems


def accept(conn, d: Diff, wanted: list[str], library: str, principal: str, stamp) -> list[Offer]:
    """Keep the offers of the `wanted` groups (all when empty) as overlays; returns those kept."""
    chosen = [o for o in d.offers if not wanted or o.group in wanted]
    for offer in chosen:
        overlays.add(conn, d.source, d.identifier, offer.group, offer.fields,
                     (offer.from_source, offer.from_identifier), library, principal, stamp)
    return chosen
