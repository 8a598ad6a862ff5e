"""Our responder against NNCIPP messages as Koha's NNCIPP backend and NCIPServer write them (see
ncip_messages/README.md): one county lends to a Koha library; every answer validates against NCIP 2.02,
and so does every message we send to the Koha side (a loopback HTTP peer that records them)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from circulation import statistics
from circulation.ncip import messages, schema
from circulation.tables import loans
from tests.circulation.conftest import add_copies
from tests.circulation.ncip_county import County, LoopbackServer, add_record

HERE = Path(__file__).with_name("ncip_messages")
KOHA = "NO-2030000"
TROMSO = "NO-1990001"
SECRET = "koha-shared-secret"


class KohaPeer:
    """The Koha side, as far as our messages go: keeps what we send, answers an empty success response."""

    def __init__(self):
        self.received: list[bytes] = []

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        self.received.append(body)
        m = messages.parse(body)
        root, _ = messages.response(m.service, m.to_agency, m.from_agency)
        start_response("200 OK", [("Content-Type", "application/xml")])
        return [messages.serialize(root)]


@pytest.fixture
def troms(tmp_path, db_url):
    koha = KohaPeer()
    peer_server = LoopbackServer(koha)
    county = County(tmp_path / "troms", [
        {"id": "tromso", "name": "Tromsø bibliotek", "isil": TROMSO, "municipality": "Tromsø", "circulation": True}],
        [{"agency": KOHA, "name": "Koha bibliotek", "endpoint": peer_server.url + "/ncip", "token": SECRET}],
        LoopbackServer(), db_url)
    add_copies(county.engine, "tromso", 3)
    add_record(county.engine, "tromso", "rec2", "r2", "9788202000004")
    county.koha = koha
    yield county
    county.close()
    peer_server.close()


def post(county, body: bytes, token: str = SECRET):
    client = county.app.test_client()
    response = client.post("/ncip", data=body, headers={"Content-Type": "application/xml",
                                                         "Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert schema.errors(response.data) == [], response.data
    return messages.parse(response.data)


def recorded(name: str) -> bytes:
    return (HERE / name).read_bytes()


def test_recorded_koha_loan_is_answered_through_its_whole_life(troms):
    answer = post(troms, recorded("koha_RequestItem.xml"))
    assert answer.service == "RequestItemResponse" and not answer.problems
    assert (answer.request_agency, answer.request_id, answer.item_id) == (KOHA, "2345", "B000001")
    assert (answer.from_agency, answer.to_agency) == (TROMSO, KOHA)
    assert post(troms, recorded("koha_RequestItem.xml")).request_id == "2345"       # a repeat: the same request
    [request] = troms.ill.requests()
    assert (request["role"], request["state"], request["peer"]) == ("lending", "requested", KOHA)

    shipped = troms.ill.ship(request["id"])
    assert shipped.ok, shipped
    sent = messages.parse(troms.koha.received[-1])
    assert sent.service == "ItemShipped" and schema.errors(troms.koha.received[-1]) == []
    assert (sent.request_agency, sent.request_id, sent.item_id) == (KOHA, "2345", "B000001") and sent.date_due
    with troms.engine.connect() as conn:
        loan = conn.execute(select(loans).where(loans.c.barcode == "B000001")).first()
    assert loan.patron_category == "ill-library" and loan.returned_at is None

    assert not post(troms, recorded("koha_ItemReceived.xml")).problems
    assert troms.ill.get(request["id"])["state"] == "received"
    renewed = post(troms, recorded("koha_RenewItem.xml"))
    assert renewed.service == "RenewItemResponse" and not renewed.problems and renewed.date_due
    assert troms.ill.get(request["id"])["renewals"] == 1
    assert not post(troms, recorded("koha_ItemShipped.xml")).problems
    assert troms.ill.get(request["id"])["state"] == "shipped_back"

    home = troms.ill.receive(request["id"])
    assert home.ok and home.request["state"] == "done"
    back = messages.parse(troms.koha.received[-1])
    assert back.service == "ItemReceived" and schema.errors(troms.koha.received[-1]) == []
    with troms.engine.connect() as conn:
        assert conn.execute(select(loans.c.returned_at).where(loans.c.barcode == "B000001")).scalar() is not None
        report = statistics.annual(conn, "tromso", datetime.now(timezone.utc).year)
    assert report["ill_loans_out"] == 1


def test_recorded_koha_isbn_request_and_its_cancellation(troms):
    answer = post(troms, recorded("koha_RequestItem_isbn.xml"))
    assert not answer.problems and answer.item_id == "B000002"
    cancelled = post(troms, recorded("koha_CancelRequestItem.xml"))
    assert cancelled.service == "CancelRequestItemResponse" and not cancelled.problems
    assert [r["state"] for r in troms.ill.requests()] == ["cancelled"]

    by_record = post(troms, messages.request_item(KOHA, TROMSO, request_id="2347", user="user001", record="rec3"))
    assert not by_record.problems and by_record.item_id == "B000003"          # OwnerLocalRecordID
    unknown = post(troms, messages.request_item(KOHA, TROMSO, request_id="2348", user="user001",
                                                isbns=["9788202000011"]))
    assert [p.type for p in unknown.problems] == ["Unknown Item"]
    again = post(troms, recorded("koha_ItemShipped.xml"))           # nothing of request 2345 here
    assert [p.type for p in again.problems] == ["Unknown Request"]


@pytest.mark.parametrize("name, problem", [
    ("koha_ItemRequested.xml", "Unsupported Service"),
    ("ncipserver_LookupItem.xml", "Needed Data Missing"),
])
def test_recorded_messages_we_do_not_serve_get_a_problem(troms, name, problem):
    assert [p.type for p in post(troms, recorded(name)).problems] == [problem]


def test_peers_are_authenticated_and_bad_input_is_a_problem_not_an_error(troms):
    lookup = messages.lookup_agency(KOHA, TROMSO)
    client = troms.app.test_client()
    raw = client.post("/ncip", data=lookup, headers={"Authorization": f"Bearer {SECRET}"}).data
    agency = messages.parse(raw)
    assert agency.service == "LookupAgencyResponse" and not agency.problems and agency.agency == TROMSO
    assert b"NNCIPP 1.0" in raw and "Tromsø bibliotek".encode() in raw
    assert [p.type for p in post(troms, lookup, token="wrong").problems] == ["Agency Authentication Failed"]
    assert [p.type for p in post(troms, messages.lookup_agency("NO-9999999", TROMSO)).problems] == ["Unknown Agency"]
    assert [p.type for p in post(troms, messages.lookup_agency(KOHA, "NO-1111111")).problems] == ["Unknown Agency"]
    assert [p.type for p in post(troms, b"<not-xml").problems] == ["Invalid Message Syntax Error"]
    assert [p.type for p in post(troms, b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>"
                                         b"<x>&e;</x>").problems] == ["Invalid Message Syntax Error"]
    assert [p.type for p in post(troms, b"<x>" + b"y" * 70_000 + b"</x>").problems] == ["Invalid Message Syntax Error"]
    item = post(troms, messages.lookup_item(KOHA, TROMSO, "B000003"))
    assert item.service == "LookupItemResponse" and item.item_id == "B000003"
    raw = client.post("/ncip", data=messages.lookup_item(KOHA, TROMSO, "B000003"),
                      headers={"Authorization": f"Bearer {SECRET}"}).data
    assert b">Available On Shelf</ns1:CirculationStatus>" in raw and schema.errors(raw) == []
    assert [p.type for p in post(troms, messages.lookup_item(KOHA, TROMSO, "NOPE")).problems] == ["Unknown Item"]


@pytest.mark.parametrize("peer, complaint", [
    ({"agency": KOHA}, "neither a token"),
    ({"agency": "not an isil", "token": "x"}, "ISIL"),
    ({"agency": KOHA, "token": "x", "endpoint": "ftp://x"}, "URL"),
])
def test_peer_settings_are_checked(tmp_path, peer, complaint):
    from core import settings as core_settings
    from core.errors import ConfigError
    with pytest.raises(ConfigError, match=complaint):
        core_settings.from_dict({"data_dir": str(tmp_path), "ncip": {"peers": [peer]}})
    twice = {"agency": KOHA, "addresses": ["127.0.0.1"]}
    with pytest.raises(ConfigError, match="duplicate NCIP peer"):
        core_settings.from_dict({"data_dir": str(tmp_path), "ncip": {"peers": [twice, twice]}})
