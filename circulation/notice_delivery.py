"""The two ways a notice reaches a patron: e-mail over SMTP (`core.mail`, one connection kept for a run) and
SMS through the library's HTTP gateway (`[notices] sms_*`: URL, method, a JSON template of the parameters,
a credential header whose value comes from the environment).

Each says how it ended in the terms the sender needs for its promise never to send twice: `Sent` (with the
Message-ID or the gateway's reference), `Refused` (not delivered: safe to try again later) or `Uncertain`
(the message left and no answer came: perhaps delivered, so it is not tried again by itself).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import requests

from core import mail
from core.settings import MailSettings


@dataclass(frozen=True)
class Outcome:
    state: str            # sent | refused | uncertain
    reason: str = ""
    reference: str = ""


SENT, REFUSED, UNCERTAIN = "sent", "refused", "uncertain"


def mail_settings(notices) -> MailSettings:
    """The [notices] SMTP keys in the shape `core.mail` takes (the same client the staff alerts use)."""
    return MailSettings(host=notices.smtp_host, port=notices.smtp_port, sender=notices.sender,
                        security=notices.smtp_security, user_env=notices.smtp_user_env,
                        password_env=notices.smtp_password_env, timeout=notices.smtp_timeout)


class Mailer:
    """One SMTP connection for a run, opened on first use and again after it broke."""

    def __init__(self, notices, base_uri: str):
        self.settings = mail_settings(notices)
        self.base_uri = base_uri
        self.client = None

    @property
    def configured(self) -> bool:
        return mail.configured(self.settings)

    def message_id(self) -> str:
        return mail.message_id(self.settings, self.base_uri)

    def send(self, to: str, rendered, msgid: str) -> Outcome:
        message = mail.compose(self.settings, self.base_uri, to, rendered.subject, rendered.text,
                               language=rendered.language, html=rendered.html or None, msgid=msgid)
        try:
            if self.client is None:
                self.client = mail.connect(self.settings)
            mail.deliver(self.client, message)
        except mail.MailUncertain as exc:
            self.close()
            return Outcome(UNCERTAIN, str(exc), msgid)
        except mail.MailError as exc:
            if self.client is not None and not _alive(self.client):
                self.close()
            return Outcome(REFUSED, str(exc))
        return Outcome(SENT, reference=msgid)

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except Exception:            # noqa: BLE001 - a broken connection is closed either way
                self.client.close()
            self.client = None


def _alive(client) -> bool:
    try:
        return client.noop()[0] == 250
    except Exception:                    # noqa: BLE001
        return False


class SmsGateway:
    """The configured HTTP gateway; `[notices] sms_parameters` is a JSON object whose strings get {to},
    {text}, {sender} and {reference} filled in (after parsing, so a quote in a message cannot break it)."""

    def __init__(self, notices, session: requests.Session | None = None):
        self.settings = notices
        self.session = session or requests.Session()

    @property
    def configured(self) -> bool:
        return bool(self.settings.sms_gateway_url)

    def parameters(self, to: str, text: str, reference: str) -> dict:
        values = {"to": to, "text": text, "sender": self.settings.sms_sender, "reference": reference}

        def fill(node):
            if isinstance(node, str):
                out = node
                for name, value in values.items():
                    out = out.replace("{" + name + "}", value)
                return out
            if isinstance(node, dict):
                return {k: fill(v) for k, v in node.items()}
            if isinstance(node, list):
                return [fill(v) for v in node]
            return node
        return fill(json.loads(self.settings.sms_parameters))

    def send(self, to: str, text: str, reference: str) -> Outcome:
        s = self.settings
        params = self.parameters(to, text, reference)
        headers = {}
        if s.sms_auth_env and os.environ.get(s.sms_auth_env):
            headers[s.sms_auth_header] = os.environ[s.sms_auth_env]
        options = {"params": params} if s.sms_method == "GET" else \
            ({"json": params} if s.sms_body == "json" else {"data": params})
        try:
            response = self.session.request(s.sms_method, s.sms_gateway_url, headers=headers,
                                            timeout=s.sms_timeout, **options)
        except (requests.ConnectionError, requests.ConnectTimeout) as exc:
            if isinstance(exc, requests.ReadTimeout) or "RemoteDisconnected" in str(exc):
                return Outcome(UNCERTAIN, f"SMS gateway: no answer: {type(exc).__name__}", reference)
            return Outcome(REFUSED, f"SMS gateway unreachable: {type(exc).__name__}: {exc}")
        except requests.RequestException as exc:
            return Outcome(UNCERTAIN, f"SMS gateway: no answer: {type(exc).__name__}: {exc}", reference)
        if 200 <= response.status_code < 300:
            return Outcome(SENT, reference=_gateway_id(response) or reference)
        return Outcome(REFUSED, f"SMS gateway answered {response.status_code}: {response.text[:200]}")


def _gateway_id(response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    found = body.get("id") or body.get("message_id") if isinstance(body, dict) else None
    return str(found)[:255] if found else ""
