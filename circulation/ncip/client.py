"""Sending an NNCIPP message to a peer library's NCIP endpoint (HTTP POST of the XML).

Why every message is checked against the schema before it leaves: a strict peer refuses an invalid message
with a Problem we would only see in production; a bug in our writer should fail here, loudly, instead."""

from __future__ import annotations

import requests

from circulation.ncip import messages, schema


class PeerUnreachable(Exception):
    """The peer did not answer with an NCIP message (network error, timeout, not XML)."""


def post(peer, body: bytes, timeout: float) -> messages.Message:
    """Send `body` to `peer` (a `[[ncip.peers]]` entry) and read its answer."""
    wrong = schema.errors(body)
    if wrong:
        raise ValueError(f"refusing to send an invalid NCIP message: {wrong[0]}")
    if not peer.endpoint:
        raise PeerUnreachable(f"{peer.agency} has no NCIP endpoint configured")
    headers = {"Content-Type": "application/xml; charset=utf-8"}
    if peer.token:
        headers["Authorization"] = f"Bearer {peer.token}"
    try:
        response = requests.post(peer.endpoint, data=body, headers=headers, timeout=timeout)
    except requests.RequestException as exc:
        raise PeerUnreachable(f"{peer.agency}: {exc.__class__.__name__}") from None
    try:
        return messages.parse(response.content)
    except messages.MessageError:
        raise PeerUnreachable(f"{peer.agency} answered HTTP {response.status_code} without an NCIP message") \
            from None
