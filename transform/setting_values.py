"""The allowed values of settings whose sets are kept above `core`.

The settings tables (core/settings.py) are the floor of the house, yet some of their values name things
only higher layers know: holdings profiles are transform's, character sets and OAI-PMH granularities
harvest's, interface languages vocab's. Those settings name a set (`Setting.allowed`), and this module,
which may import them all, hands the sets to the loader, so a wrong value is refused when the file is
read, with "did you mean", instead of failing halfway through a harvest or never. Everything that reads grenselos.toml for a run loads it here.
"""

from __future__ import annotations

import os

from core import settings as settings_mod
from harvest import oai
from harvest.encodings import CHARSET_NAMES
from transform import holdings
from vocab import licences
from vocab.tables import UI_LANGUAGES

ALLOWED = {
    "holdings profiles": holdings.PROFILES,
    "ISILs": settings_mod.Shape(holdings.ISIL, "an ISIL (such as NO-1902000: country or agency, hyphen, code)"),
    "character sets": CHARSET_NAMES,
    "granularities": (oai.DAY, oai.SECONDS),
    "interface languages": UI_LANGUAGES,
    "licences": licences.ids(),
}


def load(path: str | os.PathLike) -> settings_mod.Settings:
    """The settings in `path`, every value checked against its allowed set."""
    return settings_mod.load(path, allowed=ALLOWED)


def from_dict(data: dict, path=None) -> settings_mod.Settings:
    return settings_mod.from_dict(data, path=path, allowed=ALLOWED)
