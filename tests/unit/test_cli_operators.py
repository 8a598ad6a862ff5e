"""What an operator meets in the first minutes with the command line: a wrong config, `--config` after the
verb, a file with no record in it, an empty quarantine, a starter config, a database that does not answer.
Exit codes and messages are checked as a person (or a cron job) sees them."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import click
from click.testing import CliRunner
import pytest

from core.errors import ConfigError
from grenselos.cli import cli, main
from grenselos.starter_config import starter_config
from transform import setting_values

ROOT = Path(__file__).resolve().parents[2]


def grenselos(*args, cwd=None) -> subprocess.CompletedProcess:
    """The real command, as a shell runs it."""
    return subprocess.run([sys.executable, "-c", "import sys; from grenselos.cli import main; sys.exit(main())",
                           *args], capture_output=True, text=True, cwd=cwd or ROOT, timeout=120)


def call(capsys, *args) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = exc.code or 0
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def config(write_config, tmp_path):
    return write_config(f'data_dir = "{tmp_path / "data"}"\n[[sources]]\nid = "tromso"\nname = "Tromsø"\n'
                        'holdings = "koha-952"\n')


GOOD = ('<collection xmlns="http://www.loc.gov/MARC21/slim"><record><leader>00000nam a2200000 a 4500</leader>'
        '<controlfield tag="001">1</controlfield><controlfield tag="008">150101s2015    no            000 0 nob d'
        '</controlfield><datafield tag="245" ind1="0" ind2="0"><subfield code="a">Title</subfield></datafield>'
        '</record></collection>')


def _verbs(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _verbs(command, (*prefix, name))


def test_a_wrong_config_is_one_message_exit_2_no_traceback(write_config):
    path = write_config('[harvest]\ntimeot = 5\n[[sources]]\nid = "a"\nname = "A"\nholdings = "koha952"\n'
                        'granularity = "YYYY"\nencoding = "latin-99"\n')
    result = grenselos("status", "--config", str(path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"grenselos: {path}: 4 problems:")
    for expected in ("did you mean 'timeout'?", "did you mean 'koha-952'?", "did you mean 'YYYY-MM-DD'?",
                     "'latin-99' is not a character set Grenseløs reads"):
        assert expected in result.stderr


@pytest.mark.parametrize("verb", list(_verbs(cli)), ids=" ".join)
def test_config_is_accepted_after_every_verb(verb):
    result = CliRunner().invoke(cli, [*verb, "--config", "elsewhere.toml", "--help"])
    assert result.exit_code == 0, result.output


def test_config_after_the_verb_is_the_one_used(config, capsys, tmp_path):
    code, out, err = call(capsys, "status", "--config", str(config))
    assert code == 0, err
    assert out.splitlines()[1].startswith("tromso ")
    code, out, err = call(capsys, "cluster", "list", "--config", str(config))
    assert (code, out) == (0, "no clustering overrides\n"), err
    code, _, err = call(capsys, "status", "--config", str(tmp_path / "missing.toml"))
    assert code == 2 and "missing.toml: configuration file not found" in err


def test_import_of_a_file_with_no_record_fails(config, capsys, tmp_path):
    junk = tmp_path / "junk.mrc"
    junk.write_bytes(b"this is not MARC at all\x00\x01")
    code, out, err = call(capsys, "--config", str(config), "import", "--source", "tromso", str(junk))
    assert code == 1
    assert "0 records from 1 file(s)" in out
    assert f"grenselos: {junk}: no MARC record could be read" in err and "grenselos quarantine" in err
    empty = tmp_path / "empty.xml"
    empty.write_text('<collection xmlns="http://www.loc.gov/MARC21/slim"/>')
    code, _, err = call(capsys, "--config", str(config), "import", "--source", "tromso", str(empty))
    assert code == 1 and "holds nothing that looks like a record" in err


def test_import_of_a_good_file_still_succeeds(config, capsys, tmp_path):
    good = tmp_path / "good.xml"
    good.write_text(GOOD)
    code, out, err = call(capsys, "--config", str(config), "import", "--source", "tromso", str(good))
    assert code == 0, err
    assert "1 records from 1 file(s): 1 new" in out


def test_quarantine_says_when_empty_and_has_a_header(config, capsys, tmp_path):
    code, out, _ = call(capsys, "--config", str(config), "quarantine")
    assert (code, out) == (0, "no quarantined records\n")
    junk = tmp_path / "junk.mrc"
    junk.write_bytes(b"not marc")
    call(capsys, "--config", str(config), "import", "--source", "tromso", str(junk))
    code, out, _ = call(capsys, "--config", str(config), "quarantine")
    lines = out.splitlines()
    assert code == 0 and lines[0] == "source\tstage\tidentifier\tlocation\tcause"
    assert lines[1].startswith("tromso\timport\t-\tjunk.mrc:0\t")


def test_languages_without_report_flag_reports(config, capsys, tmp_path):
    good = tmp_path / "good.xml"
    good.write_text(GOOD)
    assert call(capsys, "--config", str(config), "import", "--source", "tromso", str(good))[0] == 0
    code, out, err = call(capsys, "--config", str(config), "languages", "--no-detect", "--json")
    assert code == 0, err
    assert "tromso" in json.loads(out)


@pytest.mark.parametrize("args", [("dump", "--source", "tromsø"), ("languages", "--source", "tromsø"),
                                  ("transform", "--source", "tromsø"), ("harvest", "--source", "tromsø"),
                                  ("import", "--source", "tromsø", __file__)])
def test_unknown_source_ids_are_refused(config, capsys, args):
    code, out, err = call(capsys, "--config", str(config), *args)
    assert code == 2
    assert "unknown source 'tromsø'; did you mean 'tromso'?" in err
    assert not (config.parent / "data" / "dumps").exists()


def test_dump_before_any_transform_says_what_to_run(config, capsys):
    code, _, err = call(capsys, "--config", str(config), "dump")
    assert code == 2
    assert err == f"grenselos: no graph store in {config.parent / 'data'} yet: `grenselos transform` makes it\n"


def test_command_line_values_are_checked_like_settings(config, capsys):
    code, _, err = call(capsys, "--config", str(config), "import", "--source", "tromso", "--encoding",
                        "latin-99", __file__)
    assert code == 2 and "did you mean 'latin9'?" in err
    code, _, err = call(capsys, "convert", "--base-uri", "data.grenselos.no", __file__)
    assert code == 2 and "'data.grenselos.no' is not an http:// or https:// URL" in err
    code, _, err = call(capsys, "convert", "--holdings", "koha952", __file__)
    assert code == 2 and "did you mean 'koha-952'?" in err
    for args in (("index", "--batch", "0"), ("apply", "--every", "0"), ("serve", "--port", "70000"),
                 ("solr", "init", "--shards", "0")):
        code, _, err = call(capsys, "--config", str(config), *args)
        assert code == 2 and "Invalid value" in err, args
    code, _, err = call(capsys, "--config", str(config), "languages", "--ui", "sme")
    assert code == 2 and "'sme' is not an interface language (nb, nn, se, en); did you mean 'se'?" in err
    code, out, _ = call(capsys, "--config", str(config), "languages", "--ui", "se")
    assert (code, out) == (0, "no records to report on\n")


def test_init_writes_a_starter_that_loads_and_keeps_an_existing_file(tmp_path, capsys):
    path = tmp_path / "grenselos.toml"
    code, out, _ = call(capsys, "init", str(path))
    assert code == 0 and f"wrote {path}" in out
    loaded = setting_values.load(path)
    assert loaded.sources == () and loaded.data_dir == tmp_path / "data"
    text = path.read_text(encoding="utf-8")
    assert "# holdings = \"marc-852\"" in text and "# timeout = 60" in text
    path.write_text("# mine\n")
    code, _, err = call(capsys, "init", str(path))
    assert code == 1 and "exists" in err and "--force" in err
    assert path.read_text() == "# mine\n"
    assert call(capsys, "init", "--force", str(path))[0] == 0
    assert path.read_text(encoding="utf-8") == text


def test_starter_examples_are_the_demos_sources_and_load_when_uncommented(tmp_path):
    text = starter_config()
    examples = text[text.index("# [[sources]]"):]
    uncommented = "\n".join(line[2:] for line in examples.splitlines() if line.startswith("# "))
    path = tmp_path / "grenselos.toml"
    path.write_text(uncommented, encoding="utf-8")
    loaded = setting_values.load(path)
    assert [s.id for s in loaded.sources] == ["tromso", "kautokeino", "alta-vgs", "nb", "ebok"]
    assert loaded.source("tromso").holdings == "koha-952"


def test_starter_lists_every_setting_with_its_default():
    parsed = tomllib.loads(starter_config())
    from core import settings
    assert set(parsed) == set(settings.SECTIONS)            # every section, no value set
    text = starter_config()
    for spec in (settings.TOP_LEVEL, settings.SOURCE, settings.SIP2_ACCOUNT, *settings.SECTIONS.values()):
        for s in spec:
            assert f"# {s.name} = " in text, s.name


def test_a_database_that_does_not_answer_is_one_line(write_config, tmp_path):
    path = write_config('database_url = "postgresql+psycopg://grenselos:secret@127.0.0.1:9/nowhere"\n')
    result = grenselos("--config", str(path), "status")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("grenselos: cannot open the record store postgresql+psycopg://grenselos:***@127.0.0.1:9/")
    assert "secret" not in line


def test_a_data_dir_that_cannot_be_made_is_one_line(write_config, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    path = write_config(f'data_dir = "{blocker / "data"}"\n')
    result = grenselos("--config", str(path), "status")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1 and "cannot open the record store" in result.stderr


def test_config_error_keeps_first_problem_for_callers():
    err = ConfigError("x must be y", table="[harvest]", key="x")
    assert err.problems[0].key == "x"


def test_cluster_list_has_a_header_over_its_overrides(config, capsys, tmp_path):
    good = tmp_path / "good.xml"
    good.write_text(GOOD)
    assert call(capsys, "--config", str(config), "import", "--source", "tromso", str(good))[0] == 0
    assert call(capsys, "--config", str(config), "transform", "-q")[0] == 0
    code, out, err = call(capsys, "--config", str(config), "cluster", "split", "tromso:1", "--note", "own work")
    assert code == 0, err
    code, out, _ = call(capsys, "cluster", "list", "--config", str(config))
    assert code == 0 and out.splitlines() == ["id\tkind\trecord\tnote", "#1\tsplit\ttromso:1\town work"]


def test_the_portal_refuses_a_config_file_named_but_missing(monkeypatch, tmp_path):
    from portal.app import load_settings
    monkeypatch.setenv("GRENSELOS_CONFIG", str(tmp_path / "grenselos.tmol"))
    with pytest.raises(ConfigError, match="grenselos.tmol: configuration file not found"):
        load_settings()
    monkeypatch.delenv("GRENSELOS_CONFIG")
    monkeypatch.chdir(tmp_path)
    assert load_settings().sources == ()                   # no file at all: the defaults, as before
