"""`grenselos ill …`: inter-library loans with libraries outside the county over NCIP (NNCIPP 1.0), from the
server's command line (the staff page /staff/ill does the same)."""

from __future__ import annotations

import json

import click

from circulation.ill import InterLibraryLoans
from circulation.service import Circulation


def _ill(obj) -> InterLibraryLoans:
    return InterLibraryLoans(Circulation.open(obj.settings.database_url, obj.settings))


def _report(result) -> None:
    click.echo(json.dumps({"ok": result.ok, "reason": result.reason, "detail": result.detail,
                           "request": result.request}, ensure_ascii=False, indent=2))
    if not result.ok:
        raise SystemExit(1)


@click.group()
def ill():
    """Inter-library loans with libraries outside the county (NCIP, NNCIPP 1.0; peers in [[ncip.peers]])."""


@ill.command("request")
@click.option("--card", required=True, help="The patron's card number.")
@click.option("--record", required=True, help="The record's public id (as in /record/<id>).")
@click.option("--peer", default=None, help="Ask only this peer (its ISIL); default: each peer in turn.")
@click.option("--isbn", "isbns", multiple=True, help="An ISBN to ask by, besides the record's own (repeatable).")
@click.pass_obj
def request(obj, card, record, peer, isbns):
    """Ask a library outside the county for a loan of RECORD for a patron, when no county library has a copy
    on the shelf. Prints the request as JSON; exits 1 with the reason when nobody was asked or all refused."""
    _report(_ill(obj).request(card, record, peer=peer, isbns=isbns))


@ill.command("list")
@click.option("--library", default=None, help="Only this library's requests (source or library id).")
@click.option("--open", "open_only", is_flag=True, help="Only requests still under way.")
@click.pass_obj
def list_(obj, library, open_only):
    """The ILL requests, newest first, as JSON."""
    click.echo(json.dumps(_ill(obj).requests(library, open_only=open_only), ensure_ascii=False, indent=2))


def _step(name: str, method: str, doc: str):
    @ill.command(name, help=doc)
    @click.argument("request_id", type=int)
    @click.pass_obj
    def command(obj, request_id):
        _report(getattr(_ill(obj), method)(request_id))
    return command


_step("ship", "ship", "Send the copy of request REQUEST_ID: to the borrowing library (lending side), or back "
      "home after the patron returned it (borrowing side); the peer is told with ItemShipped.")
_step("receive", "receive", "The copy of request REQUEST_ID arrived (from the owner, or back home); the peer is "
      "told with ItemReceived.")
_step("lend", "lend", "Lend the received copy of request REQUEST_ID to the patron who asked for it.")
_step("return", "give_back", "The patron returned the borrowed copy of request REQUEST_ID.")
_step("renew", "renew", "Ask the owner to renew the borrowed copy of request REQUEST_ID (RenewItem).")
_step("cancel", "cancel", "Cancel request REQUEST_ID before it is shipped (CancelRequestItem).")
