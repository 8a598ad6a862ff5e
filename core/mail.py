"""Sending one plain-text mail over SMTP, as the installation's [mail] settings say.

Small on purpose: the alerts a one-person library gets (a harvest failed, a harvest works again) are
the only mail Grenseløs sends, and the library's own mail server does the queueing and retrying. The
SMTP login comes from environment variables named in the settings, never from the file.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

from core.errors import GrenselosError


class MailError(GrenselosError):
    """The SMTP server could not be reached or refused the mail."""


def configured(mail) -> bool:
    return bool(mail.host)


def sender(mail, base_uri: str) -> str:
    return mail.sender or f"grenselos@{urlsplit(base_uri).hostname or 'localhost'}"


def send(mail, base_uri: str, to: str, subject: str, body: str, language: str | None = None) -> str:
    """Send one mail; the Message-ID, or MailError. `mail` is the [mail] settings section."""
    message = EmailMessage()
    message["From"] = sender(mail, base_uri)
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=message["From"].rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"          # RFC 3834: no vacation replies to a robot
    message.set_content(body)                         # (it drops Content-* headers set before it)
    if language:
        message["Content-Language"] = language
    user = os.environ.get(mail.user_env, "") if mail.user_env else ""
    password = os.environ.get(mail.password_env, "") if mail.password_env else ""
    try:
        if mail.security == "ssl":
            client = smtplib.SMTP_SSL(mail.host, mail.port, timeout=mail.timeout,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(mail.host, mail.port, timeout=mail.timeout)
        with client:
            if mail.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if user:
                client.login(user, password)
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"mail to {to} via {mail.host}:{mail.port} failed: {type(exc).__name__}: {exc}") from exc
    return message["Message-ID"]
