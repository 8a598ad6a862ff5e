"""A mail to the library when its harvest needs a person: it failed, or quarantined too many records.

One mail per streak, not one per run: a source that fails every 30 minutes through a weekend sends one
mail on Friday evening (and, if `[harvest] alert_recovery`, one when it works again), so the mails stay
worth reading. Whether the streak was already mailed is kept on the attempt rows (`alerted`), so a
restarted scheduler or a second one does not mail again.

The text goes through gettext in the source's `contact_language`, from the portal's catalogues (read
as data files: every string a person reads is translated in one place, in four languages).
"""

from __future__ import annotations

import logging
from pathlib import Path

from babel.support import NullTranslations, Translations

from core import mail as mail_mod
from harvest import attempts
from vocab.tables import UI_LANGUAGES

log = logging.getLogger(__name__)

CATALOGS = Path(__file__).resolve().parents[1] / "portal" / "translations"
FAILED, RECOVERED = "failed", "recovered"


def _(message: str) -> str:
    """Marks a message for the catalogue; translated when the mail is written."""
    return message


SUBJECT_FAILED = _("Harvest of %(source)s failed")
SUBJECT_QUARANTINED = _("Harvest of %(source)s quarantined %(count)s records")
SUBJECT_RECOVERED = _("Harvest of %(source)s works again")
BODY_FAILED = _("The harvest of %(source)s (%(name)s) started %(started)s did not finish.\n\n"
                "Error: %(error)s\n\n"
                "Failures in a row: %(failures)s. The last harvest that worked finished %(last_success)s.\n"
                "You get this mail once; the next one when the harvest works again.")
BODY_QUARANTINED = _("The harvest of %(source)s (%(name)s) started %(started)s quarantined %(count)s records "
                     "(more than %(limit)s): they are kept but not shown in the catalogue.\n\n"
                     "You get this mail once; the next one when a harvest is clean again.")
BODY_RECOVERED = _("The harvest of %(source)s (%(name)s) started %(started)s worked again: "
                   "%(records)s records, %(quarantined)s quarantined.")
SEE = _("Details: %(url)s")
NEVER = _("never")


def translations(language: str):
    language = language if language in UI_LANGUAGES else UI_LANGUAGES[0]
    found = Translations.load(str(CATALOGS), [language])
    return found if isinstance(found, Translations) else NullTranslations()


def alarming(attempt: dict, limit: int) -> bool:
    return attempt["outcome"] == "failed" or attempt["quarantined"] > limit


def decide(finished: list[dict], limit: int, recovery: bool) -> str | None:
    """What to mail after the newest finished attempt (`finished`: newest first, none running)."""
    if not finished:
        return None
    if alarming(finished[0], limit):
        streak = []
        for a in finished:
            if not alarming(a, limit):
                break
            streak.append(a)
        return None if any(a["alerted"] for a in streak) else FAILED
    if not recovery:
        return None
    for a in finished[1:]:
        if not alarming(a, limit):
            return None
        if a["alerted"]:
            return RECOVERED
    return None


def compose(kind: str, source, attempt: dict, health: dict, limit: int, url: str) -> tuple[str, str]:
    t = translations(source.contact_language)
    gettext = t.gettext
    values = {"source": source.id, "name": source.name, "started": attempt["started"],
              "error": attempt["error"] or "-", "failures": health["failures"],
              "last_success": health["last_success"] or gettext(NEVER), "count": attempt["quarantined"],
              "limit": limit, "records": attempt["records"], "quarantined": attempt["quarantined"]}
    if kind == RECOVERED:
        subject, body = SUBJECT_RECOVERED, BODY_RECOVERED
    elif attempt["outcome"] == "failed":
        subject, body = SUBJECT_FAILED, BODY_FAILED
    else:
        subject, body = SUBJECT_QUARANTINED, BODY_QUARANTINED
    text = gettext(body) % values + "\n\n" + gettext(SEE) % {"url": url} + "\n"
    return gettext(subject) % values, text


def after_attempt(settings, engine, source) -> str | None:
    """Mail the source's contact if its newest finished attempt calls for it; what was sent, or None.

    Never raises: a mail server that is down is logged, and the streak stays unmailed so the next
    attempt tries again."""
    if not source.contact_email or not mail_mod.configured(settings.mail):
        return None
    try:
        history = [a for a in attempts.recent(engine, source.id, attempts.WINDOW) if a["outcome"] != "running"]
        limit = settings.harvest.alert_quarantined
        kind = decide(history, limit, settings.harvest.alert_recovery)
        if kind is None:
            return None
        health = attempts.summarise(history)
        url = f"{settings.base_uri}/staff/sources/{source.id}"
        subject, body = compose(kind, source, history[0], health, limit, url)
        language = source.contact_language if source.contact_language in UI_LANGUAGES else UI_LANGUAGES[0]
        mail_mod.send(settings.mail, settings.base_uri, source.contact_email, subject, body, language)
        attempts.mark_alerted(engine, history[0]["id"])
        return kind
    except Exception:             # an alert must never break the harvest it reports on
        log.exception("could not mail %s about the harvest of %s", source.contact_email, source.id)
        return None
