"""Sending one plain-text mail over SMTP, as the installation's [mail] settings say.

Small on purpose: the library's own mail server does the queueing and retrying. `send` is the alerts' way (a
harvest failed, a harvest works again: one mail, one connection); patron notices (`circulation.notices`)
keep one connection open for many mails (`connect`, `compose`, `deliver`) and need to tell a refused mail
(safe to retry) from a connection lost after the data went out (`MailUncertain`: perhaps delivered). The
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
    """The SMTP server could not be reached or refused the mail: it was not delivered."""


class MailUncertain(MailError):
    """The connection broke after the message's data was sent and before the server answered: the mail may
    or may not have been delivered (a caller that promises never to send twice must not simply retry)."""


def configured(mail) -> bool:
    return bool(mail.host)


def sender(mail, base_uri: str) -> str:
    return mail.sender or f"grenselos@{urlsplit(base_uri).hostname or 'localhost'}"


def message_id(mail, base_uri: str) -> str:
    """A new Message-ID in the sender's domain (made before sending, so a caller can record it first)."""
    return make_msgid(domain=sender(mail, base_uri).rpartition("@")[2] or None)


def compose(mail, base_uri: str, to: str, subject: str, body: str, language: str | None = None,
            html: str | None = None, msgid: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender(mail, base_uri)
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = msgid or message_id(mail, base_uri)
    message["Auto-Submitted"] = "auto-generated"          # RFC 3834: no vacation replies to a robot
    message.set_content(body)                         # (it drops Content-* headers set before it)
    if html is not None:
        message.add_alternative(html, subtype="html")
    if language:
        message["Content-Language"] = language
    return message


def connect(mail) -> smtplib.SMTP:
    """An open, logged-in SMTP connection (for several mails in a row), or MailError."""
    user = os.environ.get(mail.user_env, "") if mail.user_env else ""
    password = os.environ.get(mail.password_env, "") if mail.password_env else ""
    try:
        if mail.security == "ssl":
            client = smtplib.SMTP_SSL(mail.host, mail.port, timeout=mail.timeout,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(mail.host, mail.port, timeout=mail.timeout)
        try:
            if mail.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if user:
                client.login(user, password)
        except BaseException:
            client.close()
            raise
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"SMTP server {mail.host}:{mail.port}: {type(exc).__name__}: {exc}") from exc
    return client


def deliver(client: smtplib.SMTP, message: EmailMessage) -> None:
    """Send `message` over an open connection. MailError: not delivered; MailUncertain: the data went out and
    no answer came back (delivered or not, nobody here can tell)."""
    to = message["To"]
    try:
        client.ehlo_or_helo_if_needed()
        code, reply = client.mail(message["From"])
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, reply, message["From"])
        code, reply = client.rcpt(to)
        if code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({to: (code, reply)})
    except (OSError, smtplib.SMTPException) as exc:
        _reset(client)
        raise MailError(f"mail to {to} refused: {type(exc).__name__}: {exc}") from exc
    try:
        code, reply = client.data(message.as_bytes(policy=message.policy.clone(linesep="\r\n")))
    except smtplib.SMTPDataError as exc:          # the server answered, with a refusal
        _reset(client)
        raise MailError(f"mail to {to} refused: {exc.smtp_code} {exc.smtp_error!r}") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise MailUncertain(f"mail to {to}: connection lost during DATA: {type(exc).__name__}: {exc}") from exc
    if code != 250:                               # the server answered the data, with a refusal
        _reset(client)
        raise MailError(f"mail to {to} refused: {code} {reply!r}")


def _reset(client: smtplib.SMTP) -> None:
    try:
        client.rset()
    except (OSError, smtplib.SMTPException):
        pass


def send(mail, base_uri: str, to: str, subject: str, body: str, language: str | None = None) -> str:
    """Send one mail; the Message-ID, or MailError. `mail` is the [mail] settings section."""
    message = compose(mail, base_uri, to, subject, body, language)
    try:
        with connect(mail) as client:
            client.send_message(message)
    except (MailError, OSError, smtplib.SMTPException) as exc:
        cause = exc.__cause__ if isinstance(exc, MailError) and exc.__cause__ is not None else exc
        raise MailError(f"mail to {to} via {mail.host}:{mail.port} failed: {type(cause).__name__}: {cause}") \
            from cause
    return message["Message-ID"]
