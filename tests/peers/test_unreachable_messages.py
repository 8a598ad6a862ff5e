"""A server that does not answer is said once, in one line: not urllib3's text repeated at every level of
wrapping ("HTTPConnectionPool(...): Max retries exceeded ... (Caused by NewConnectionError(...))")."""

from __future__ import annotations

import socket

import pysolr
import pytest
import requests

from core.errors import reason
from grenselos.cli import main


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


NOISE = ("HTTPConnectionPool", "Max retries", "NewConnectionError", "Caused by", "object at 0x")


def test_reason_goes_to_the_innermost_cause(closed_port):
    with pytest.raises(requests.ConnectionError) as err:
        requests.get(f"http://127.0.0.1:{closed_port}/oai", timeout=5)
    assert reason(err.value) == "connection refused"
    with pytest.raises(pysolr.SolrError) as err:
        pysolr.Solr(f"http://127.0.0.1:{closed_port}/solr/g", timeout=5).search("*:*")
    assert reason(err.value) == "connection refused"
    with pytest.raises(requests.ConnectionError) as err:
        requests.get("http://grenselos-no-such-host.invalid/oai", timeout=5)
    assert reason(err.value).startswith("host name not found")


def test_harvest_of_an_unreachable_provider_says_it_once(write_config, tmp_path, closed_port, capsys):
    config = write_config(f'data_dir = "{tmp_path / "data"}"\n[harvest]\nmax_retries = 0\ntimeout = 5\n'
                          f'[[sources]]\nid = "x"\nname = "X"\noai_url = "http://127.0.0.1:{closed_port}/oai"\n')
    with pytest.raises(SystemExit) as exit_:
        main(["--config", str(config), "harvest", "-q"])
    assert exit_.value.code == 1
    out = capsys.readouterr()
    [line] = out.out.splitlines()
    assert line.startswith("x: FAILED")
    assert line.endswith(f"error: http://127.0.0.1:{closed_port}/oai?verb=Identify: gave up after 1 attempts; "
                         "last: connection failed: connection refused")
    assert not any(noise in out.out + out.err for noise in NOISE)


def test_status_with_an_unreachable_solr_says_it_once(write_config, tmp_path, closed_port, capsys):
    import json
    config = write_config(f'data_dir = "{tmp_path / "data"}"\n[search]\nsolr_url = '
                          f'"http://127.0.0.1:{closed_port}/solr/g"\n[[sources]]\nid = "x"\nname = "X"\n')
    # a store that has met the transform stage, so status compares it with the index
    assert main(["--config", str(config), "quarantine"]) == 0
    from harvest.store import RecordStore
    from transform.pipeline import run_transform
    from transform import setting_values
    settings = setting_values.load(config)
    store = RecordStore.from_settings(settings)
    run_transform(settings, store, progress=False)
    store.close()
    capsys.readouterr()
    assert main(["--config", str(config), "status", "--json"]) == 0
    entry = json.loads(capsys.readouterr().out)["x"]
    assert entry["index_error"] == (f"no Solr node answers (search): "
                                    f"http://127.0.0.1:{closed_port}/solr/g: connection refused")


def test_a_metadata_prefix_the_provider_refuses_names_what_it_offers(write_config, tmp_path, capsys):
    """The allowed prefixes are the provider's, so they are known only when it answers: then they are said."""
    from harvest.loopback import LoopbackRecord, serve
    record = ('<record xmlns="http://www.loc.gov/MARC21/slim"><leader>00000nam a2200000 a 4500</leader>'
              '<controlfield tag="001">1</controlfield></record>')
    provider = serve([LoopbackRecord("oai:x:1", "2026-01-01T00:00:00Z", record)])
    try:
        config = write_config(f'data_dir = "{tmp_path / "data"}"\n[[sources]]\nid = "x"\nname = "X"\n'
                              f'oai_url = "{provider.url}"\nmetadata_prefix = "marc-21"\n')
        with pytest.raises(SystemExit) as exit_:
            main(["--config", str(config), "harvest", "-q"])
    finally:
        provider.stop()
    assert exit_.value.code == 1
    line = capsys.readouterr().out
    assert line.rstrip().endswith("cannotDisseminateFormat: metadataPrefix 'marc-21' is not served (the provider "
                                  "offers marc21, marcxchange: set metadata_prefix of source 'x'; did you mean "
                                  "'marc21'?)")


def test_reason_keeps_an_unrelated_error_raised_while_handling_another():
    try:
        try:
            raise ValueError("first")
        except ValueError:
            raise KeyError("the real one")
    except KeyError as exc:
        assert reason(exc) == "'the real one'"
