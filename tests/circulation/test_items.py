"""Returns at any county library (home or floating), lost and found with replacement claims, and staff
edits of a patron — on SQLite and PostgreSQL (the `circ` fixture's county: tromso and alta lend)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from accounts import Principal
from accounts.tables import staff_events
from circulation import reasons, rules
from circulation.service import Circulation
from circulation.tables import claims, loans
from tests.circulation.conftest import CONFIG, add_copies, add_patron, settings_for
from transform.copies import copies

AT = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
TROMSO = Principal("tor", "tromso", "librarian")
ALTA = Principal("ann", "alta", "librarian")


def _copy(circ, barcode):
    with circ.engine.connect() as conn:
        return conn.execute(select(copies).where(copies.c.item_id == barcode)).first()


def _events(circ):
    with circ.engine.connect() as conn:
        return [(r.event, r.principal, r.target, r.detail)
                for r in conn.execute(select(staff_events).order_by(staff_events.c.id))]


# --- returns: home or floating ---------------------------------------------------------------------

def test_a_copy_returned_elsewhere_goes_home_by_default(circ):
    add_patron(circ.engine, "READER1")
    assert circ.checkout("READER1", "B000001", "tromso", at=AT).ok
    back = circ.checkin("B000001", "alta", at=AT + timedelta(days=3))
    assert back.ok and back.destination == "transit" and back.to_library == "tromso" and not back.floated
    copy = _copy(circ, "B000001")
    assert copy.status == "in_transit" and copy.library == "tromso"


@pytest.fixture
def floating(db_url, tmp_path):
    """The same county, but Tromsø's copies float."""
    from core.db import engine_for, migrate
    config = {**CONFIG, "sources": [dict(s, floating=True) if s["id"] == "tromso" else s
                                    for s in CONFIG["sources"]]}
    engine = engine_for(db_url)
    migrate(engine)
    from core import settings as core_settings
    service = Circulation(engine, core_settings.from_dict({**config, "database_url": db_url,
                                                           "data_dir": str(tmp_path)}))
    add_copies(engine, "tromso", 3)
    add_copies(engine, "alta", 3, prefix="A")
    yield service
    engine.dispose()


def test_a_floating_copy_stays_where_it_was_returned(floating):
    assert floating.floating_sources == {"tromso"}
    add_patron(floating.engine, "READER1")
    assert floating.checkout("READER1", "B000001", "tromso", at=AT).ok
    back = floating.checkin("B000001", "alta", at=AT + timedelta(days=3))
    assert back.ok and back.floated and back.destination == "shelf" and back.to_library == ""
    copy = _copy(floating, "B000001")
    assert copy.status == "available" and copy.library == "alta"
    assert floating.item("B000001").home_library == "alta"
    # lent from Alta now, returned in Tromsø: it floats again
    assert floating.checkout("READER1", "B000001", "alta", at=AT + timedelta(days=4)).ok
    assert floating.checkin("B000001", "tromso", at=AT + timedelta(days=5)).floated
    assert _copy(floating, "B000001").library == "tromso"
    # Alta's own copies do not float: home they go
    assert floating.checkout("READER1", "A000001", "alta", at=AT).ok
    back = floating.checkin("A000001", "tromso", at=AT + timedelta(days=1))
    assert back.destination == "transit" and back.to_library == "alta" and not back.floated
    assert _copy(floating, "A000001").library == "alta"


def test_the_floating_setting_defaults_to_home_return(circ):
    assert circ.floating_sources == frozenset()
    assert all(s.floating is False for s in circ.settings.sources)


# --- lost and found, claims ------------------------------------------------------------------------

def test_staff_mark_a_lent_copy_lost_and_a_claim_names_the_patron_without_amount(circ):
    add_patron(circ.engine, "READER1")
    assert circ.checkout("READER1", "B000001", "tromso", at=AT).ok
    assert circ.mark_lost("B000001", ALTA).reason == reasons.NOT_ALLOWED      # not Alta's copy nor loan
    lost = circ.mark_lost("B000001", TROMSO, at=AT + timedelta(days=40), client="10.0.0.5")
    assert lost.ok and lost.reason == reasons.OK and lost.item.status == "lost"
    assert lost.claim.patron_card == "READER1" and lost.claim.amount == 0 and lost.claim.status == "open"
    assert _copy(circ, "B000001").status == "lost"
    assert circ.loans("READER1") == []                                        # the limit frees up
    again = circ.mark_lost("B000001", TROMSO)
    assert again.ok and again.reason == reasons.ALREADY_LOST and again.claim.id == lost.claim.id
    assert [c.id for c in circ.claims(card="READER1")] == [lost.claim.id]
    assert [c.barcode for c in circ.claims(library="tromso")] == ["B000001"]
    assert ("copy_marked_lost", "tor", "B000001", f"claim {lost.claim.id}") in _events(circ)


