"""Documentation grows with the code: every setting and every CLI verb is in the README."""

from pathlib import Path

import click

from core import settings
from grenselos.cli import cli

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def _verbs(group: click.Group, prefix: str = ""):
    for name, command in group.commands.items():
        yield f"{prefix}{name}"
        if isinstance(command, click.Group):
            yield from _verbs(command, f"{prefix}{name} ")


def test_settings_reference_in_readme_is_current():
    start, end = "<!-- settings-reference:start -->", "<!-- settings-reference:end -->"
    block = README[README.index(start) + len(start):README.index(end)].strip()
    assert block == settings.reference().strip(), "run: grenselos settings, and paste it into README.md"


def test_every_cli_verb_is_documented():
    missing = [verb for verb in _verbs(cli) if f"grenselos {verb}" not in README]
    assert not missing, f"CLI verbs missing from README.md: {missing}"


def test_readme_opens_with_the_two_commands():
    commands = [line for line in README.splitlines()[:8] if line.startswith("./scripts/")]
    assert [c.split()[0] for c in commands] == ["./scripts/demo.sh", "./scripts/test.sh"]
    ci = (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text()
    assert "./scripts/test.sh" in ci
