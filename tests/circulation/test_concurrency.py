"""Parallel checkouts on a real PostgreSQL: never two open loans for one copy, never a patron over the
limit (the database enforces the first, the patron-row lock the second)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from circulation import reasons, rules
from circulation.service import Circulation
from circulation.tables import loans
from core.db import engine_for, migrate

from tests.circulation.conftest import add_copies, add_patron, settings_for


@pytest.fixture
def pg_circ(pg_url, tmp_path):
    engine = engine_for(pg_url)
    migrate(engine)
    add_copies(engine, "tromso", 60)
    yield Circulation(engine, settings_for(pg_url, tmp_path))
    engine.dispose()


def test_one_copy_many_patrons_one_loan(pg_circ):
    cards = [f"LOCAL{n:03d}" for n in range(12)]
    for card in cards:
        add_patron(pg_circ.engine, card)
    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(lambda card: pg_circ.checkout(card, "B000001", "tromso"), cards))
    assert sum(r.ok for r in results) == 1
    assert {r.reason for r in results if not r.ok} == {reasons.ALREADY_ON_LOAN}
    with pg_circ.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(loans).where(loans.c.returned_at.is_(None))).scalar() == 1


def test_one_patron_many_copies_stays_within_limit(pg_circ):
    add_patron(pg_circ.engine, "KID1", category="child")
    with pg_circ.engine.begin() as conn:
        rules.put(conn, category="child", loan_days=21, renewals=1, loan_limit=5, hold_limit=2)
    barcodes = [f"B{n:06d}" for n in range(1, 41)]
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda b: pg_circ.checkout("KID1", b, "tromso"), barcodes))
    assert sum(r.ok for r in results) == 5
    assert {r.reason for r in results if not r.ok} == {reasons.LIMIT}
    assert len(pg_circ.loans("KID1")) == 5


def test_double_scans_in_parallel_make_one_loan(pg_circ):
    add_patron(pg_circ.engine, "READER1")
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: pg_circ.checkout("READER1", "B000007", "tromso"), range(8)))
    assert all(r.ok for r in results) and len({r.loan.id for r in results}) == 1
    assert sum(not r.repeat for r in results) == 1


def test_parallel_holds_one_copy_is_promised_once_and_the_hold_limit_holds(pg_circ):
    from circulation.holds import Holds
    from circulation.tables import holds as holds_table
    holds = Holds(pg_circ)
    cards = [f"HOLD{n:03d}" for n in range(10)]
    for card in cards:
        add_patron(pg_circ.engine, card)
    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(lambda card: holds.place(card, record=("tromso", "rec5"), pickup="tromso"), cards))
    assert all(r.ok for r in results)
    assert sum(r.hold.lender_library is not None for r in results) == 1           # one copy, one promise
    assert sorted(holds.get(r.hold.id).position for r in results) == list(range(1, 11))
    add_patron(pg_circ.engine, "GREEDY1", category="child")
    with pg_circ.engine.begin() as conn:
        rules.put(conn, category="child", loan_days=21, renewals=1, loan_limit=5, hold_limit=3)
    with ThreadPoolExecutor(12) as pool:
        placed = list(pool.map(lambda n: holds.place("GREEDY1", record=("tromso", f"rec{n}"), pickup="tromso"),
                               range(20, 32)))
    assert sum(r.ok for r in placed) == 3 and {r.reason for r in placed if not r.ok} == {reasons.LIMIT}
    with pg_circ.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(holds_table).where(
            holds_table.c.assigned_copy_id.is_not(None))).scalar() == 4
