from pathlib import Path

import pytest

from core import settings
from core.errors import ConfigError

GOOD = """
data_dir = "data"
base_uri = "https://grenselos.example/"

[harvest]
timeout = 5

[[sources]]
id = "tromso"
name = "Tromsø bibliotek og byarkiv"
isil = "NO-1902000"
kind = "public"
municipality = "Tromsø"
oai_url = "http://127.0.0.1:8001/oai"
metadata_prefix = "marcxchange"
holdings = "marcxchange-holdings"
"""


def test_good_config_gives_sources_and_resolves_data_dir(write_config):
    path = write_config(GOOD)
    s = settings.load(path)
    assert s.data_dir == path.parent / "data"
    assert s.base_uri == "https://grenselos.example"
    assert s.harvest.timeout == 5
    assert s.source("tromso").isil == "NO-1902000"
    assert s.database_url == f"sqlite:///{path.parent / 'data' / 'records.sqlite'}"


@pytest.mark.parametrize("text, table, key", [
    ('colour = "red"', "", "colour"),
    ('[harvest]\ntimeot = 5', "[harvest]", "timeot"),
    ('[[sources]]\nname = "x"', "[[sources]] #1", "id"),
    ('[[sources]]\nid = "a"\nname = "A"\nkind = "university"', "[[sources]] #1 (id 'a')", "kind"),
    ('[[sources]]\nid = "a"\nname = "A"\nreports_deletes = "no"', "[[sources]] #1 (id 'a')", "reports_deletes"),
    ('[staff]\nidle_minutes = 0', "[staff]", "idle_minutes"),
    ('[portal]\nsecure_cookies = "yes"', "[portal]", "secure_cookies"),
])
def test_config_errors_name_file_table_and_key(write_config, text, table, key):
    path = write_config(text)
    with pytest.raises(ConfigError) as err:
        settings.load(path)
    assert err.value.table == table and err.value.key == key
    assert str(path) in str(err.value)


def test_unknown_source_lists_configured_ones(write_config):
    s = settings.load(write_config(GOOD))
    with pytest.raises(ConfigError, match="configured: tromso"):
        s.source("alta")


def test_database_url_from_environment(write_config, monkeypatch):
    monkeypatch.setenv("GRENSELOS_DB", "postgresql+psycopg://u@h/db")
    s = settings.load(write_config('database_url_env = "GRENSELOS_DB"'))
    assert s.database_url == "postgresql+psycopg://u@h/db"


def test_every_setting_is_in_the_reference():
    ref = settings.reference()
    for spec in (settings.TOP_LEVEL, settings.HARVEST, settings.SEARCH, settings.SOURCE):
        for s in spec:
            assert f"`{s.name}`" in ref
