"""Machine protocol endpoints (SPARQL Protocol, OAI-PMH) that the portal's page conventions must not touch.

They are stateless and use no session or cookie (SPARQL and OAI-PMH are read-only; NCIP's peers
authenticate each message by shared secret or address), so the CSRF check (which guards cookie
sessions) does not apply to their POSTs, and their own `format`/`output` parameters are not the portal's `?format=html|json`.
"""

from __future__ import annotations

from flask import request

PATHS = ("/sparql", "/oai", "/ncip")


def is_protocol_request() -> bool:
    return request.path in PATHS
