"""The text steps a value pipe and a reading share (`clean`, `trim`, `first`, `code`): plain functions of
a list of values, with no conversion context.

Why a module of their own: `transform.readings` uses them, and the languages and cluster keys read
records through `readings`; `transform.steps` (which they would otherwise come from) stands on the
language graph, which stands on the languages, so taking them from there would close a cycle.
"""

from __future__ import annotations

import re

TRAILING = re.compile(r"[\s/:;,=+]+$")
KEEP_PERIOD = re.compile(r"(?:\b[A-ZÆØÅÄÖÜ]|\b(?:Jr|Sr|Dr|St|Mr|Mrs|etc|ed|eds|Co|Inc|Ltd|pp|p|cm|ill|"
                         r"illus|v|vol|vols|no|nr|bd|utg|opl|s|mm|min|col|ca|c|Ph\.D|i\.e|e\.g|jr|red|"
                         r"uitg|forl|Universitetsforl|dr|fig|sp|pl|nos|Bros|Corp|Univ|Dept|Ltd|d))\.$")


def clean_text(value: str) -> str:
    """Drop ISBD punctuation a field ends with (` /`, ` :`, `,`, a final period) but keep `Jr.`, `H.`."""
    value = TRAILING.sub("", value.strip())
    if value.endswith(".") and not value.endswith("..") and not KEEP_PERIOD.search(value):
        value = TRAILING.sub("", value[:-1])
    if value.startswith("[") and value.endswith("]") and value.count("[") == 1:
        value = value[1:-1]
    return value.strip()


def clean(values, env):
    return [clean_text(v) if isinstance(v, str) else v for v in values]


def trim(values, env):
    return [v.strip() if isinstance(v, str) else v for v in values]


def first(values, env):
    return values[:1]


def code(values, env):
    """A fixed-field code: blank, fill (`|`) and `u`-only values carry nothing."""
    out = []
    for v in values:
        v = v.strip().strip("|").strip()
        if v and v.strip("u"):
            out.append(v.lower())
    return out
