"""The optional second factor: TOTP (RFC 6238, 30 s steps, six digits), as any authenticator app makes.

A code is accepted one step either side of now (a phone's clock drifts), and each step at most once:
the step of the last accepted code is kept, and a code of that step or an earlier one is refused, so a
code read over someone's shoulder cannot be used again.
"""

from __future__ import annotations

import hmac
import time

import pyotp

ISSUER = "Grenseløs"
WINDOW = 1


def new_secret() -> str:
    return pyotp.random_base32()


def uri(secret: str, username: str, issuer: str = ISSUER) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def matching_step(secret: str, code: str, last_step: int | None, now: float | None = None) -> int | None:
    """The time step `code` belongs to (within the window and after `last_step`), or None."""
    code = (code or "").strip().replace(" ", "")
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    step = int((now if now is not None else time.time()) // totp.interval)
    for candidate in range(step - WINDOW, step + WINDOW + 1):
        if last_step is not None and candidate <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def code_at(secret: str, at: float) -> str:
    """The code an authenticator shows at `at` (for tests and the enrolment check)."""
    return pyotp.TOTP(secret).at(at)
