"""`grenselos sip2`: the SIP2 server over the circulation service the settings describe."""

from __future__ import annotations

import logging

from circulation.service import Circulation
from circulation.sip2.server import Sip2Server
from circulation.sip2.session import Account
from circulation.titles import index_titles

log = logging.getLogger(__name__)


def accounts(settings) -> list[Account]:
    return [Account(a.login, a.password, a.library, a.encoding) for a in settings.sip2_accounts]


def build_server(settings, host: str | None = None, port: int | None = None, service=None) -> Sip2Server:
    """A server bound to `host`:`port` (the [sip2] settings when None); port 0 picks a free one."""
    if service is None:
        service = Circulation.open(settings.database_url, settings)
        service.titles = index_titles(settings)
    return Sip2Server(service, accounts(settings), host=settings.sip2.host if host is None else host,
                      port=settings.sip2.port if port is None else port, tls_cert=settings.sip2.tls_cert,
                      tls_key=settings.sip2.tls_key, idle_seconds=settings.sip2.idle_seconds)


def serve(settings, host: str | None = None, port: int | None = None) -> None:
    server = build_server(settings, host, port)
    log.warning("SIP2 on %s:%s%s, %d kiosk account(s)", *server.server_address[:2],
                " (TLS)" if server.tls else "", len(server.accounts))
    try:
        server.serve_forever()
    finally:
        server.server_close()