def test_a_rule_with_fees_sets_the_claim_amount(circ):
    with circ.engine.begin() as conn:
        rules.put(conn, library="tromso", loan_days=28, renewals=2, loan_limit=30, hold_limit=10, fees=True,
                  replacement_fee=350)
        rules.put(conn, library="tromso", category="child", loan_days=28, renewals=2, loan_limit=30,
                  hold_limit=10, fees=False, replacement_fee=350)
    add_patron(circ.engine, "ADULT1")
    add_patron(circ.engine, "CHILD1", category="child")
    assert circ.checkout("ADULT1", "B000001", "tromso", at=AT).ok
    assert circ.checkout("CHILD1", "B000002", "tromso", at=AT).ok
    assert circ.mark_lost("B000001", TROMSO).claim.amount == 350
    assert circ.mark_lost("B000002", TROMSO).claim.amount == 0                 # fees off for children
    with circ.engine.connect() as conn:
        assert rules.explain(conn, library="tromso", category="adult", item_type="book")["rule"][
            "replacement_fee"] == 350


def test_a_lost_copy_scanned_at_checkin_is_found_and_its_claim_closed(circ):
    add_patron(circ.engine, "READER1")
    assert circ.checkout("READER1", "B000003", "tromso", at=AT).ok
    claim = circ.mark_lost("B000003", TROMSO, at=AT + timedelta(days=50)).claim
    back = circ.checkin("B000003", "alta", at=AT + timedelta(days=60))
    assert back.ok and back.reason == reasons.FOUND and back.destination == "transit" and back.loan is None
    assert _copy(circ, "B000003").status == "in_transit"
    assert circ.claims(card="READER1") == []
    found = circ.claims(card="READER1", status=None)
    assert [(c.id, c.status) for c in found] == [(claim.id, "found")] and found[0].closed_at is not None


def test_a_lost_copy_checked_out_again_is_found(circ):
    add_patron(circ.engine, "READER1")
    add_patron(circ.engine, "READER2")
    assert circ.mark_lost("B000004", TROMSO).ok                                  # lost off the shelf
    assert circ.claims(library="tromso")[0].patron_card is None
    assert circ.checkout("READER2", "B000004", "tromso", at=AT).ok
    assert circ.claims(library="tromso") == []


def test_loans_overdue_past_the_limit_become_lost(db_url, tmp_path):
    from core.db import engine_for, migrate
    engine = engine_for(db_url)
    migrate(engine)
    circ = Circulation(engine, settings_for(db_url, tmp_path, circulation={"lost_after_days": 60}))
    try:
        add_copies(engine, "tromso", 3)
        add_patron(engine, "READER1")
        assert circ.checkout("READER1", "B000001", "tromso", at=AT).ok
        assert circ.checkout("READER1", "B000002", "tromso", at=AT + timedelta(days=30)).ok
        due = circ.loans("READER1")[0].due_date
        assert circ.mark_overdue_lost(at=AT + timedelta(days=10)) == []
        lost = circ.mark_overdue_lost(at=datetime.combine(due + timedelta(days=61), AT.timetz()))
        assert [r.item.barcode for r in lost] == ["B000001"] and lost[0].claim.patron_card == "READER1"
        assert [l.barcode for l in circ.loans("READER1")] == ["B000002"]
        assert circ.mark_overdue_lost(at=datetime.combine(due + timedelta(days=62), AT.timetz())) == []
        assert Circulation(engine, settings_for(db_url, tmp_path)).mark_overdue_lost(
            at=AT + timedelta(days=900)) == []                                     # 0 (default): never
    finally:
        engine.dispose()


def test_settling_a_claim_is_for_the_lending_library(circ):
    add_patron(circ.engine, "READER1")
    assert circ.checkout("READER1", "B000005", "tromso", at=AT).ok
    claim = circ.mark_lost("B000005", TROMSO).claim
    assert not circ.settle_claim(claim.id, ALTA)
    assert circ.settle_claim(claim.id, TROMSO)
    assert not circ.settle_claim(claim.id, TROMSO)                               # already closed
    assert circ.claims(status="settled")[0].id == claim.id


# --- staff edit a patron ---------------------------------------------------------------------------

