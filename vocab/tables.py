"""What every vocabulary reads its data with: the data folder, the interface languages, a TSV reader.

The vocabularies (languages, relators, genres, statuses, item types, patron categories, libraries,
licences) are tab-separated files in `vocab/data/` (see its README), each read once, on first use.
"""

from __future__ import annotations

import csv
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
UI_LANGUAGES = ("nb", "nn", "se", "en")
_UI_ALIASES = {"nob": "nb", "no": "nb", "nor": "nb", "nno": "nn", "sme": "se", "eng": "en"}


def read_tsv(path: Path) -> list[dict]:
    """The rows of a vocabulary file (lines starting with '#' are comments; no quoting)."""
    with path.open(encoding="utf-8", newline="") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def ui_language(ui_lang: str) -> str:
    """An interface language as the vocabularies name it (`nob`, `no-NO` → `nb`; `sme` → `se`)."""
    ui = (ui_lang or "en").lower().split("-")[0].split("_")[0]
    return _UI_ALIASES.get(ui, ui)
