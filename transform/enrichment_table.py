"""The enrichment table (`mapping/enrichment.table`): which groups of fields a thin record may be offered,
the reading that says a group is missing, and how much each weighs in the batch view.

Read by `transform.enrichment` (what to offer) and `transform.overlays` (when a source has caught up and
an overlay is superseded), so both decide "missing" by the same line.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from transform import readings
from transform.readings import ReadingError

TABLE = Path(__file__).parent / "mapping" / "enrichment.table"


@dataclass(frozen=True)
class Group:
    name: str
    reading: str
    weight: int
    bonus: int                 # added when the offer names a Sami or Kven language
    line: int


def parse(text: str, path: Path | str = TABLE) -> dict[str, Group]:
    out: dict[str, Group] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 4 or not parts[2].isdigit() or not parts[3].isdigit():
            raise ReadingError(path, number, "a group line is: GROUP READING WEIGHT BONUS")
        name, reading = parts[0], parts[1]
        if reading not in readings.table():
            raise ReadingError(path, number, f"no reading named {reading!r} in {readings.TABLE.name}")
        if name in out:
            raise ReadingError(path, number, f"group {name!r} is defined twice")
        out[name] = Group(name, reading, int(parts[2]), int(parts[3]), number)
    return out


@lru_cache(maxsize=1)
def groups() -> dict[str, Group]:
    """The groups in table order (the order a staff member reads them)."""
    return parse(TABLE.read_text(encoding="utf-8"))
