"""The starter grenselos.toml that `grenselos init` writes: the way from the demo to one's own libraries.

It is generated from the settings tables (core/settings.py), as the README's reference is, so it never
drifts from what the loader accepts: every key with its help and default, commented out, and the demo's
sources as commented examples. A test loads the generated file.
"""

from __future__ import annotations

import json
import textwrap

from core import settings as settings_mod
from grenselos.demo import source_tables

HEADER = """\
# grenselos.toml: the configuration of one Grenseløs installation.
#
# Every key is listed with its meaning and default, commented out: uncomment a line and change it where your
# installation differs. `grenselos settings` prints the same reference; a wrong key or value is refused when
# the file is read, naming the table and key. Secrets do not belong here: the database password goes in the
# environment variable `database_url_env` names, the portal's key in GRENSELOS_SECRET_KEY.
#
# Next steps: add a [[sources]] table per library (examples at the end), then
#   grenselos run      # harvest, transform and index
#   grenselos serve    # the portal on http://127.0.0.1:5000
"""


def _value(value) -> str:
    """A TOML literal for a default (strings, numbers, booleans and lists are all the tables hold)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def _setting(setting: settings_mod.Setting) -> list[str]:
    lines = ["#"] + textwrap.wrap(settings_mod.meaning(setting), width=100, initial_indent="# ",
                                  subsequent_indent="# ")
    if setting.required:
        return lines + [f"# {setting.name} = ...    (required)"]
    return lines + [f"# {setting.name} = {_value(setting.default)}"]


def starter_config() -> str:
    lines = [HEADER]
    for setting in settings_mod.TOP_LEVEL:
        lines += _setting(setting)
    for name, spec in settings_mod.SECTIONS.items():
        lines += ["", f"[{name}]"]
        for setting in spec:
            lines += _setting(setting)
    lines += ["", "# -- SIP2 kiosks: one [[sip2.accounts]] table per self-service kiosk or door system login.",
              "# Keys of an account:"]
    for setting in settings_mod.SIP2_ACCOUNT:
        lines += _setting(setting)
    lines += ["", "# -- Inter-library loan: one [[ncip.peers]] table per library outside the county that lends to",
              "# or borrows from us over NCIP (NNCIPP 1.0). Keys of a peer:"]
    for setting in settings_mod.NCIP_PEER:
        lines += _setting(setting)
    lines += ["", "# -- Sources: one [[sources]] table per library or service harvested (or imported).",
              "# Keys of a source:"]
    for setting in settings_mod.SOURCE:
        lines += _setting(setting)
    lines += ["#", "# The demo's sources, as examples (their OAI-PMH URLs are placeholders: the demo serves them",
              "# on loopback ports of its own):"]
    for table in source_tables(lambda library: f"https://{library.id}.example.org/oai"):
        lines += ["#", "# [[sources]]"] + [f"# {key} = {_value(value)}" for key, value in table.items()]
    return "\n".join(lines) + "\n"
