"""Migrated patrons' PINs: hashed with the light PIN parameters (never in clear), accepted by the patron API
and SIP2, and rehashed to the current parameters at the next sign-in; staff passwords stay strong."""

from __future__ import annotations

import base64

import pytest
from argon2 import extract_parameters
from sqlalchemy import select, update

from accounts import passwords
from accounts.store import Accounts
from circulation.service import Circulation
from circulation.sip2.server import Sip2Server
from circulation.sip2.session import Account
from circulation.tables import patrons
from core import settings as core_settings
from core.db import engine_for

from tests.migration import make_files
from tests.migration.test_mikromarc import CONFIG, run
from tests.sip2.kiosk import Kiosk


@pytest.fixture
def migrated(db_url, tmp_path, write_config):
    config = write_config(CONFIG.format(url=db_url))
    files = make_files.write_all(tmp_path / "export", copies=10, patrons=5, loans=3)
    out = run(config, str(files["marc21"]), "--patrons", str(files["patrons"]))
    assert out.exit_code == 0, out.output
    settings = core_settings.load(config)
    engine = engine_for(db_url)
    yield settings, engine
    engine.dispose()


def stored(engine, card: str) -> str:
    with engine.connect() as conn:
        return conn.execute(select(patrons.c.pin_hash).where(patrons.c.card == card)).scalar_one()


def test_migrated_pins_are_light_argon2id_hashes_never_clear(migrated):
    settings, engine = migrated
    with engine.connect() as conn:
        rows = conn.execute(select(patrons)).mappings().all()
    assert len(rows) == 5
    for row in rows:
        assert not any("1234" in str(value) for value in row.values())          # the PIN is nowhere in clear
        params = extract_parameters(row["pin_hash"])
        assert params.type.name == "ID" and params.memory_cost == settings.circulation.pin_hash_memory_kib
        assert params.time_cost == settings.circulation.pin_hash_time_cost
    assert len({row["pin_hash"] for row in rows}) == 5                          # salted: one PIN, five hashes


def test_migrated_patron_signs_in_through_the_patron_api(migrated):
    from portal.app import create_app
    settings, engine = migrated
    app = create_app(settings, {"TESTING": True, "SECRET_KEY": "test-only-key-" + "x" * 32})
    client = app.test_client()
    auth = {"Authorization": "Basic " + base64.b64encode(b"L0000001:1234").decode()}
    ok = client.get("/api/patron", headers=auth)
    assert ok.status_code == 200 and ok.get_json()["loans"] == []
    wrong = {"Authorization": "Basic " + base64.b64encode(b"L0000001:4321").decode()}
    assert client.get("/api/patron", headers=wrong).status_code == 401


def test_migrated_patron_signs_in_over_sip2(migrated):
    settings, engine = migrated
    server = Sip2Server(Circulation(engine, settings), [Account("kiosk", "secret", "tromso")], port=0).start()
    kiosk = Kiosk(server.port)
    try:
        assert kiosk.login().ok == "1"
        assert kiosk.patron_status("L0000002", "1234").valid_patron_password == "Y"          # 23 → 24
        assert kiosk.patron_info("L0000002", "1234").valid_patron_password == "Y"            # 63 → 64
        assert kiosk.patron_status("L0000002", "9999").valid_patron_password == "N"
    finally:
        kiosk.close()
        server.stop()


def test_sign_in_rehashes_to_the_current_parameters(migrated):
    settings, engine = migrated
    strong = passwords.hash_password("1234")                  # as PINs were hashed before they had their own set
    with engine.begin() as conn:
        conn.execute(update(patrons).where(patrons.c.card == "L0000003").values(pin_hash=strong))
    circ = Circulation(engine, settings)
    assert not circ.authenticate_patron("L0000003", "0000").ok and stored(engine, "L0000003") == strong
    assert circ.authenticate_patron("L0000003", "1234").ok
    assert extract_parameters(stored(engine, "L0000003")).memory_cost == settings.circulation.pin_hash_memory_kib
    raised = core_settings.from_dict({"database_url": settings.database_url, "data_dir": str(settings.data_dir),
                                      "sources": [{"id": "tromso", "name": "Tromsø bibliotek",
                                                   "municipality": "Tromsø", "circulation": True}],
                                      "circulation": {"pin_hash_memory_kib": 8192, "pin_hash_time_cost": 2}})
    before = stored(engine, "L0000004")
    assert Circulation(engine, raised).authenticate_patron("L0000004", "1234").ok
    after = extract_parameters(stored(engine, "L0000004"))
    assert stored(engine, "L0000004") != before and (after.memory_cost, after.time_cost) == (8192, 2)
    assert Circulation(engine, settings).authenticate_patron("L0000004", "1234").ok       # and back down


def test_staff_passwords_keep_the_strong_parameters(migrated):
    settings, _ = migrated
    accounts = Accounts.open(settings.database_url, settings.staff)
    light = passwords.pin_hasher(settings.circulation.pin_hash_memory_kib, settings.circulation.pin_hash_time_cost)
    assert accounts.hasher is passwords.HASHER and accounts.hasher is not light
    strong = extract_parameters(passwords.hash_password("a long staff passphrase"))
    assert strong.memory_cost == 65536 and strong.time_cost >= 3
