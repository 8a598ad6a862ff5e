"""The staff roles and what each may touch.

- `librarian`: their own library's data;
- `library-admin`: that too, and their own library's staff accounts and settings;
- `county-admin`: every library's data and staff (the county library acts for all of them).

`may_act_for` is the only place this is decided, so a route cannot invent its own reading.
"""

from __future__ import annotations

from accounts.principal import Principal

LIBRARIAN = "librarian"
LIBRARY_ADMIN = "library-admin"
COUNTY_ADMIN = "county-admin"
ROLES = (LIBRARIAN, LIBRARY_ADMIN, COUNTY_ADMIN)
ADMINS = frozenset((LIBRARY_ADMIN, COUNTY_ADMIN))


def may_act_for(principal: Principal | None, library_id: str | None) -> bool:
    """Whether `principal` may read and change `library_id`'s data."""
    if principal is None or not library_id:
        return False
    return principal.role == COUNTY_ADMIN or principal.library == library_id


def may_manage_staff(principal: Principal | None, library_id: str | None) -> bool:
    """Whether `principal` may see and change the staff accounts of `library_id`."""
    return principal is not None and principal.role in ADMINS and may_act_for(principal, library_id)


def may_grant(principal: Principal | None, role: str, library_id: str) -> bool:
    """Whether `principal` may give `role` at `library_id`: nobody hands out more than they hold."""
    if not may_manage_staff(principal, library_id):
        return False
    return role != COUNTY_ADMIN or principal.role == COUNTY_ADMIN
