"""SIP2 knows holds: a kiosk (pysip2's codec over loopback) returning a copy a hold wants gets the alert flag
and alert type 02 with the pickup library's institution id (CT) where it is not the pickup library, 01 at
the pickup library; item information shows in transit (10) and on the hold shelf (08)."""

from __future__ import annotations

from circulation.holds import Holds

from tests.sip2.kiosk import Kiosk
from tests.sip2.test_transactions import add_patron, kiosk, sip  # noqa: F401  (fixtures)


def test_checkin_for_a_hold_says_where_it_goes(sip):
    server, engine = sip
    add_patron(engine, "N111111111", pin="1111")
    held = Holds(server.service).place("N111111111", record="tromso-tromso-3", pickup="alta")
    assert held.ok, held.reason
    k = Kiosk(server.port)
    try:
        assert k.login().ok == "1"
        assert k.checkout("N123456789", "B000003", pin="1234").ok == "1"
        raw = k.raw(b"09N20261207    120000" + b" " * 18 + b"APhall|AOtromso|ABB000003|AC|\r")
        assert raw.startswith(b"101YNY"), raw
        assert b"CV02|" in raw and b"CTalta|" in raw
        assert "reservert" in raw.decode("cp850")
        assert k.item("B000003").circulation_status == "10"
        assert k.login("alta").ok == "1"
        here = k.raw(b"09N20261208    120000" + b" " * 18 + b"APhall|AOalta|ABB000003|AC|\r")
        assert here.startswith(b"101YNY") and b"CV01|" in here and b"CT" not in here
        assert k.item("B000003").circulation_status == "08"
    finally:
        k.close()
    assert Holds(server.service).get(held.hold.id).status == "waiting"
