"""The librarian language report and `grenselos languages --report`, on a real store (SQLite and PostgreSQL)."""

import json
from pathlib import Path

from click.testing import CliRunner
from lxml import etree

from grenselos.cli import cli
from harvest import marcxml
from harvest.store import IncomingRecord
from transform.language_report import build_report, format_report

EXAMPLES = Path(__file__).resolve().parents[2] / "vocab" / "examples" / "illustrative-records.xml"


def load_examples(store, source="sami-lib"):
    root = etree.parse(str(EXAMPLES)).getroot()
    incoming = []
    for el in marcxml.find_records(root):
        text = marcxml.serialize(el)
        incoming.append(IncomingRecord(identifier=marcxml.inspect(el).control_number, marcxml=text,
                                       checksum=marcxml.checksum(text), datestamp="2026-01-01"))
    incoming.append(IncomingRecord(identifier="broken", marcxml="<record><leader>x", datestamp="2026-01-01"))
    incoming.append(IncomingRecord(identifier="gone", deleted=True, datestamp="2026-01-01"))
    store.upsert(source, incoming)


def test_report_counts_problems_and_suggestions(store):
    load_examples(store)
    report = build_report(store)
    entry = report["sami-lib"]
    assert entry["records"] == 9  # 8 examples + the unreadable one; the deleted record is not counted
    assert entry["unreadable"][0]["identifier"] == "broken"
    assert entry["problems"]["collective smi"] == 2
    assert entry["problems"]["missing"] == 2  # no 008 language; unknown code only
    assert entry["problems"]["contradicted by text"] == 2
    assert entry["unknown_codes"] == {"qqx": 1}
    assert entry["detected_by_language"] == {"sme": 2, "sms": 1, "nob": 1}
    assert entry["by_language"]["fkv"] == 1 and entry["by_language"]["nob"] == 1
    suggested = {s["identifier"]: s["suggested"] for s in entry["suggestions"]}
    assert suggested["ill-contradicted"] == "sme" and suggested["ill-kven-publisher"] == "fkv"
    text = format_report(report, "nb")
    assert "nordsamisk (sme)" in text and "ill-contradicted" in text and "unreadable broken" in text


def test_cli_languages_report_json_and_text(store, db_url, write_config):
    load_examples(store, "kvensk")
    config = write_config(f'data_dir = "data"\nbase_uri = "http://127.0.0.1:5000/"\ndatabase_url = "{db_url}"\n')
    runner = CliRunner()
    result = runner.invoke(cli, ["--config", str(config), "languages", "--report", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["kvensk"]["problems"]["collective smi"] == 2
    result = runner.invoke(cli, ["--config", str(config), "languages", "--report", "--no-detect", "--ui", "se"])
    assert result.exit_code == 0, result.output
    assert "== kvensk: 9 records" in result.output and "sámegielat (smi) 2" in result.output
    plain = runner.invoke(cli, ["--config", str(config), "languages", "--no-detect", "--ui", "se"])
    assert plain.exit_code == 0 and plain.output == result.output          # the report is what the verb does
