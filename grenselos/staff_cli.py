"""`grenselos staff …`: staff accounts from the server's command line (the first county admin comes from here).

A password is read from standard input when it is not a terminal (`printf '%s\\n' "$PW" | grenselos staff
add …`: the first line, without its line break), and asked for twice, unseen, when it is. Actions done
here are audited with `cli` as who did them.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone

import click

from accounts import roles
from accounts.errors import AccountError
from accounts.store import Accounts
from accounts import totp as totp_mod
from portal.staff import retention as retention_mod


def _accounts(obj) -> Accounts:
    return Accounts.open(obj.settings.database_url, obj.settings.staff)


def read_password(prompt: str = "Password") -> str:
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line:
            raise click.UsageError("no password on standard input")
        return line.rstrip("\r\n")
    return click.prompt(prompt, hide_input=True, confirmation_prompt=True)


def _fail(exc: AccountError):
    raise click.ClickException(str(exc))


@click.group()
def staff():
    """Staff accounts: add, list, disable, enable, passwords, TOTP, API tokens."""


@staff.command("add")
@click.argument("username")
@click.option("--library", required=True, help="Source id of the library the person works at.")
@click.option("--role", required=True, type=click.Choice(roles.ROLES), help="What the person may do.")
@click.pass_obj
def add(obj, username, library, role):
    """Add a staff account (password from standard input, or asked for twice)."""
    known = [s.id for s in obj.settings.sources]
    password = read_password()
    try:
        user = _accounts(obj).add(username, library, role, password, known_libraries=known)
    except AccountError as exc:
        _fail(exc)
    click.echo(f"added {user.username} ({user.role} at {user.library})")


@staff.command("list")
@click.option("--library", default=None, help="Only this library's staff.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def list_(obj, library, as_json):
    """List staff accounts."""
    users = _accounts(obj).users([library] if library else None)
    if as_json:
        click.echo(json.dumps([x.as_dict() for x in users], ensure_ascii=False, indent=2))
        return
    for x in users:
        state = "disabled" if x.disabled else "active"
        click.echo("\t".join([x.username, x.library, x.role, state] + (["totp"] if x.totp else [])))


@staff.command("disable")
@click.argument("username")
@click.pass_obj
def disable(obj, username):
    """Disable an account: its sessions and API tokens stop working at once."""
    try:
        _accounts(obj).set_disabled(username, True)
    except AccountError as exc:
        _fail(exc)
    click.echo(f"disabled {username}")


@staff.command("enable")
@click.argument("username")
@click.pass_obj
def enable(obj, username):
    """Enable a disabled account again (also lifts a lock-out)."""
    try:
        _accounts(obj).set_disabled(username, False)
    except AccountError as exc:
        _fail(exc)
    click.echo(f"enabled {username}")


@staff.command("password")
@click.argument("username")
@click.pass_obj
def password(obj, username):
    """Set a new password (ends the account's sessions, lifts a lock-out)."""
    new = read_password("New password")
    try:
        _accounts(obj).set_password(username, new)
    except AccountError as exc:
        _fail(exc)
    click.echo(f"password changed for {username}")


@staff.command("totp")
@click.argument("username")
@click.option("--off", is_flag=True, help="Turn the second factor off instead.")
@click.pass_obj
def totp(obj, username, off):
    """Turn on two-step sign-in: prints the otpauth:// URI to add to an authenticator app."""
    secret = None if off else totp_mod.new_secret()
    try:
        user = _accounts(obj).set_totp(username, secret)
    except AccountError as exc:
        _fail(exc)
    click.echo(f"two-step sign-in off for {user.username}" if off else totp_mod.uri(secret, user.username))


@staff.group("token")
def token():
    """Personal API tokens (Authorization: Bearer gls_…)."""


@token.command("create")
@click.argument("username")
@click.option("--name", default="script", show_default=True, help="What the token is for.")
@click.pass_obj
def token_create(obj, username, name):
    """Make a token; it is printed this once and never again."""
    try:
        raw, _entry = _accounts(obj).create_token(username, name)
    except AccountError as exc:
        _fail(exc)
    click.echo(raw)


@token.command("list")
@click.argument("username")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def token_list(obj, username, as_json):
    """A user's tokens (their first characters, never the whole token)."""
    tokens = _accounts(obj).tokens(username)
    if as_json:
        click.echo(json.dumps(tokens, ensure_ascii=False, indent=2))
        return
    for x in tokens:
        click.echo(f"{x['id']}\t{x['prefix']}…\t{x['name']}\t{x['created_at']}\t"
                   f"{'active' if x['active'] else 'revoked'}")


@token.command("revoke")
@click.argument("username")
@click.argument("token_id", type=int)
@click.pass_obj
def token_revoke(obj, username, token_id):
    """Revoke a token by its id (from `grenselos staff token list`)."""
    if not _accounts(obj).revoke_token(username, token_id):
        raise click.ClickException(f"{username} has no open token {token_id}")
    click.echo(f"revoked token {token_id} of {username}")


def run_retention(settings, now: datetime | None = None, *, dry_run: bool = False) -> list:
    """One retention run in one transaction (the command's and the scheduler's): its steps."""
    store = Accounts.open(settings.database_url, settings.staff)
    try:
        with store.engine.begin() as conn:
            return retention_mod.run(conn, settings.staff, settings.circulation, now or datetime.now(timezone.utc),
                                     dry_run=dry_run)
    finally:
        store.engine.dispose()


@staff.command("retention")
@click.option("--dry-run", is_flag=True, help="Say what would be removed or blanked; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def retention(obj, dry_run, as_json):
    """Delete ended staff sessions, old audit rows and stale PIN-failure rows, and blank old client addresses,
    after the [staff] *_retention_days settings (the scheduler runs it daily; a second run finds nothing)."""
    steps = run_retention(obj.settings, dry_run=dry_run)
    if as_json:
        click.echo(json.dumps({"dry_run": dry_run, "steps": [x.as_dict() for x in steps]}, indent=2))
        return
    for x in steps:
        click.echo(("would be: " if dry_run else "") + x.line())
