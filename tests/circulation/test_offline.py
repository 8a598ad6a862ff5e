"""Offline transactions on SQLite and PostgreSQL: a resend is idempotent, a batch goes in original-time
order, and conflicts are recorded, shown and resolved, never applied behind staff's back."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from circulation import reasons
from circulation.offline import APPLIED, CONFLICT, DISMISSED, RESOLVED, Offline, Transaction, parse
from circulation.tables import loans

from tests.circulation.conftest import add_patron

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def _t(cid, kind, barcode, minutes, card=""):
    return Transaction(cid, kind, barcode, T0 + timedelta(minutes=minutes), card)


def _open_loans(circ, barcode):
    with circ.engine.connect() as conn:
        return conn.execute(select(loans.c.out_at, loans.c.returned_at).where(loans.c.barcode == barcode)
                            .order_by(loans.c.out_at)).all()


def test_sync_is_idempotent_and_keeps_original_times(circ):
    add_patron(circ.engine, "BUS1")
    off = Offline(circ)
    batch = [_t("d1-1", "checkout", "B000001", 0, "BUS1"), _t("d1-2", "checkout", "B000002", 1, "BUS1")]
    first = off.apply(batch, "tromso", desk="bus")
    assert [o.outcome for o in first] == [APPLIED, APPLIED] and not any(o.duplicate for o in first)
    again = off.apply(batch, "tromso", desk="bus")
    assert [o.duplicate for o in again] == [True, True] and [o.loan_id for o in again] == [o.loan_id for o in first]
    rows = _open_loans(circ, "B000001")
    assert len(rows) == 1
    out_at = rows[0].out_at if rows[0].out_at.tzinfo else rows[0].out_at.replace(tzinfo=timezone.utc)
    assert out_at == T0
    assert circ.patron_status("BUS1").loans == 2


def test_batch_is_applied_in_original_time_order(circ):
    add_patron(circ.engine, "BUS1")
    add_patron(circ.engine, "BUS2")
    off = Offline(circ)
    # sent out of order: checkin (10) after checkout (0), then another patron borrows (20)
    out = off.apply([_t("c", "checkout", "B000003", 20, "BUS2"), _t("b", "checkin", "B000003", 10),
                     _t("a", "checkout", "B000003", 0, "BUS1")], "tromso")
    assert [o.outcome for o in out] == [APPLIED, APPLIED, APPLIED]
    history = _open_loans(circ, "B000003")
    assert len(history) == 2 and history[0].returned_at is not None and history[1].returned_at is None
    assert [l.barcode for l in circ.loans("BUS2")] == ["B000003"] and circ.loans("BUS1") == []


def test_conflicts_are_recorded_not_applied_and_resolved_by_staff(circ):
    add_patron(circ.engine, "ONLINE1")
    add_patron(circ.engine, "BUS1")
    add_patron(circ.engine, "BOAT1")
    off = Offline(circ)
    assert circ.checkout("ONLINE1", "B000004", "tromso", at=T0).ok          # lent online first
    late = off.apply([_t("x1", "checkout", "B000004", 30, "BUS1")], "tromso")[0]
    assert late.outcome == CONFLICT and late.reason == reasons.ALREADY_ON_LOAN
    assert [l.barcode for l in circ.loans("ONLINE1")] == ["B000004"] and circ.loans("BUS1") == []
    never = off.apply([_t("x2", "checkin", "B000005", 5)], "tromso")[0]     # a copy never lent
    assert never.outcome == CONFLICT and never.reason == reasons.NOT_ON_LOAN
    # two desks lend the same copy offline: the later one arrives first, the earlier one still wins
    bus = off.apply([_t("bus", "checkout", "B000006", 40, "BUS1")], "tromso", desk="bus")[0]
    boat = off.apply([_t("boat", "checkout", "B000006", 35, "BOAT1")], "tromso", desk="boat")[0]
    assert bus.outcome == APPLIED and boat.outcome == APPLIED
    assert [l.barcode for l in circ.loans("BOAT1")] == ["B000006"] and circ.loans("BUS1") == []
    unknown = off.apply([_t("x3", "checkout", "NOPE", 1, "BUS1")], "tromso")[0]
    assert unknown.outcome == CONFLICT and unknown.reason == reasons.NOT_FOUND
    listed = off.conflicts("tromso")
    assert [(c["client_id"], c["reason"]) for c in listed] == [
        ("x3", reasons.NOT_FOUND), ("x2", reasons.NOT_ON_LOAN), ("x1", reasons.ALREADY_ON_LOAN),
        ("bus", reasons.ALREADY_ON_LOAN)]
    assert listed[-1]["card"] == "BUS1"
    assert off.conflicts("alta") == []                                      # own library only
    assert off.resolve(listed[0]["id"], "alta", "dismiss", "someone") is None
    applied = off.resolve(next(c["id"] for c in listed if c["client_id"] == "x1"), "tromso", "apply", "anne")
    assert applied.outcome == RESOLVED and [l.barcode for l in circ.loans("BUS1")] == ["B000004"]
    assert off.resolve(listed[0]["id"], "tromso", "dismiss", "anne").outcome == DISMISSED
    assert [c["client_id"] for c in off.conflicts("tromso")] == ["x2", "bus"]
    assert off.apply([_t("x1", "checkout", "B000004", 30, "BUS1")], "tromso")[0].outcome == RESOLVED


def test_parse_refuses_bad_input():
    assert parse({"id": "a", "kind": "checkout", "barcode": "B1", "at": "2026-12-01T09:00:00Z"}) == "malformed"
    assert parse({"id": "a", "kind": "steal", "barcode": "B1", "at": "2026-12-01T09:00:00Z"}) == "malformed"
    assert parse({"id": "a", "kind": "checkin", "barcode": "B1", "at": "yesterday"}) == "malformed"
    assert parse({"id": "a", "kind": "checkin", "barcode": "B1", "at": "2999-01-01T00:00:00Z"}) == "future"
    assert parse("x") == "malformed"
    ok = parse({"id": "a", "kind": "checkin", "barcode": "B1", "at": "2026-12-01T09:00:00.000Z"})
    assert ok.at == T0 and ok.kind == "checkin"
