"""The staff area's machinery: who may sign in, their server-side sessions, the audit trail, throttling.

Today a librarian signs in with one token per library (`tokens`); a later issue brings accounts. Both
are a *credential* with a *stamp* (a keyed fingerprint that changes whenever the credential does), and
everything else is written against that pair, so accounts reuse it unchanged:

- `sessions`: a session is a row (random id, only its hash stored; library, who, stamp, created, last
  seen, revoked). The signed cookie carries the id and nothing else, so signing out, an idle timeout,
  the absolute lifetime and a changed credential end it on the server, whatever copy of the cookie
  someone kept.
- `audit`: every sign-in, failed sign-in, refused (throttled) sign-in, sign-out and revocation, with
  library, who, when and the client address.
- `throttle`: failed sign-ins per client address and per library, counted from the audit trail in the
  database, so every worker process of the portal sees the same counts.
- `access`: the Flask side: the current request's staff session, sign-in and sign-out.

The tables are the portal's own (`tables`, migrated by `portal/migrations/`); no earlier stage reads them.
"""
