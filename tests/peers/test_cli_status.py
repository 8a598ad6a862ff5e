"""`grenselos import` and `grenselos status --json` through the real command line, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from grenselos.cli import cli


@pytest.fixture
def config(write_config, tmp_path, db_url):
    return write_config(f'''
data_dir = "{tmp_path / 'data'}"
database_url = "{db_url}"

[[sources]]
id = "tromso"
name = "Tromsø bibliotek"
isil = "NO-1902000"
municipality = "Tromsø"
holdings = "koha-952"

[[sources]]
id = "alta"
name = "Alta bibliotek"
encoding = "cp866"
''')


def run(config, *args):
    result = CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)
    return result


def test_import_then_status_json(config, shared_data, tmp_path):
    bad = shared_data / "marc4j/bad_oversize_field_bad_directory.mrc"       # 4 good records + 1 unreadable
    deleted = tmp_path / "deleted.mrc"
    data = bytearray((shared_data / "marc4j/chabon.mrc").read_bytes())
    data[5:6] = b"d"
    deleted.write_bytes(bytes(data))                                        # 1 deleted + 1 live record
    started = datetime.now(timezone.utc) - timedelta(seconds=5)
    result = run(config, "import", "--source", "tromso", str(bad), str(deleted))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ("tromso: 6 records from 2 file(s): 6 new, 0 changed, 0 unchanged, "
                                     "1 deleted, 1 quarantined (1 unreadable)")
    result = run(config, "status", "--json")
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert {k: status["tromso"][k] for k in ("records", "deleted", "quarantined")} == {
        "records": 5, "deleted": 1, "quarantined": 1}
    stamp = datetime.fromisoformat(status["tromso"]["last_harvest"])
    assert stamp.tzinfo is not None and stamp >= started
    assert status["alta"] == {**status["alta"], "records": 0, "deleted": 0, "quarantined": 0,
                              "last_harvest": None}
    # Re-running the same import changes nothing.
    again = run(config, "import", "--source", "tromso", str(bad), str(deleted))
    assert "0 new, 0 changed, 6 unchanged" in again.output
    assert json.loads(run(config, "status", "--json").output)["tromso"]["quarantined"] == 1


def test_source_encoding_from_config_and_quarantine_listing(config, shared_data):
    result = run(config, "import", "--source", "alta", str(shared_data / "ruby-marc/cp866_unimarc.marc"))
    assert result.exit_code == 0 and "alta: 1 records" in result.output
    result = run(config, "import", "--source", "alta", str(shared_data / "marc-perl/marc-charset/t/farsi.marc"))
    assert "1 quarantined (1 unreadable)" in result.output
    listing = run(config, "quarantine").output
    assert "alta\timport\t-\tfarsi.marc:0\tfarsi.marc:0, record 1: farsi.marc is neither ISO 2709 nor MARCXML" in listing
    status = json.loads(run(config, "status", "--json").output)["alta"]
    assert (status["records"], status["quarantined"]) == (0, 2)    # the cp866 record carries a warning


def test_unknown_source_and_code_page_are_clear_errors(config, shared_data):
    from grenselos.cli import main
    path = str(shared_data / "marc4j/chabon.mrc")
    assert main(["--config", str(config), "import", "--source", "nowhere", path]) == 2
    assert main(["--config", str(config), "import", "--source", "alta", "--encoding", "cp9999", path]) == 2
