"""Every value of grenselos.toml is checked when the file is read, against its allowed set, and every
problem of a file is reported at once, with the nearest allowed value."""

from __future__ import annotations

import pytest

from core import settings
from core.errors import ConfigError
from transform import holdings, setting_values

SOURCE = '[[sources]]\nid = "x"\nname = "X"\n'

BAD = """
base_uri = "localhost:5000"
[harvest]
timeot = 5
max_retries = -1
[sparql]
workers = 0
[[sources]]
id = "x"
name = "X"
holdings = "koha952"
granularity = "YYYY"
encoding = "latin-99"
kind = "publc"
oai_url = "ftp://x"
"""


def test_every_problem_is_reported_at_once_with_table_key_and_nearest_value(write_config):
    path = write_config(BAD)
    with pytest.raises(ConfigError) as err:
        setting_values.load(path)
    problems = {(p.table, p.key): p.message for p in err.value.problems}
    source = "[[sources]] #1 (id 'x')"
    assert set(problems) == {("top level", "base_uri"), ("[harvest]", "timeot"), ("[harvest]", "max_retries"),
                             ("[sparql]", "workers"), (source, "holdings"), (source, "granularity"),
                             (source, "encoding"), (source, "kind"), (source, "oai_url")}
    assert "did you mean 'koha-952'?" in problems[source, "holdings"]
    assert "koha-952, marc-852, marcxchange-holdings" in problems[source, "holdings"]
    assert "did you mean 'YYYY-MM-DD'?" in problems[source, "granularity"]
    assert "'latin-99' is not a character set Grenseløs reads (utf-8, marc-8" in problems[source, "encoding"]
    assert "did you mean 'public'?" in problems[source, "kind"]
    assert "did you mean 'timeout'?" in problems["[harvest]", "timeot"]
    text = str(err.value)
    assert text.startswith(f"{path}: 9 problems:")
    assert all(message in text for message in problems.values())


@pytest.mark.parametrize("line", ['holdings = "koha-952"', 'holdings = "marcxchange-holdings"', 'encoding = "cp1251"',
                                  'encoding = "MARC-8"', 'encoding = "iso8859-1"', 'encoding = ""',
                                  'granularity = "YYYY-MM-DDThh:mm:ssZ"', 'granularity = ""',
                                  'oai_url = "https://x.example/oai"', 'isil = "NO-1902000"', 'isil = ""'])
def test_allowed_values_load(write_config, line):
    setting_values.load(write_config(SOURCE + line + "\n"))


@pytest.mark.parametrize("text, table, key", [
    ("[harvest]\ntimeout = 0", "[harvest]", "timeout"),
    ("[harvest]\nbackoff = -1", "[harvest]", "backoff"),
    ("[search]\nfacet_cache_seconds = -5", "[search]", "facet_cache_seconds"),
    ('[search]\nsolr_url = "localhost:8983/solr/g"', "[search]", "solr_url"),
    ('[search]\nsolr_urls = ["http://a:8983/solr/g", "b:8983/solr/g"]', "[search]", "solr_urls"),
    ("[sparql]\nmax_rows = 0", "[sparql]", "max_rows"),
    ("[sparql]\nper_client = 0", "[sparql]", "per_client"),
    ("[oai]\npage_size = 0", "[oai]", "page_size"),
    ('database_url = "not a url"', "top level", "database_url"),
    ('[oai]\nadmin_email = "postmaster"', "[oai]", "admin_email"),
    (SOURCE + 'isil = "NO1902000"', "[[sources]] #1 (id 'x')", "isil"),
])
def test_numbers_in_range_and_urls(write_config, text, table, key):
    with pytest.raises(ConfigError) as err:
        setting_values.load(write_config(text))
    assert (err.value.table, err.value.key) == (table, key)


def test_database_url_env_naming_an_unset_variable_is_refused(write_config, monkeypatch):
    monkeypatch.delenv("GRENSELOS_TEST_NOT_SET", raising=False)
    with pytest.raises(ConfigError, match="GRENSELOS_TEST_NOT_SET, which is not set") as err:
        settings.load(write_config('database_url_env = "GRENSELOS_TEST_NOT_SET"'))
    assert err.value.key == "database_url_env"
    fallback = settings.load(write_config('database_url_env = "GRENSELOS_TEST_NOT_SET"\n'
                                          'database_url = "sqlite:///x.sqlite"'))
    assert fallback.database_url == "sqlite:///x.sqlite"


def test_every_named_set_is_provided_and_documented():
    named = {s.allowed for spec in (settings.TOP_LEVEL, settings.SOURCE, *settings.SECTIONS.values())
             for s in spec if s.allowed}
    assert named == set(setting_values.ALLOWED)
    [holdings_setting] = [s for s in settings.SOURCE if s.name == "holdings"]
    assert holdings_setting.default in holdings.PROFILES
    assert all(profile in holdings_setting.help for profile in holdings.PROFILES)


def test_unknown_source_suggests_the_nearest(write_config):
    s = setting_values.load(write_config('[[sources]]\nid = "tromso"\nname = "T"\n'))
    with pytest.raises(ConfigError, match=r"unknown source 'tromsø'; did you mean 'tromso'\? \(configured: tromso\)"):
        s.source("tromsø")
