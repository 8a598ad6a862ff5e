"""Detected languages kept per record, and the effective languages later stages read.

The pipeline writes one `language_detections` row for each record it ran detection on (see
`transform.language_detection`), in the same transaction as the record's transform state, and drops
the row when the record is deleted, fails, or no longer needs detection. The catalogued codes are
stored as read and never changed; the detection is a suggestion with confidence and evidence.

For the index and the portal:

    effective_languages(conn, source, identifier) -> EffectiveLanguages | None
    effective_languages_many(conn, source, identifiers) -> {identifier: EffectiveLanguages}

None (or a missing key) means no detection was needed: the record's catalogued codes
(`record_languages(record, detect=False).effective`) are its effective languages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, insert, select

from transform.languages import RecordLanguages
from transform.tables import language_detections as table

CHUNK = 500


@dataclass(frozen=True)
class EffectiveLanguages:
    codes: tuple[str, ...]
    is_detected: bool
    detected_code: str | None = None
    confidence: float | None = None
    reason: str = ""
    evidence: tuple[str, ...] = ()
    problems: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict:
        return {"codes": list(self.codes), "is_detected": self.is_detected, "detected_code": self.detected_code,
                "confidence": self.confidence, "reason": self.reason, "evidence": list(self.evidence),
                "problems": list(self.problems)}


def row_for(source: str, identifier: str, reason: str, langs: RecordLanguages, stamp: datetime) -> dict:
    detected = langs.detected
    return {"source": source, "identifier": identifier, "reason": reason[:2000],
            "catalogued": json.dumps([list(c) for c in langs.catalogued]),
            "effective": " ".join(langs.effective)[:256], "effective_is_detected": bool(langs.effective_is_detected),
            "detected_code": detected.code if detected else None,
            "confidence": round(detected.confidence, 4) if detected else None,
            "evidence": json.dumps(list(detected.evidence) if detected else [], ensure_ascii=False),
            "problems": json.dumps(list(langs.problems), ensure_ascii=False), "updated_at": stamp}


def replace(conn, source: str, identifiers, rows: list[dict]) -> None:
    """Drop the rows of every record in `identifiers` (the batch), then insert `rows` (its detections)."""
    identifiers = list(identifiers)
    for start in range(0, len(identifiers), CHUNK):
        conn.execute(delete(table).where(table.c.source == source,
                                         table.c.identifier.in_(identifiers[start:start + CHUNK])))
    if rows:
        conn.execute(insert(table), rows)


def _effective(row) -> EffectiveLanguages:
    return EffectiveLanguages(
        codes=tuple(row.effective.split()), is_detected=bool(row.effective_is_detected),
        detected_code=row.detected_code, confidence=row.confidence, reason=row.reason,
        evidence=tuple(json.loads(row.evidence or "[]")), problems=tuple(json.loads(row.problems or "[]")))


def effective_languages(conn, source: str, identifier: str) -> EffectiveLanguages | None:
    row = conn.execute(select(table).where(table.c.source == source, table.c.identifier == identifier)).first()
    return _effective(row) if row is not None else None


def effective_languages_many(conn, source: str, identifiers) -> dict[str, EffectiveLanguages]:
    identifiers = list(identifiers)
    out = {}
    for start in range(0, len(identifiers), CHUNK):
        for row in conn.execute(select(table).where(table.c.source == source,
                                                    table.c.identifier.in_(identifiers[start:start + CHUNK]))):
            out[row.identifier] = _effective(row)
    return out


def detections(conn, source: str | None = None, *, detected_only: bool = True) -> list[dict]:
    """Rows for librarians (report, staff page): what was detected where, by source and identifier."""
    q = select(table).order_by(table.c.source, table.c.identifier)
    if source:
        q = q.where(table.c.source == source)
    if detected_only:
        q = q.where(table.c.detected_code.is_not(None))
    return [{**dict(r._mapping), "catalogued": json.loads(r.catalogued), "evidence": json.loads(r.evidence or "[]"),
             "problems": json.loads(r.problems or "[]")} for r in conn.execute(q)]
