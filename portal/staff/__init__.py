"""The staff area's Flask machinery: who is signed in, their server-side sessions, throttling, API auth.

Accounts themselves (users, passwords, TOTP, API tokens, the audit trail) are `accounts`'; this package
puts them on the web:

- `sessions`: a session is a row (random id, only its hash stored; library, username, the account's
  stamp, created, last seen, revoked). The signed cookie carries the id and nothing else, so signing
  out, an idle timeout, the absolute lifetime and a changed account end it on the server, whatever copy
  of the cookie someone kept.
- `throttle`: failed sign-ins per client address and per library, counted from the audit trail in the
  database, so every worker process of the portal sees the same counts.
- `access`: the current request's `accounts.Principal` (`principal()`) from the session cookie, HTTP
  Basic or a bearer API token; signing in and out.
- `api_auth`: `require_api_staff`, `ensure_may_act_for`, `unauthorized` for JSON API views.
- `retention`: how long sessions, the audit trail and client addresses are kept (`grenselos staff retention`).

The sessions table is the portal's own (`tables`, migrated by `portal/migrations/`).
"""
