"""Staff administration pages: accounts, personal API tokens, one's own account, and the audit log.

Who may see what is `accounts.roles`': a library admin sees and changes their own library's staff, a
county admin everyone's; a librarian only their own account and tokens. An account outside what the
signed-in person may manage is answered 404, as if it did not exist (its name is not confirmed). Every
change is a POST with the CSRF token, audited by `accounts.store`; every page has a `.json` twin.
`/api/staff/me` tells a script whose credentials it holds.
A new API token is shown once, in the answer to the POST that made it, and never again.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request, session, url_for
from flask_babel import gettext as _

from accounts import audit as audit_log, roles, totp
from accounts.errors import AccountError
from portal import services
from portal.render import render, split_format
from portal.security import no_store
from portal.staff import access
from portal.staff.api_auth import require_api_staff
from portal.views.staff import negotiate, staff_page, submitted

bp = Blueprint("staff_admin", __name__)

PENDING_TOTP = "staff_totp_pending"
AUDIT_PAGE = 100


bp.after_request(no_store)


bp.before_request(negotiate)


def _message(exc: AccountError) -> str:
    """The reader's-language wording of an account error (the CLI shows the English message)."""
    minimum = services.settings().staff.password_min_length
    return {
        "password_short": _("The password must have at least %(num)s characters.", num=minimum),
        "password_long": _("The password is too long."),
        "bad_username": _("Usernames have 2 to 64 characters: lower-case letters, digits, '.', '_', '-' and '@'."),
        "bad_role": _("Choose one of the roles."),
        "unknown_library": _("Choose one of the libraries."),
        "not_allowed": _("You may not do that."),
        "exists": _("There is already an account with that username."),
        "no_user": _("No such account."),
    }.get(exc.code, _("That could not be done."))


def _role_label(role: str) -> str:
    return {roles.LIBRARIAN: _("Librarian"), roles.LIBRARY_ADMIN: _("Library administrator"),
            roles.COUNTY_ADMIN: _("County administrator")}.get(role, role)


def _library_name(library_id: str) -> str:
    found = services.libraries().by_id(library_id)
    return found.name if found else library_id


def _managed_libraries(who) -> list[str] | None:
    """The libraries whose staff `who` may manage: None for all (county admin); 403 for a librarian."""
    if who.role == roles.COUNTY_ADMIN:
        return None
    if who.role == roles.LIBRARY_ADMIN:
        return [who.library]
    abort(403)


def _user_dict(user) -> dict:
    return {**user.as_dict(), "role_label": _role_label(user.role), "library_name": _library_name(user.library),
            "url": url_for("staff_admin.user", username=user.username)}


def _role_choices(who) -> list[dict]:
    allowed = [r for r in roles.ROLES if r != roles.COUNTY_ADMIN or who.role == roles.COUNTY_ADMIN]
    return [{"id": r, "label": _role_label(r)} for r in allowed]


def _library_choices(who) -> list[dict]:
    ids = [s.id for s in services.settings().sources] if who.role == roles.COUNTY_ADMIN else [who.library]
    return [{"id": i, "name": _library_name(i)} for i in ids]


@bp.route("/staff/users", methods=["GET", "POST"])
@bp.route("/staff/users.json", endpoint="users_json", methods=["GET", "POST"])
@staff_page
def users():
    who = access.principal()
    libraries = _managed_libraries(who)
    error, status, added = "", 200, None
    form = {"username": "", "library": who.library, "role": roles.LIBRARIAN}
    if request.method == "POST":
        form = {k: submitted().get(k, "") for k in ("username", "library", "role")}
        try:
            added = access.accounts().add(form["username"], form["library"], form["role"],
                                          submitted().get("password", ""), actor=who,
                                          client=access.client_address(),
                                          known_libraries=[s.id for s in services.settings().sources])
            form = {"username": "", "library": who.library, "role": roles.LIBRARIAN}
            status = 201
        except AccountError as exc:
            error, status = _message(exc), 400
    return render("staff_users.html", {
        "users": [_user_dict(u) for u in access.accounts().users(libraries)],
        "roles": _role_choices(who), "libraries": _library_choices(who), "form": form,
        "added": _user_dict(added) if added else None, "error": error}, status=status)


def _visible_user(username: str):
    """The account, when the signed-in admin may manage it; 404 otherwise (the name is not confirmed)."""
    who = access.principal()
    _managed_libraries(who)
    user = access.accounts().get(username)
    if user is None or not roles.may_manage_staff(who, user.library) or (
            user.role == roles.COUNTY_ADMIN and who.role != roles.COUNTY_ADMIN):
        abort(404)
    return who, user


