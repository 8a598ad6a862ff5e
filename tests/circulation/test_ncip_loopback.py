"""Inter-library loan between two Grenseløs installations (two counties, two databases, two real HTTP
servers on 127.0.0.1): request → ship → receive → lend to the patron → renew → return → ship back →
received, each side's state moved by the other's NCIP messages, and both sides' statistics counting it."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from circulation import statistics
from circulation.ncip import messages, schema
from circulation.tables import loans
from grenselos.cli import cli
from tests import staff_signin
from tests.circulation.conftest import add_copies, add_patron
from tests.circulation.ncip_county import County, LoopbackServer, add_record

TROMSO, BODO = "NO-1990001", "NO-1804000"
ISBN = "9788202000011"
SECRET = "between-counties"


@pytest.fixture
def counties(tmp_path):
    troms_server, nordland_server = LoopbackServer(), LoopbackServer()
    troms = County(tmp_path / "troms", [
        {"id": "tromso", "name": "Tromsø bibliotek", "isil": TROMSO, "municipality": "Tromsø", "circulation": True},
        {"id": "alta", "name": "Alta bibliotek", "isil": "NO-2012000", "municipality": "Alta", "circulation": True}],
        [{"agency": BODO, "name": "Bodø bibliotek", "endpoint": nordland_server.url + "/ncip", "token": SECRET,
          "addresses": ["127.0.0.1"]}], troms_server)
    nordland = County(tmp_path / "nordland", [
        {"id": "bodo", "name": "Bodø bibliotek", "isil": BODO, "municipality": "Bodø", "circulation": True}],
        [{"agency": TROMSO, "name": "Tromsø bibliotek", "endpoint": troms_server.url + "/ncip", "token": SECRET}],
        nordland_server)
    add_copies(troms.engine, "tromso", 1)                          # rec1: Tromsø's one copy of the title
    add_record(troms.engine, "tromso", "rec1", "r1", ISBN)
    add_patron(troms.engine, "N000000001", library="tromso")
    add_patron(troms.engine, "N000000002", library="tromso")
    add_record(troms.engine, "tromso", "rec9", "r9", "")                 # a record without an ISBN
    add_copies(nordland.engine, "bodo", 1, prefix="BODO")          # BODO000001, the same ISBN
    add_record(nordland.engine, "bodo", "rec1", "x1", ISBN)
    yield troms, nordland
    troms.close()
    nordland.close()


def state(county, request_id=None):
    [row] = county.ill.requests() if request_id is None else [county.ill.get(request_id)]
    return row


def test_a_loan_from_another_county_end_to_end(counties):
    troms, nordland = counties
    staff_signin.add(troms.settings.database_url, "tromso-desk", "tromso", "librarian", staff_signin.PASSWORD)
    client = troms.app.test_client()
    staff_signin.sign_in_client(client, "tromso-desk", staff_signin.PASSWORD)
    token = staff_signin.csrf_from(client, "/staff/ill")
    ask = {"csrf_token": token, "action": "request", "card": "N000000001", "record": "tromso-r1"}

    refused = client.post("/staff/ill.json", data=ask)                    # the county's own copy is on the shelf
    assert refused.status_code == 409 and refused.get_json()["message"]["reason"] == "ill_available_in_county"
    assert troms.circ.checkout("N000000002", "B000001", "tromso").ok
    asked = client.post("/staff/ill.json", data=ask)
    assert asked.status_code == 201, asked.get_json()
    home = asked.get_json()["requests"][0]
    assert (home["role"], home["state"], home["peer"], home["barcode"]) == ("borrowing", "requested", BODO,
                                                                             "BODO000001")
    away = state(nordland)
    assert (away["role"], away["state"], away["peer"], away["request_id"]) == ("lending", "requested", TROMSO,
                                                                                 home["request_id"])

    assert nordland.ill.ship(away["id"]).ok                                # call 4
    home = state(troms)
    assert home["state"] == "shipped" and home["due_date"]
    with nordland.engine.connect() as conn:
        lent = conn.execute(select(loans).where(loans.c.barcode == "BODO000001")).first()
    assert lent.patron_category == "ill-library" and lent.returned_at is None

    assert troms.ill.receive(home["id"]).ok                                # call 5
    assert state(nordland)["state"] == "received"
    assert troms.ill.lend(home["id"]).ok
    assert troms.ill.lend(home["id"]).reason == "ill_wrong_state"          # not twice
    before = state(troms)["due_date"]
    renewed = troms.ill.renew(home["id"])                                   # RenewItem over the wire
    assert renewed.ok and renewed.request["renewals"] == 1 and renewed.request["due_date"] >= before
    assert state(nordland)["renewals"] == 1
    assert troms.ill.give_back(home["id"]).ok
    assert troms.ill.ship(home["id"]).ok                                   # call 6
    assert state(nordland)["state"] == "shipped_back"
    assert nordland.ill.receive(away["id"]).ok                             # call 7
    assert state(troms)["state"] == state(nordland)["state"] == "done"
    with nordland.engine.connect() as conn:
        assert conn.execute(select(loans.c.returned_at).where(loans.c.barcode == "BODO000001")).scalar()
        year = datetime.now(timezone.utc).year
        assert statistics.annual(conn, "bodo", year)["ill_loans_out"] == 1
    with troms.engine.connect() as conn:
        assert statistics.annual(conn, "tromso", year)["ill_loans_in"] == 1

    for county in (troms, nordland):                   # every message each side got, and every answer, is NCIP 2.02
        assert len(county.server.exchanges) >= 2
        for received, answered in county.server.exchanges:
            assert schema.errors(received) == [] and schema.errors(answered) == [], (received, answered)
    services = {messages.parse(r).service for county in (troms, nordland) for r, _ in county.server.exchanges}
    assert services == {"RequestItem", "ItemShipped", "ItemReceived", "RenewItem"}
    assert len(troms.server.exchanges) + len(nordland.server.exchanges) == 6     # calls 3, 4, 5, renew, 6, 7

    page = client.get("/staff/ill")
    assert page.status_code == 200 and "BODO000001" in page.get_data(as_text=True)
    staff_signin.add(troms.settings.database_url, "alta-desk", "alta", "librarian", staff_signin.PASSWORD)
    alta = troms.app.test_client()
    staff_signin.sign_in_client(alta, "alta-desk", staff_signin.PASSWORD)
    other = alta.post("/staff/ill.json", data={"csrf_token": staff_signin.csrf_from(alta, "/staff/ill"),
                                               "action": "cancel", "id": str(home["id"])})
    assert other.status_code == 404 and other.get_json()["requests"] == []      # Tromsø's request, not Alta's


def test_the_command_line_asks_and_cancels(counties, tmp_path):
    troms, nordland = counties
    assert troms.circ.checkout("N000000002", "B000001", "tromso").ok
    config = tmp_path / "troms.toml"
    config.write_text(f'''data_dir = "{troms.settings.data_dir}"
[[sources]]
id = "tromso"
name = "Tromsø bibliotek"
isil = "{TROMSO}"
municipality = "Tromsø"
circulation = true
[ncip]
enabled = true
[[ncip.peers]]
agency = "{BODO}"
endpoint = "{nordland.url}/ncip"
token_env = "NCIP_TEST_TOKEN"
''')
    runner = CliRunner()
    env = {"NCIP_TEST_TOKEN": SECRET}
    asked = runner.invoke(cli, ["--config", str(config), "ill", "request", "--card", "N000000001",
                                "--record", "tromso-r1"], env=env)
    assert asked.exit_code == 0, asked.output
    home = state(troms)
    assert state(nordland)["state"] == "requested"
    cancelled = runner.invoke(cli, ["--config", str(config), "ill", "cancel", str(home["id"])], env=env)
    assert cancelled.exit_code == 0, cancelled.output
    assert state(troms)["state"] == state(nordland)["state"] == "cancelled"
    no_isbn = runner.invoke(cli, ["--config", str(config), "ill", "request", "--card", "N000000001",
                                  "--record", "tromso-r9"], env=env)
    assert no_isbn.exit_code == 1 and '"ill_no_isbn"' in no_isbn.output
    wrong = runner.invoke(cli, ["--config", str(config), "ill", "request", "--card", "N000000001",
                                "--record", "tromso-r1"], env={"NCIP_TEST_TOKEN": "not-the-secret"})
    assert wrong.exit_code == 1 and "Agency Authentication Failed" in wrong.output
