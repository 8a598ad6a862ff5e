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


def _environment_variables() -> set[str]:
    """Every GRENSELOS_* name the code and the shipped configuration read (string constants, so a name held
    in a module constant counts too), and those the test fixtures read."""
    import ast
    root = Path(__file__).resolve().parents[2]
    files = [f for package in ("core", "vocab", "libraries", "accounts", "harvest", "transform", "index",
                               "circulation", "lists", "portal", "grenselos", "deploy")
             for f in (root / package).rglob("*.py")] + [root / "tests" / "conftest.py"]
    names = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                    node.value.startswith("GRENSELOS_") and node.value.isupper() and " " not in node.value:
                names.add(node.value)
    return names - {"GRENSELOS_SETTINGS"}          # the Flask config key of the loaded settings, not the environment


def test_every_environment_variable_is_documented():
    names = _environment_variables()
    assert {"GRENSELOS_CONFIG", "GRENSELOS_SECRET_KEY", "GRENSELOS_SHARED"} <= names
    missing = sorted(name for name in names if f"`{name}`" not in README and f"{name}=" not in README)
    assert not missing, f"environment variables missing from README.md: {missing}"


def test_readme_says_what_setup_installs_and_how_to_run_it_for_real():
    for fact in ("apt-get", "root", "Maven Central", "axe-core", "Chromium", "../shared/data", "## Running it for real",
                 "gunicorn", "**Backups.**", "grenselos rebuild", "**Upgrades**", "grenselos init"):
        assert fact in README, fact
    units = sorted(p.name for p in (Path(__file__).resolve().parents[2] / "deploy" / "systemd").iterdir())
    assert all(unit.removesuffix(".service").removesuffix(".timer") in README for unit in units), units
