"""Machine protocol endpoints (SPARQL Protocol, OAI-PMH) that the portal's page conventions must not touch.

They are stateless and read-only, so the CSRF check (which needs a session) does not apply to their
POSTs, and their own `format`/`output` parameters are not the portal's `?format=html|json`.
"""

from __future__ import annotations

from flask import request

PATHS = ("/sparql", "/oai")


def is_protocol_request() -> bool:
    return request.path in PATHS
