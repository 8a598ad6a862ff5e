"""Command-line values checked like the settings they stand for, and `--config` wherever it is typed.

An option that overrides a setting (`import --encoding`, `convert --holdings`) is checked against the same
allowed set, with the same "did you mean", so the command line is no back door for a value the file would
have refused.
"""

from __future__ import annotations

import click

from core import settings


def allowed(param, value, set_name: str):
    """A command-line value checked against the same allowed set as the setting it overrides
    (`set_name` as in `transform.setting_values.ALLOWED`)."""
    if value is None:
        return value
    from transform.setting_values import ALLOWED
    values = ALLOWED[set_name]
    if value not in values:
        raise click.BadParameter(f"{value!r} is not {settings.allowed_values(values)}"
                                 f"{settings.did_you_mean(value, values)}", param=param)
    return value


def http_url(param, value):
    if settings.not_http_url(value):
        raise click.BadParameter(f"{value!r} is not an http:// or https:// URL", param=param)
    return value.rstrip("/")


def ui_language(param, value):
    from vocab.tables import UI_LANGUAGES
    if value not in UI_LANGUAGES:
        raise click.BadParameter(f"{value!r} is not an interface language ({', '.join(UI_LANGUAGES)})"
                                 f"{settings.did_you_mean(value, UI_LANGUAGES)}", param=param)
    return value


def _config_after_verb(ctx, param, value):
    if value is not None:
        ctx.find_root().obj.config_path = value


def accept_config_everywhere(group: click.Group) -> None:
    """`--config` after the verb too (`grenselos status --config x.toml`), on every verb and sub-verb, so
    the option works wherever a person types it."""
    for command in group.commands.values():
        if not any(p.name == "config" for p in command.params):
            command.params.append(click.Option(
                ["--config"], expose_value=False, callback=_config_after_verb, metavar="FILE",
                help="Configuration file (TOML); the same as `grenselos --config FILE <verb>`."))
        if isinstance(command, click.Group):
            accept_config_everywhere(command)
