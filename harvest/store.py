"""The record store: one row per (source, OAI identifier), the single place harvested MARC lands.

Writes are idempotent upserts decided by checksum, so harvesting the same page twice, or resuming
after a crash and re-reading a page, changes nothing but `last_seen`. Deleted records are kept as
rows with `deleted` set; nothing is ever dropped.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Iterator

from sqlalchemy import and_, bindparam, case, exists, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from core import db
from core.clock import now
from harvest import attempts
from harvest.tables import harvest_state, quarantine, records


@dataclass(frozen=True)
class IncomingRecord:
    """A record as a harvester or importer hands it to the store."""
    identifier: str
    datestamp: str | None = None
    deleted: bool = False
    marcxml: str | None = None
    checksum: str | None = None
    error: str | None = None
    record_type: str = "bib"
    control_number: str | None = None
    parent: str | None = None


@dataclass(frozen=True)
class StoredRecord:
    id: int
    source: str
    identifier: str
    record_type: str
    control_number: str | None
    parent: str | None
    datestamp: str | None
    deleted: bool
    checksum: str | None
    marcxml: str | None
    error: str | None
    first_seen: datetime
    last_seen: datetime
    changed_at: datetime


@dataclass
class UpsertResult:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0
    errors: int = 0

    def __iadd__(self, other: "UpsertResult") -> "UpsertResult":
        for name in ("new", "changed", "unchanged", "deleted", "errors"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self

    @property
    def stored(self) -> int:
        return self.new + self.changed + self.unchanged


_CONTENT = ("record_type", "control_number", "parent", "datestamp", "deleted", "checksum", "marcxml", "error")


class RecordStore:
    def __init__(self, url_or_engine: str | Engine, migrate: bool = True):
        self._owns_engine = isinstance(url_or_engine, str)      # an engine handed in stays its owner's
        self.engine = db.engine_for(url_or_engine) if self._owns_engine else url_or_engine
        if migrate:
            db.migrate(self.engine)

    @classmethod
    def from_settings(cls, settings) -> "RecordStore":
        return cls(settings.database_url)

    def close(self) -> None:
        if self._owns_engine:
            self.engine.dispose()

    # -- records -----------------------------------------------------------------------------

    def upsert(self, source: str, incoming: Iterable[IncomingRecord]) -> UpsertResult:
        """Store a batch (one OAI page, one chunk of a file) in one transaction."""
        batch: dict[str, IncomingRecord] = {}
        for rec in incoming:
            batch[rec.identifier] = rec          # the last occurrence in a batch wins, as in a re-harvest
        result = UpsertResult()
        if not batch:
            return result
        stamp = now()
        with self.engine.begin() as conn:
            existing = {}
            keys = list(batch)
            for start in range(0, len(keys), 500):
                rows = conn.execute(
                    select(records.c.identifier, *(records.c[c] for c in ("checksum", "deleted", "error",
                                                                           "datestamp")))
                    .where(records.c.source == source, records.c.identifier.in_(keys[start:start + 500])))
                existing.update({row.identifier: row for row in rows})
            new_rows, changed_rows, seen = [], [], []
            for identifier, rec in batch.items():
                values = self._values(rec)
                if rec.error:
                    result.errors += 1
                if rec.deleted:
                    result.deleted += 1
                old = existing.get(identifier)
                if old is None:
                    result.new += 1
                    new_rows.append({"source": source, "identifier": identifier, **values,
                                     "first_seen": stamp, "last_seen": stamp, "changed_at": stamp})
                elif (old.checksum, bool(old.deleted), old.error) != (values["checksum"], values["deleted"],
                                                                       values["error"]):
                    result.changed += 1
                    changed_rows.append({"b_identifier": identifier, **values, "last_seen": stamp,
                                         "changed_at": stamp})
                else:
                    result.unchanged += 1
                    seen.append(identifier)
            if new_rows:
                conn.execute(insert(records), new_rows)
            if changed_rows:
                conn.execute(
                    update(records)
                    .where(records.c.source == source, records.c.identifier == bindparam("b_identifier"))
                    .values({c: bindparam(c) for c in (*_CONTENT, "last_seen", "changed_at")}),
                    changed_rows)
            for start in range(0, len(seen), 500):
                conn.execute(update(records).where(records.c.source == source,
                                                   records.c.identifier.in_(seen[start:start + 500]))
                             .values(last_seen=stamp))
        return result

    @staticmethod
    def _values(rec: IncomingRecord) -> dict:
        if rec.deleted:
            # A delete keeps no MARC: the provider withdrew it; the row itself is the record of that.
            return {"record_type": rec.record_type, "control_number": rec.control_number,
                    "parent": rec.parent, "datestamp": rec.datestamp, "deleted": True,
                    "checksum": None, "marcxml": None, "error": None}
        checksum = rec.checksum
        if checksum is None and rec.marcxml is not None:
            checksum = hashlib.sha256(rec.marcxml.encode("utf-8")).hexdigest()
        return {"record_type": rec.record_type, "control_number": rec.control_number, "parent": rec.parent,
                "datestamp": rec.datestamp, "deleted": False, "checksum": checksum, "marcxml": rec.marcxml,
                "error": rec.error}

    def mark_deleted(self, source: str, identifiers: Iterable[str], datestamp: str | None = None) -> int:
        """Mark records deleted that a provider no longer lists (providers that report no deletes)."""
        identifiers = list(identifiers)
        count = 0
        stamp = now()
        with self.engine.begin() as conn:
            for start in range(0, len(identifiers), 500):
                count += conn.execute(
                    update(records)
                    .where(records.c.source == source, records.c.identifier.in_(identifiers[start:start + 500]),
                           records.c.deleted.is_(False))
                    .values(deleted=True, checksum=None, marcxml=None, error=None, changed_at=stamp,
                            datestamp=datestamp)).rowcount
        return count

    def get(self, source: str, identifier: str) -> StoredRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(records).where(records.c.source == source,
                                                     records.c.identifier == identifier)).first()
        return StoredRecord(**row._mapping) if row else None

    def iter_records(self, source: str | None = None, *, include_deleted: bool = True,
                     record_type: str | None = None, changed_since: datetime | None = None,
                     batch: int = 1000) -> Iterator[StoredRecord]:
        """Every matching record in id order, read in keyset-paged batches (memory stays flat)."""
        last_id = 0
        while True:
            query = select(records).where(records.c.id > last_id).order_by(records.c.id).limit(batch)
            if source is not None:
                query = query.where(records.c.source == source)
            if not include_deleted:
                query = query.where(records.c.deleted.is_(False))
            if record_type is not None:
                query = query.where(records.c.record_type == record_type)
            if changed_since is not None:
                query = query.where(records.c.changed_at > changed_since)
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
            if not rows:
                return
            for row in rows:
                yield StoredRecord(**row._mapping)
            last_id = rows[-1].id

    def holdings_for(self, source: str, control_number: str) -> list[StoredRecord]:
        """Separate holdings records (marcxchange type Holdings) linked to a bib record by 004."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(records).where(
                records.c.source == source, records.c.parent == control_number,
                records.c.record_type == "holdings", records.c.deleted.is_(False)).order_by(records.c.id))
            return [StoredRecord(**row._mapping) for row in rows]

    def identifiers(self, source: str, include_deleted: bool = False) -> set[str]:
        query = select(records.c.identifier).where(records.c.source == source)
        if not include_deleted:
            query = query.where(records.c.deleted.is_(False))
        with self.engine.connect() as conn:
            return {row[0] for row in conn.execute(query)}

    # -- quarantine --------------------------------------------------------------------------

    def quarantine(self, source: str, cause: str, *, stage: str = "harvest", identifier: str | None = None,
                   location: str | None = None, raw: bytes | str | None = None) -> bool:
        """Keep a bad page or record with its reason. Returns False if it was already kept."""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        fingerprint = hashlib.sha256(
            "\x1f".join((source, stage, identifier or "", location or "", cause)).encode("utf-8", "replace")
            + b"\x1f" + (raw or b"")).hexdigest()
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(quarantine).values(
                    source=source, stage=stage, identifier=identifier, location=location, cause=cause,
                    raw=raw, fingerprint=fingerprint, created_at=now()))
            return True
        except IntegrityError:
            return False

    def quarantined(self, source: str | None = None) -> list[dict]:
        """Everything quarantined: bad pages and bad records (kept rows with an error)."""
        out = []
        with self.engine.connect() as conn:
            q = select(quarantine).order_by(quarantine.c.id)
            if source:
                q = q.where(quarantine.c.source == source)
            out += [dict(row._mapping) for row in conn.execute(q)]
            q = select(records.c.source, records.c.identifier, records.c.error, records.c.changed_at).where(
                records.c.error.is_not(None)).order_by(records.c.id)
            if source:
                q = q.where(records.c.source == source)
            out += [{"source": r.source, "stage": "record", "identifier": r.identifier, "location": None,
                     "cause": r.error, "created_at": r.changed_at} for r in conn.execute(q)]
        return out

    # -- checkpoints -------------------------------------------------------------------------

    def checkpoint(self, source: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(harvest_state).where(harvest_state.c.source == source)).first()
        return dict(row._mapping) if row else None

    def save_checkpoint(self, source: str, **values) -> None:
        """Write harvest state before each request, so a killed run resumes exactly there."""
        with self.engine.begin() as conn:
            done = conn.execute(update(harvest_state).where(harvest_state.c.source == source)
                                .values(**values)).rowcount
            if not done:
                conn.execute(insert(harvest_state).values(
                    {"source": source, "status": "idle", "pages": 0, "records_seen": 0, **values}))

    # -- status ------------------------------------------------------------------------------

    def has_holdings(self, source: str) -> bool:
        """Whether the source has a live holdings record linked to a bib (by 004): one EXISTS on the
        (source, parent) index, instead of the full-table count `status()` makes. Holdings without a
        parent cannot be matched to a bib anyway, so they do not count."""
        with self.engine.connect() as conn:
            return bool(conn.execute(select(exists().where(
                records.c.source == source, records.c.parent.is_not(None), records.c.record_type == "holdings",
                records.c.deleted.is_(False)))).scalar())

    def status(self) -> dict[str, dict]:
        """Counts per source: the figures `grenselos status` prints."""
        out: dict[str, dict] = {}

        def entry(source):
            return out.setdefault(source, {"records": 0, "deleted": 0, "quarantined": 0, "holdings": 0,
                                           "last_harvest": None, "harvest_status": None})
        with self.engine.connect() as conn:
            rows = conn.execute(select(
                records.c.source,
                func.sum(case((and_(records.c.deleted.is_(False), records.c.error.is_(None),
                                    records.c.record_type != "holdings"), 1), else_=0)),
                func.sum(case((records.c.deleted.is_(True), 1), else_=0)),
                func.sum(case((records.c.error.is_not(None), 1), else_=0)),
                func.sum(case((and_(records.c.deleted.is_(False), records.c.record_type == "holdings"), 1),
                              else_=0)),
            ).group_by(records.c.source))
            for source, live, deleted, errors, holdings in rows:
                e = entry(source)
                e.update(records=int(live or 0), deleted=int(deleted or 0), quarantined=int(errors or 0),
                         holdings=int(holdings or 0))
            for source, count in conn.execute(select(quarantine.c.source, func.count())
                                              .group_by(quarantine.c.source)):
                entry(source)["quarantined"] += int(count)
            for row in conn.execute(select(harvest_state)):
                e = entry(row.source)
                e["last_harvest"] = attempts.iso(row.last_harvest)
                e["harvest_status"] = row.status
        return out

    def health(self, sources: Iterable[str]) -> dict[str, dict]:
        """Per source: last attempt, last success, failures in a row and the status they add up to."""
        return attempts.health(self.engine, list(sources))