@bp.route("/staff/users/<username>", methods=["GET", "POST"])
@staff_page
def user(username):
    username = split_format(username)
    who, found = _visible_user(username)
    error, notice, status = "", "", 200
    if request.method == "POST":
        action = submitted().get("action", "")
        try:
            if action in ("disable", "enable"):
                found = access.accounts().set_disabled(found.username, action == "disable", actor=who,
                                                       client=access.client_address())
                notice = _("The account is disabled.") if action == "disable" else _("The account is enabled.")
            elif action == "password":
                found = access.accounts().set_password(found.username, submitted().get("password", ""),
                                                       actor=who, client=access.client_address())
                notice = _("The password is changed; the account's sessions have ended.")
            elif action == "totp-off":
                found = access.accounts().set_totp(found.username, None, actor=who, client=access.client_address())
                notice = _("Two-step sign-in is off.")
            else:
                abort(400)
        except AccountError as exc:
            error, status = _message(exc), 400
    tokens = access.accounts().tokens(found.username)
    return render("staff_user.html", {"user": _user_dict(found), "tokens": tokens, "error": error,
                                      "notice": notice, "self": found.username == who.username}, status=status)


@bp.route("/staff/tokens", methods=["GET", "POST"])
@bp.route("/staff/tokens.json", endpoint="tokens_json", methods=["GET", "POST"])
@staff_page
def tokens():
    who = access.principal()
    created, status = None, 200
    if request.method == "POST":
        raw, entry = access.accounts().create_token(who.username, submitted().get("name", ""), actor=who,
                                                    client=access.client_address())
        created, status = {**entry, "token": raw}, 201
    return render("staff_tokens.html", {"tokens": access.accounts().tokens(who.username), "created": created},
                  status=status)


@bp.route("/staff/tokens/<int:token_id>/revoke", methods=["POST"])
@staff_page
def revoke_token(token_id):
    who = access.principal()
    if not access.accounts().revoke_token(who.username, token_id, actor=who, client=access.client_address()):
        abort(404)
    return redirect(url_for("staff_admin.tokens"), code=303)


@bp.route("/staff/account", methods=["GET", "POST"])
@bp.route("/staff/account.json", endpoint="account_json", methods=["GET", "POST"])
@staff_page
def account():
    who = access.principal()
    accounts = access.accounts()
    error, notice, status = "", "", 200
    action = submitted().get("action", "") if request.method == "POST" else ""
    if action == "password":
        outcome = accounts.authenticate(who.username, submitted().get("current", ""),
                                        submitted().get("code", ""), client=access.client_address())
        if not outcome.ok:
            error, status = _("Your current password (or code) is wrong."), 403
        elif submitted().get("new", "") != submitted().get("confirm", ""):
            error, status = _("The two new passwords differ."), 400
        else:
            try:
                accounts.set_password(who.username, submitted().get("new", ""), actor=who,
                                      client=access.client_address())
                access.sign_out()
                return redirect(url_for("staff.login"), code=303)
            except AccountError as exc:
                error, status = _message(exc), 400
    elif action == "totp-start":
        session[PENDING_TOTP] = totp.new_secret()
    elif action == "totp-confirm":
        secret = session.get(PENDING_TOTP)
        if secret and totp.matching_step(secret, submitted().get("code", ""), None) is not None:
            accounts.set_totp(who.username, secret, actor=who, client=access.client_address())
            session.pop(PENDING_TOTP, None)
            access.sign_out()
            return redirect(url_for("staff.login"), code=303)
        error, status = _("That code is not right; try the newest code your app shows."), 400
    elif action:
        abort(400)
    pending = session.get(PENDING_TOTP)
    me = accounts.get(who.username)
    return render("staff_account.html", {
        "user": _user_dict(me), "error": error, "notice": notice,
        "password_min_length": services.settings().staff.password_min_length,
        "totp_pending": {"secret": pending, "uri": totp.uri(pending, me.username)} if pending else None},
        status=status)


@bp.route("/staff/audit")
@bp.route("/staff/audit.json", endpoint="audit_json")
@staff_page
def audit():
    who = access.principal()
    before = request.args.get("before", "")
    before_id = int(before) if before.isdigit() else None
    libraries = None if who.role == roles.COUNTY_ADMIN else [who.library]
    with services.sql().connect() as conn:
        events = audit_log.recent(conn, libraries, AUDIT_PAGE, before_id)
    more = url_for("staff_admin.audit", before=events[-1]["id"]) if len(events) == AUDIT_PAGE else None
    return render("staff_audit.html", {"events": events, "all_libraries": libraries is None, "more": more})


@bp.route("/api/staff/me")
@require_api_staff
def me():
    """Who the credentials belong to: the first call a script makes to check its token."""
    who = access.principal()
    return render("", {"user": who.as_dict(), "via": "header" if access.by_header() else "session"})