def test_staff_edit_their_own_library_patron_and_the_change_is_audited(circ):
    add_patron(circ.engine, "READER1", email="a@example.org")
    result = circ.edit_patron("READER1", TROMSO, {"name": "Áile Ánde", "email": "aile@example.org",
                                                  "phone": "+47 900 00 000", "language": "se",
                                                  "category": "pupil"}, client="10.0.0.9")
    assert result.ok and result.changed == ("name", "email", "phone", "language", "category")
    p = circ.patron("READER1")
    assert (p.name, p.email, p.language, p.category) == ("Áile Ánde", "aile@example.org", "se", "pupil")
    assert _events(circ)[-1] == ("patron_edited", "tor", "READER1", "name,email,phone,language,category")
    assert circ.edit_patron("READER1", TROMSO, {"name": "Áile Ánde"}).changed == ()
    assert len(_events(circ)) == 1                                               # nothing changed: no event


def test_staff_block_and_unblock_with_a_reason(circ):
    add_patron(circ.engine, "READER1")
    refused = circ.edit_patron("READER1", TROMSO, {"status": "blocked"})
    assert not refused.ok and refused.reason == reasons.INVALID
    assert circ.edit_patron("READER1", TROMSO, {"status": "blocked", "block_reason": "Lost card"}).ok
    assert circ.patron("READER1").block_reason == "Lost card"
    assert circ.checkout("READER1", "B000001", "tromso", at=AT).reason == reasons.BLOCKED
    opened = circ.edit_patron("READER1", TROMSO, {"status": "active"})
    assert opened.ok and opened.patron.status == "active" and opened.patron.block_reason == ""
    assert [e[3] for e in _events(circ)] == ["status,block_reason", "status,block_reason"]


def test_staff_cannot_edit_another_library_patron_or_write_bad_data(circ):
    add_patron(circ.engine, "READER1", library="tromso")
    refused = circ.edit_patron("READER1", ALTA, {"name": "X"})
    assert not refused.ok and refused.reason == reasons.NOT_ALLOWED
    assert circ.patron("READER1").name == "Patron READER1"
    assert _events(circ) == [("patron_view_refused", "ann", "READER1", None)]
    bad = circ.edit_patron("READER1", TROMSO, {"email": "nope", "language": "de", "category": "pirate"})
    assert not bad.ok and bad.reason == reasons.INVALID and len(bad.problems) == 3
    assert circ.edit_patron("READER1", TROMSO, {"card": "N000000001"}).reason == reasons.INVALID
    assert circ.edit_patron("NOBODY1", TROMSO, {"name": "X"}).reason == reasons.PATRON_NOT_FOUND
    assert circ.edit_patron("READER1", Principal("cat", "alta", "county-admin"), {"name": "Y"}).ok


# --- item types --------------------------------------------------------------------------------------

def test_the_rules_resolve_on_the_copies_own_item_types(circ):
    from sqlalchemy import insert, update
    from circulation.tables import copy_types
    with circ.engine.begin() as conn:
        conn.execute(update(copies).where(copies.c.item_id == "B000001").values(item_type="film",
                                                                               item_type_code="DVD"))
        conn.execute(update(copies).where(copies.c.item_id == "B000002").values(item_type="reference"))
        conn.execute(update(copies).where(copies.c.item_id == "B000003").values(item_type="film"))
        conn.execute(insert(copy_types).values(copy_id=_copy(circ, "B000003").id, item_type="short-loan"))
        rules.put(conn, item_type="film", loan_days=7, renewals=1, loan_limit=30, hold_limit=10)
        rules.put(conn, item_type="short-loan", loan_days=3, renewals=0, loan_limit=30, hold_limit=10)
        rules.put(conn, item_type="reference", loan_days=28, renewals=2, loan_limit=30, hold_limit=10)
    add_patron(circ.engine, "READER1")
    film = circ.checkout("READER1", "B000001", "tromso", at=AT)
    assert film.ok and film.item.item_type == "film"
    assert circ.explain("READER1", "B000001")["rule"]["item_type"] == "film"
    assert (film.loan.due_date - AT.date()).days >= 7 and (film.loan.due_date - AT.date()).days < 14
    with circ.engine.connect() as conn:
        assert conn.execute(select(loans.c.item_type).where(loans.c.barcode == "B000001")).scalar() == "film"
    refused = circ.checkout("READER1", "B000002", "tromso", at=AT)     # even a rule with days cannot lend it
    assert not refused.ok and refused.reason == reasons.NOT_LOANABLE
    short = circ.checkout("READER1", "B000003", "tromso", at=AT)       # staff's override beats the holdings
    assert short.ok and short.item.item_type == "short-loan"
    assert circ.item("B000004").item_type == "book"                     # no type anywhere: a book
