"""The wording of notices: the shipped defaults (`notice_templates/<kind>.toml`, one table per language), a
library's own overrides (`notice_templates` rows), and rendering them for one patron.

Templates are Jinja2 in a sandbox: library staff write them, so a template may read the values it is given
and nothing else (no attribute walks to Python internals), and the HTML part is autoescaped, so a title or
a name with `<` in it stays text. Subject, plain text and SMS are rendered without escaping (they are not
HTML). A template that does not parse is refused when it is saved, and checked again when a notice is
rendered: a notice never goes out half-rendered.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from jinja2 import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from sqlalchemy import delete, insert, select, update

from circulation.notice_tables import KINDS, PARTS, notice_templates
from core.errors import GrenselosError

LANGUAGES = ("nb", "nn", "se", "en")
DEFAULT_LANGUAGE = "nb"
_DIR = Path(__file__).with_name("notice_templates")
_HTML = ImmutableSandboxedEnvironment(autoescape=True, keep_trailing_newline=False)
_TEXT = ImmutableSandboxedEnvironment(autoescape=False, keep_trailing_newline=False)
#: The longest template a library may store (a notice, not a newsletter).
MAX_LENGTH = 8000

#: What each kind's templates are given besides patron, library and portal: staff see it on the page,
#: and the preview fills it with these examples.
EXAMPLES = {
    "hold_ready": {"title": "Čáppa girji", "pickup": "Kautokeino bibliotek", "pickup_number": "17",
                   "expires": "2026-12-14", "route": "", "route_kind": "", "arrives": ""},
    "due_soon": {"title": "Čáppa girji", "barcode": "03010012345", "due_date": "2026-12-09"},
    "overdue": {"title": "Čáppa girji", "barcode": "03010012345", "due_date": "2026-11-20", "step": 1,
                "days_overdue": 3},
    "claim": {"title": "Čáppa girji", "barcode": "03010012345", "due_date": "2026-10-01", "amount": 350},
}


class TemplateProblem(GrenselosError):
    """A notice template that does not parse or render: said with the part and Jinja2's own words."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    sms: str
    language: str


@lru_cache(maxsize=None)
def defaults(kind: str) -> dict[str, dict[str, str]]:
    """The shipped templates of a kind: language → part → source."""
    with (_DIR / f"{kind}.toml").open("rb") as fh:
        return tomllib.load(fh)


def language_of(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def overrides(conn, library: str, kind: str | None = None) -> dict[tuple[str, str, str], str]:
    """A library's own templates: (kind, language, part) → source."""
    query = select(notice_templates).where(notice_templates.c.library == library)
    if kind is not None:
        query = query.where(notice_templates.c.kind == kind)
    return {(r.kind, r.language, r.part): r.body for r in conn.execute(query)}


def effective(conn, library: str, kind: str, language: str, cache: dict | None = None) -> dict[str, str]:
    """The parts a notice of `kind` in `language` is written from: the library's override, else the default."""
    language = language_of(language)
    if cache is not None and (library, kind) in cache:
        own = cache[(library, kind)]
    else:
        own = overrides(conn, library, kind)
        if cache is not None:
            cache[(library, kind)] = own
    shipped = defaults(kind)[language]
    return {part: own.get((kind, language, part), shipped[part]) for part in PARTS}


@lru_cache(maxsize=512)
def _compiled(part: str, source: str):
    return (_HTML if part == "html" else _TEXT).from_string(source)


def render(parts: dict[str, str], context: dict, language: str) -> Rendered:
    out = {}
    for part in PARTS:
        try:
            out[part] = _compiled(part, parts[part]).render(**context).strip()
        except TemplateError as exc:
            raise TemplateProblem(f"{part}: {type(exc).__name__}: {exc}") from exc
    out["subject"] = " ".join(out["subject"].split())          # no header injection through a title
    return Rendered(out["subject"], out["text"], out["html"], " ".join(out["sms"].split()), language)


def example_context(kind: str, library_name: str, portal: str) -> dict:
    return {"patron": "Ánne Ovllá", "library": library_name, "portal": portal, **EXAMPLES[kind]}


def check(kind: str, part: str, source: str) -> str | None:
    """Why a template cannot be stored (unknown kind or part, too long, does not parse or render), or None."""
    if kind not in KINDS or part not in PARTS:
        return f"unknown template {kind}/{part}"
    if len(source) > MAX_LENGTH:
        return f"longer than {MAX_LENGTH} characters"
    if not source.strip():
        return "empty"
    try:
        _compiled(part, source).render(**example_context(kind, "Bibliotek", "https://example.org"))
    except TemplateError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def save(conn, library: str, kind: str, language: str, part: str, source: str, who: str) -> None:
    """Store a library's override; the same text as the default removes the override instead."""
    if language not in LANGUAGES:
        raise TemplateProblem(f"unknown language {language!r}")
    problem = check(kind, part, source)
    if problem:
        raise TemplateProblem(problem)
    source = source.replace("\r\n", "\n")
    key = (notice_templates.c.library == library) & (notice_templates.c.kind == kind) & \
          (notice_templates.c.language == language) & (notice_templates.c.part == part)
    if source.strip() == defaults(kind)[language][part].strip():
        conn.execute(delete(notice_templates).where(key))
        return
    now = datetime.now(timezone.utc)
    if conn.execute(update(notice_templates).where(key).values(body=source, updated_by=who,
                                                               updated_at=now)).rowcount == 0:
        conn.execute(insert(notice_templates).values(library=library, kind=kind, language=language, part=part,
                                                     body=source, updated_by=who, updated_at=now))


def reset(conn, library: str, kind: str, language: str, part: str) -> None:
    conn.execute(delete(notice_templates).where(
        (notice_templates.c.library == library) & (notice_templates.c.kind == kind) &
        (notice_templates.c.language == language) & (notice_templates.c.part == part)))
