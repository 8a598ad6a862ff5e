"""`grenselos migrate mikromarc` as a library leaving Mikromarc runs it: dry run, apply, rerun, problems,
exit codes; on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from circulation.tables import loans, patrons
from core.db import engine_for
from grenselos.cli import cli
from harvest.tables import records
from transform.copies import copies

from tests.migration import make_files

CONFIG = """
database_url = "{url}"
data_dir = "data"
[[sources]]
id = "tromso"
name = "Tromsø bibliotek"
municipality = "Tromsø"
circulation = true
"""


@pytest.fixture
def setup(db_url, tmp_path, write_config):
    config = write_config(CONFIG.format(url=db_url))
    files = make_files.write_all(tmp_path / "export", copies=10, patrons=5, loans=3)
    return config, files, engine_for(db_url)


def run(config, *args):
    out = CliRunner().invoke(cli, ["--config", str(config), "migrate", "mikromarc", "--library", "tromso",
                                   "--report", str(config.parent / "report.html"), *args], catch_exceptions=False)
    return out


def counts(engine) -> tuple:
    with engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar() for t in (records, copies, patrons, loans))


def test_dry_run_then_apply_then_rerun(setup):
    config, files, engine = setup
    args = [str(files["marc21"]), str(files["normarc"]), "--patrons", str(files["patrons"]),
            "--loans", str(files["loans"])]
    dry = run(config, *args, "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.output)
    assert report["counts"]["records"] == 6 and report["counts"]["copies"] == 11
    assert report["counts"]["patrons_new"] == 5 and report["counts"]["loans"] == 3
    assert counts(engine) == (0, 0, 0, 0)                         # a dry run writes nothing
    assert "dry run" in (config.parent / "report.html").read_text(encoding="utf-8")
    applied = run(config, *args)
    assert applied.exit_code == 0, applied.output
    assert counts(engine) == (6, 11, 5, 3)
    with engine.connect() as conn:
        due = conn.execute(select(loans.c.due_date).where(loans.c.barcode == "M0000010")).scalar()
        normarc = conn.execute(select(copies).where(copies.c.item_id == "N0000010")).first()
        stored = conn.execute(select(records.c.marcxml).where(records.c.identifier == "N1")).scalar()
    assert 'tag="500"' in stored and "Originaltittel" in stored               # NORMARC 574 as a MARC 21 note
    assert 'tag="019"' not in stored and 'tag="096"' not in stored and 'tag="876"' in stored
    assert due.isoformat() == "2027-01-02"                         # the export's due date, not re-dated
    assert normarc.location == "Barn" and normarc.call_number == "Eve" and normarc.library == "tromso"
    again = run(config, *args, "--json")
    assert again.exit_code == 0
    assert counts(engine) == (6, 11, 5, 3)
    assert json.loads(again.output)["counts"]["records_written"] == 0
    assert json.loads(again.output)["counts"]["loans_written"] == 0


def test_every_problem_kind_is_reported_with_card_and_barcode(setup, tmp_path):
    config, files, engine = setup
    make_files.broken(tmp_path / "broken.iso")
    (tmp_path / "p.csv").write_text("card,pin,name,email,library,category\n,1234,No Card,,tromso,adult\n"
                                    "L0000001,1234,Kari,,tromso,adult\n", encoding="utf-8")
    (tmp_path / "l.csv").write_text("card,barcode,due_date\nL0000001,M0000010,2027-02-01\n"
                                    "L9999999,M0000020,2027-02-01\nL0000001,NOPE,2027-02-01\n"
                                    "L0000001,M0000030,soon\n", encoding="utf-8")
    out = run(config, str(files["marc21"]), str(files["marc21"]), str(files["normarc"]), str(tmp_path / "broken.iso"),
              "--patrons", str(tmp_path / "p.csv"), "--loans", str(tmp_path / "l.csv"), "--dry-run", "--json")
    assert out.exit_code == 1
    problems = json.loads(out.output)["problems"]
    assert set(problems) == {"broken_record", "duplicate_barcode", "normarc_unmapped", "patron_without_card",
                             "loan_unknown_patron", "loan_unknown_copy", "loan_bad_row"}
    assert problems["broken_record"]["count"] == 2
    assert problems["loan_unknown_patron"]["examples"][0]["card"] == "L9999999"
    assert problems["loan_unknown_patron"]["examples"][0]["barcode"] == "M0000020"
    assert problems["loan_unknown_copy"]["examples"][0]["barcode"] == "NOPE"
    assert "019" in problems["normarc_unmapped"]["examples"][0]["why"]
    text = run(config, str(files["marc21"]), str(files["marc21"]), "--dry-run")
    assert text.exit_code == 1 and "Duplicate barcodes" in text.output and "barcode M0000010" in text.output
    assert "Duplicate barcodes" in (config.parent / "report.html").read_text(encoding="utf-8")
    assert counts(engine) == (0, 0, 0, 0)
    applied = run(config, str(files["marc21"]), "--patrons", str(tmp_path / "p.csv"), "--loans", str(tmp_path / "l.csv"))
    assert applied.exit_code == 1 and counts(engine)[1:] == (10, 1, 1)     # the good rows went in


def test_nothing_could_run(setup, tmp_path):
    config, files, _ = setup
    (tmp_path / "l.csv").write_text("who,what\n1,2\n", encoding="utf-8")
    assert run(config, "--loans", str(tmp_path / "l.csv")).exit_code == 2
    wrong = CliRunner().invoke(cli, ["--config", str(config), "migrate", "mikromarc", "--library", "nowhere",
                                     str(files["marc21"])])
    assert wrong.exit_code == 2
    assert run(config).exit_code == 2
