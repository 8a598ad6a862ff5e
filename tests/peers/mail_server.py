"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for the alert mail tests."""

from __future__ import annotations

import email
import email.policy
import socket
import time


class Inbox:
    """The aiosmtpd handler: every message received, parsed."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"

    def wait_for(self, count: int, timeout: float = 5.0) -> list:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpPeer:
    """`login`: (user, password) the server demands (AUTH PLAIN/LOGIN, allowed without TLS on loopback)."""

    def __init__(self, login: tuple[str, str] | None = None):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult
        self.inbox = Inbox()
        self.port = free_port()
        self.logins: list[str] = []

        def authenticator(server, session, envelope, mechanism, data):
            user, password = data.login.decode(), data.password.decode()
            self.logins.append(user)
            return AuthResult(success=(user, password) == login)
        options = {"auth_required": True, "auth_require_tls": False, "authenticator": authenticator} \
            if login else {}
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **options)
        self.controller.start()

    def stop(self):
        self.controller.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
