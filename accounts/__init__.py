"""Staff accounts: who works at which library, in which role, and what they did.

Below circulation and the portal (both need to know who a staff member is and what they may touch),
beside `libraries`. The Flask side (sign-in pages, the session cookie) stays in `portal.staff`.
"""
