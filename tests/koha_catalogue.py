"""Tromsø's Koha sample (copies in 952) as a small catalogue for tests: its grenselos.toml, and its records
imported, transformed and indexed.

Several peer tests build this same catalogue; one place writes its configuration, so a new key or a changed
source is changed once for all of them.
"""

from __future__ import annotations

from pathlib import Path

from core import settings as settings_mod
from harvest.files import import_files
from harvest.store import RecordStore
from index.pipeline import index_changes
from transform.pipeline import run_transform

KOHA = "koha-misc4dev/koha_sample_biblios_with_952_items.marcxml"
BASE_URI = "http://data.grenselos.test"

TROMSO = '''[[sources]]
id = "tromso"
name = "Tromsø bibliotek"
municipality = "Tromsø"
isil = "NO-1902000"
holdings = "koha-952"
'''


def write_config(tmp_path: Path, db_url: str | None = None, tromso: str = "", more: str = "") -> Path:
    """tmp_path/grenselos.toml: data in tmp_path/data, records in `db_url` (the data folder's own SQLite
    database when None), the Tromsø source with the lines `tromso` added, then `more` (other sources)."""
    head = f'data_dir = "{tmp_path / "data"}"\n'
    if db_url:
        head += f'database_url = "{db_url}"\n'
    head += f'base_uri = "{BASE_URI}"\n\n'
    path = tmp_path / "grenselos.toml"
    path.write_text(head + TROMSO + tromso + ("\n" + more if more else ""), encoding="utf-8")
    return path


def build(path: Path, shared_data: Path, transform: bool = True):
    """The settings in `path` and a record store holding the Koha sample as Tromsø's records, transformed
    and indexed unless `transform` is false; the caller closes the store."""
    settings = settings_mod.load(path)
    store = RecordStore(settings.database_url)
    import_files(store, settings.source("tromso"), [shared_data / KOHA])
    if transform:
        run_transform(settings, store, progress=False)
        index_changes(settings, store)
    return settings, store
