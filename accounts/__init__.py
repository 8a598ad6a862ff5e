"""Staff accounts: who works at which library, in which role, and what they did.

Below circulation and the portal (both need to know who a staff member is and what they may touch),
beside `libraries`. The Flask side (sign-in pages, the session cookie) stays in `portal.staff`.

- `Principal` (here): who is acting, as every other stage sees it: username, library, role.
- `roles`: the three roles and `may_act_for`, the one answer to "may this person touch that library".
- `store.Accounts`: users, passwords (`passwords`, argon2id), TOTP (`totp`), lock-out, API tokens.
- `audit`: the trail of every staff action, in `staff_events`.
"""

from accounts.errors import AccountError
from accounts.principal import Principal

__all__ = ["AccountError", "Principal"]
