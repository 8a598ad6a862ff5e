"""What language detection is told and what it answers: plain values shared by `transform.languages`
(which reads a record's codes and gathers the evidence) and `transform.langid` (which decides), so that
neither has to import the other's module to speak of them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Detection:
    code: str
    confidence: float
    evidence: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"code": self.code, "confidence": round(self.confidence, 3), "evidence": list(self.evidence)}


@dataclass
class RecordEvidence:
    """What a record says about its language besides its text, for telling close languages apart."""
    source_id: str | None = None
    source_name: str = ""
    declared: list[str] = field(default_factory=list)  # 041 codes given with $2 (iso639-3 ...)
    catalogued: list[str] = field(default_factory=list)
    publishers: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    series: list[str] = field(default_factory=list)
    country: str = ""
