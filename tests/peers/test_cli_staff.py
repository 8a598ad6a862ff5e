"""`grenselos staff …` through the real command line (a subprocess, so standard input is really a pipe),
on SQLite and PostgreSQL: the account it makes signs in, and what it does is audited as `cli`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from accounts.store import Accounts
from core import settings as settings_mod
from grenselos.cli import cli

GRENSELOS = Path(sys.executable).with_name("grenselos")
PASSWORD = "a long enough password"


@pytest.fixture
def config(write_config, tmp_path, db_url):
    return write_config(f'''
data_dir = "{tmp_path / 'data'}"
database_url = "{db_url}"

[[sources]]
id = "kautokeino"
name = "Guovdageainnu girjerájus"

[[sources]]
id = "tromso"
name = "Tromsø bibliotek"
''')


def grenselos(config, *args, stdin: str = ""):
    return subprocess.run([str(GRENSELOS), "--config", str(config), "staff", *args], input=stdin,
                          capture_output=True, text=True, timeout=120)


def run(config, *args, stdin: str = ""):
    return CliRunner().invoke(cli, ["--config", str(config), "staff", *args], input=stdin, catch_exceptions=False)


@pytest.fixture
def accounts(config):
    settings = settings_mod.load(config)
    store = Accounts.open(settings.database_url, settings.staff)
    yield store
    store.engine.dispose()


def test_staff_add_reads_the_password_from_standard_input(config, accounts):
    done = grenselos(config, "add", "ann", "--library", "kautokeino", "--role", "librarian", stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert "added ann (librarian at kautokeino)" in done.stdout
    assert accounts.authenticate("ann", PASSWORD).ok                     # the line break is not part of it
    assert not accounts.authenticate("ann", PASSWORD + "\n").ok


def test_staff_add_refuses_a_short_password_an_unknown_library_and_a_duplicate(config):
    short = grenselos(config, "add", "ann", "--library", "kautokeino", "--role", "librarian", stdin="short\n")
    assert short.returncode != 0 and "at least 12 characters" in short.stderr
    unknown = grenselos(config, "add", "ann", "--library", "atlantis", "--role", "librarian", stdin=PASSWORD)
    assert unknown.returncode != 0 and "unknown library 'atlantis'" in unknown.stderr
    assert grenselos(config, "add", "ann", "--library", "tromso", "--role", "county-admin",
                     stdin=PASSWORD).returncode == 0
    again = grenselos(config, "add", "ann", "--library", "tromso", "--role", "librarian", stdin=PASSWORD)
    assert again.returncode != 0 and "already a user 'ann'" in again.stderr
    bad_role = grenselos(config, "add", "bob", "--library", "tromso", "--role", "boss", stdin=PASSWORD)
    assert bad_role.returncode != 0 and "librarian" in bad_role.stderr


def test_list_disable_enable_password_totp_and_tokens(config, accounts):
    run(config, "add", "ann", "--library", "kautokeino", "--role", "librarian", stdin=PASSWORD + "\n")
    run(config, "add", "bo", "--library", "tromso", "--role", "library-admin", stdin=PASSWORD + "\n")
    listed = json.loads(run(config, "list", "--json").output)
    assert [(u["username"], u["library"], u["role"], u["disabled"]) for u in listed] == [
        ("ann", "kautokeino", "librarian", False), ("bo", "tromso", "library-admin", False)]
    assert run(config, "list", "--library", "tromso").output.startswith("bo\ttromso\tlibrary-admin\tactive")
    assert run(config, "disable", "ann").exit_code == 0 and not accounts.authenticate("ann", PASSWORD).ok
    assert "disabled" in run(config, "list", "--library", "kautokeino").output
    assert run(config, "enable", "ann").exit_code == 0 and accounts.authenticate("ann", PASSWORD).ok
    assert run(config, "password", "ann", stdin="another long password\n").exit_code == 0
    assert accounts.authenticate("ann", "another long password").ok and not accounts.authenticate("ann", PASSWORD).ok
    uri = run(config, "totp", "ann").output.strip()
    assert uri.startswith("otpauth://totp/Grensel%C3%B8s:ann?secret=") and accounts.get("ann").totp
    token = run(config, "token", "create", "ann", "--name", "nightly").output.strip()
    assert token.startswith("gls_") and accounts.principal_for_token(token).username == "ann"
    [entry] = json.loads(run(config, "token", "list", "ann", "--json").output)
    assert entry["name"] == "nightly" and token not in json.dumps(entry)
    assert run(config, "token", "revoke", "ann", str(entry["id"])).exit_code == 0
    assert accounts.principal_for_token(token) is None
    assert run(config, "token", "revoke", "ann", str(entry["id"])).exit_code != 0
    assert run(config, "disable", "nobody").exit_code != 0


def test_what_the_command_line_does_is_audited_as_cli(config, accounts):
    run(config, "add", "ann", "--library", "kautokeino", "--role", "librarian", stdin=PASSWORD + "\n")
    run(config, "disable", "ann")
    from accounts.audit import recent
    with accounts.engine.connect() as conn:
        events = recent(conn, ["kautokeino"])
    assert [(e["event"], e["principal"], e["target"]) for e in events] == [("user_disabled", "cli", "ann"),
                                                                           ("user_added", "cli", "ann")]


def test_the_demo_makes_a_librarian_with_a_new_random_password_each_run(config, accounts):
    from grenselos.demo import staff_user
    settings = settings_mod.load(config)
    said = []
    user, first = staff_user(settings, say=said.append)
    assert user == "demo-librarian" and len(first) >= 16 and first in said[0] and user in said[0]
    assert accounts.authenticate(user, first).principal.library == "kautokeino"
    _, second = staff_user(settings, say=said.append)
    assert second != first and accounts.authenticate(user, second).ok and not accounts.authenticate(user, first).ok
