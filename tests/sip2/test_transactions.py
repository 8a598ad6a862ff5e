"""SIP2 transactions end to end: a kiosk speaking through PyPI's `pysip2` codec (and the `Sip2` client) over
loopback to our server, over the real circulation service on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import insert, select

from circulation.service import LOCAL, Circulation
from circulation.sip2 import codec
from circulation.sip2.server import Sip2Server
from circulation.sip2.session import Account
from circulation.tables import loans
from core.db import engine_for, migrate
from transform.tables import transform_records
from circulation import patrons as patron_store
from core import settings as core_settings
from transform.copies import copies
from tests.sip2.kiosk import Kiosk

NAME = "Ánde Øvrebø-Sárá"
SOURCES = [{"id": "tromso", "name": "Tromsø bibliotek", "municipality": "Tromsø", "circulation": True},
           {"id": "alta", "name": "Alta bibliotek", "municipality": "Alta", "circulation": True}]


def add_copies(engine, source: str, count: int, prefix: str = "B"):
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        conn.execute(insert(copies), [
            {"source": source, "identifier": f"rec{n}", "n": 1, "item_id": f"{prefix}{n:06d}", "library": source,
             "library_code": "", "location": "", "call_number": "", "status": "available", "due_date": "",
             "note": "", "status_source": "harvest", "updated_at": now} for n in range(1, count + 1)])


def add_patron(engine, card: str, pin: str, **kw):
    patron = patron_store.PatronInput(card=card, pin=pin, name=kw.pop("name", f"Patron {card}"), library="tromso",
                                      category="adult", **kw)
    assert patron_store.check(patron, {"tromso", "alta"}, new=True) == []
    with engine.begin() as conn:
        patron_store.upsert(conn, patron)


@pytest.fixture
def sip(db_url, tmp_path):
    engine = engine_for(db_url)
    migrate(engine)
    settings = core_settings.from_dict({"sources": SOURCES, "database_url": db_url, "data_dir": str(tmp_path),
                                        "circulation": {"pin_failures": 3}})
    service = Circulation(engine, settings,
                          titles=lambda record_id: f"Title of {record_id}")
    add_copies(engine, "tromso", 5)
    add_copies(engine, "alta", 2, prefix="A")
    with engine.begin() as conn:                          # the records the copies belong to, as converted
        conn.execute(insert(transform_records), [
            {"source": "tromso", "identifier": f"rec{n}", "record_id": f"tromso-{n}", "status": "ok",
             "updated_at": datetime.now(timezone.utc)} for n in range(1, 6)])
    add_patron(engine, "N123456789", pin="1234", name=NAME, email="ande@example.org")
    add_patron(engine, "N987654321", pin="9999", language="en")
    add_patron(engine, "N555555555", pin="5555", status="blocked", block_reason="lost card")
    server = Sip2Server(service, [Account("kiosk", "secret", "tromso"), Account("alta", "secret", "alta"),
                                  Account("utf", "secret", "tromso", "utf-8")],
                        port=0).start()
    yield server, engine
    server.stop()
    engine.dispose()


@pytest.fixture
def kiosk(sip):
    k = Kiosk(sip[0].port)
    assert k.login().ok == "1"
    yield k
    k.close()


def test_patron_status_and_information_with_bad_and_good_pin(sip, kiosk):
    bad = kiosk.patron_status("N123456789", "0000")
    assert bad.valid_patron == "Y" and bad.valid_patron_password == "N" and bad.personal_name == ""
    assert bad.patron_status[:4] == "YYYY" and bad.screen_message == ("Feil PIN-kode.",)
    good = kiosk.patron_status("N123456789", "1234")
    assert good.valid_patron_password == "Y" and good.personal_name == NAME       # cp850 both ways
    assert good.patron_status == " " * 14 and good.language == "012"
    unknown = kiosk.patron_info("N000000000", "1234")
    assert unknown.valid_patron == "N" and unknown.valid_patron_password == "N"
    info = kiosk.patron_info("N123456789", "1234")
    assert info.personal_name == NAME and info.charged_items_count == "0000"
    assert info.email_address == "ande@example.org"
    blocked = kiosk.patron_info("N555555555", "5555")
    assert blocked.valid_patron == "Y" and blocked.patron_status[0] == "Y"
    assert blocked.screen_message == ("Lånekortet er sperret. Spør betjeningen.",)


def test_utf8_kiosk_reads_the_same_name(sip):
    k = Kiosk(sip[0].port, encoding="utf-8")
    try:
        assert k.login("utf").ok == "1"                   # an account set to utf-8 answers in UTF-8
        assert k.patron_status("N123456789", "1234").personal_name == NAME
    finally:
        k.close()


def test_checkout_renew_checkin_of_a_real_copy(sip, kiosk):
    out = kiosk.checkout("N123456789", "B000001", pin="1234")      # nb due date sent blank, as kiosks do
    assert out.ok == "1" and out.desensitize == "Y" and out.renewal_ok == "N"
    record_id = sip[0].service.item("B000001").record_id
    assert record_id and out.title_identifier == f"Title of {record_id}" and len(out.due_date) == 18
    assert out.screen_message[0].startswith("Lånt. Leveres innen")
    again = kiosk.checkout("N123456789", "B000001", pin="1234")    # a double scan is the same loan
    assert again.ok == "1" and again.renewal_ok == "Y" and again.due_date == out.due_date
    item = kiosk.item("B000001")
    assert item.circulation_status == "04" and item.due_date == out.due_date
    info = kiosk.patron_info("N123456789", "1234", summary="  Y       ")
    assert info.charged_items_count == "0001" and info.charged_items == ("B000001",)
    renewed = kiosk.renew("N123456789", "B000001", pin="1234")
    assert renewed.ok == "1" and renewed.renewal_ok == "Y" and renewed.due_date >= out.due_date
    other = kiosk.renew("N987654321", "B000001")
    assert other.ok == "0" and other.screen_message == ("This book is not on loan to you.",)
    back = kiosk.checkin("B000001")
    assert back.ok == "1" and back.resensitize == "Y" and back.alert == "N" and back.permanent_location == "tromso"
    assert kiosk.item("B000001").circulation_status == "03"
    twice = kiosk.checkin("B000001")                               # double scan at the return slot
    assert twice.ok == "1"
    assert kiosk.end("N123456789").__class__.__name__ == "EndSessionResponse"


def test_refusals_name_the_reason(sip, kiosk):
    assert kiosk.checkout("N123456789", "B000002").ok == "1"
    taken = kiosk.checkout("N987654321", "B000002")
    assert taken.ok == "0" and taken.screen_message == ("This book is on loan to someone else. Please ask the staff.",)
    unknown = kiosk.checkout("N123456789", "NOPE")
    assert unknown.ok == "0" and unknown.screen_message == ("Ukjent strekkode. Spør betjeningen.",)
    blocked = kiosk.checkout("N555555555", "B000003")
    assert blocked.ok == "0" and "sperret" in blocked.screen_message[0]
    wrong_pin = kiosk.checkout("N987654321", "B000003", pin="0000")
    assert wrong_pin.ok == "0" and wrong_pin.screen_message == ("Wrong PIN.",)
    assert kiosk.item("NOPE").circulation_status == "01"


def test_transit_when_returned_at_another_library(sip):
    server, _ = sip
    k = Kiosk(server.port)
    try:
        assert k.login().ok == "1"
        assert k.checkout("N123456789", "B000004").ok == "1"
        assert k.login("alta").ok == "1"
        raw = k.raw(b"09N20261207    120000" + b" " * 18 + b"APhall|AOalta|ABB000004|AC|\r")
        assert raw.startswith(b"101YNY") and b"AQtromso|" in raw and b"CTtromso|" in raw and b"CV04|" in raw
        assert "transporthylla" in raw.decode("cp850")
        assert k.item("B000004").circulation_status == "10"
    finally:
        k.close()


def test_no_block_checkout_keeps_its_original_time(sip, kiosk):
    _, engine = sip
    out = kiosk.checkout("N123456789", "B000005", no_block="Y", when="20261201    093000")
    assert out.ok == "1"
    with engine.connect() as conn:
        out_at = conn.execute(select(loans.c.out_at).where(loans.c.barcode == "B000005")).scalar()
    local = out_at if out_at.tzinfo else out_at.replace(tzinfo=timezone.utc)
    assert local.astimezone(LOCAL).replace(tzinfo=None) == datetime(2026, 12, 1, 9, 30)
    back = kiosk.checkin("B000005", no_block="Y", when="20261202    100000")
    assert back.ok == "1"


def test_pin_guessing_is_throttled(sip, kiosk):
    for _ in range(3):
        assert kiosk.patron_status("N987654321", "0000").valid_patron_password == "N"
    locked = kiosk.patron_status("N987654321", "9999")                 # the right PIN, too late
    assert locked.valid_patron_password == "N"
    assert locked.screen_message == ("For mange feil PIN-koder. Prøv igjen senere eller spør betjeningen.",)


def test_sip2_client_package_checks_out_and_in(sip, tmp_path):
    from Sip2.sip2 import Sip2
    client = Sip2()
    client.logfile_path = str(tmp_path)                 # it writes sip2.log, by default into the cwd
    client.hostName, client.hostPort, client.hostEncoding = "127.0.0.1", sip[0].port, "cp850"
    client.tlsEnable, client.withCrc, client.withSeq = False, True, True
    client.institutionId, client.patron, client.patronpwd = "tromso", "N123456789", "1234"
    client.connect()
    try:
        assert client.sip_login_response(client.get_response(client.sip_login_request("kiosk", "secret"))
                                         )["fixed"]["Ok"] == "1"
        status = client.sip_patron_status_response(client.get_response(client.sip_patron_status_request()))
        assert status["variable"]["AE"] == [NAME] and status["variable"]["CQ"] == ["Y"]
        out = client.sip_checkout_response(client.get_response(client.sip_checkout_request("B000003")))
        assert out["fixed"]["Ok"] == "1" and out["variable"]["AB"] == ["B000003"]
        back = client.sip_checkin_response(client.get_response(client.sip_checkin_request("B000003")))
        assert back["fixed"]["Ok"] == "1"
    finally:
        client.disconnect()


def test_a_retried_frame_is_answered_again_not_renewed_twice(sip, kiosk):
    _, engine = sip
    assert kiosk.checkout("N123456789", "B000001").ok == "1"
    frame = b"29NN20261207    120000" + b" " * 18 + b"AOtromso|AAN123456789|ABB000001|AC|AY7AZ"
    frame += codec.checksum(frame).encode() + b"\r"
    first = kiosk.raw(frame)
    assert first.startswith(b"301Y")
    assert kiosk.raw(frame) == first                      # the kiosk's retry: the same answer
    with engine.connect() as conn:
        assert conn.execute(select(loans.c.renewals).where(loans.c.barcode == "B000001")).scalar() == 1


def test_patron_information_lists_overdue_items(sip, kiosk):
    assert kiosk.checkout("N123456789", "B000002", no_block="Y", when="20260105    101500").ok == "1"
    assert kiosk.checkout("N123456789", "B000003").ok == "1"
    info = kiosk.patron_info("N123456789", "1234", summary=" Y        ")
    assert info.overdue_items_count == "0001" and info.overdue_items == ("B000002",)
    assert info.charged_items_count == "0002" and info.charged_items == ()


def test_no_block_transactions_follow_the_offline_conflict_rule(sip, kiosk):
    from circulation.offline import Offline
    service = sip[0].service
    assert kiosk.checkout("N123456789", "B000004", no_block="Y", when="20261201    100000").ok == "1"
    again = kiosk.checkout("N123456789", "B000004", no_block="Y", when="20261201    100000")   # resent
    assert again.ok == "1"
    taken = kiosk.checkout("N987654321", "B000004", no_block="Y", when="20261201    110000")
    assert taken.ok == "0"                                   # on loan since 10:00: a conflict for staff
    never = kiosk.checkin("B000003", no_block="Y", when="20261201    120000")
    assert never.ok == "1"                                   # the kiosk kept it; staff see the conflict
    conflicts = Offline(service).conflicts("tromso")
    assert [(c["barcode"], c["reason"], c["channel"]) for c in conflicts] == [
        ("B000004", "already_on_loan", "sip2"), ("B000003", "not_on_loan", "sip2")]
    assert [l.barcode for l in service.loans("N123456789")] == ["B000004"]
