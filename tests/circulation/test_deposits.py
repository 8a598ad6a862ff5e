"""Deposit loans on real SQLite and PostgreSQL: a crate from Tromsø stands at Kautokeino (a library that does
not lend through Grenseløs itself), is lent and taken back there, and is called home on its date."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import select

from accounts.principal import Principal
from circulation import reasons
from circulation.deposits import Deposits, parse_barcodes
from transform.copies import copies

from tests.circulation.conftest import add_patron

AT = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
TROMSO = Principal("tromso-staff", "tromso", "librarian")
ALTA = Principal("alta-staff", "alta", "librarian")
COUNTY = Principal("county", "", "county-admin")


def _copy(circ, barcode):
    with circ.engine.connect() as conn:
        return conn.execute(select(copies).where(copies.c.item_id == barcode)).first()


def _crate(circ, barcodes=("B000001", "B000002", "B000003"), until=date(2027, 5, 31)):
    return Deposits(circ).create(TROMSO, to_library="kautokeino", until=until, barcodes=list(barcodes),
                                 note="Russian crate", place="Kautokeino school", at=AT, today=AT.date())


def test_a_deposit_moves_its_copies_and_refuses_bad_barcodes_one_by_one(circ):
    add_patron(circ.engine, "N111111111")
    assert circ.checkout("N111111111", "B000004", "tromso", at=AT).ok
    result = Deposits(circ).create(TROMSO, to_library="kautokeino", until=date(2027, 5, 31),
                                   barcodes=["B000001", "B000002", "B000004", "A000001", "NOPE", "B000001"],
                                   at=AT, today=AT.date())
    assert result.ok and result.done == ("B000001", "B000002", "B000001")      # a double scan is no error
    assert dict(result.refused) == {"B000004": reasons.ALREADY_ON_LOAN, "A000001": reasons.NOT_ALLOWED,
                                    "NOPE": reasons.NOT_FOUND}
    assert [c.barcode for c in result.deposit.copies] == ["B000001", "B000002"]
    row = _copy(circ, "B000001")
    assert (row.library, row.deposit_until, row.status, row.status_source) == \
        ("kautokeino", "2027-05-31", "available", "circulation")
    second = Deposits(circ).create(TROMSO, to_library="alta", until=date(2027, 3, 1), barcodes=["B000002"],
                                   at=AT, today=AT.date())
    assert second.ok and second.refused == (("B000002", reasons.ON_DEPOSIT),)


def test_deposit_copies_lend_and_return_at_the_deposit_library(circ):
    _crate(circ)
    add_patron(circ.engine, "N222222222")
    assert circ.checkout("N222222222", "B000005", "kautokeino", at=AT).reason == reasons.NOT_CIRCULATING
    lent = circ.checkout("N222222222", "B000001", "kautokeino", at=AT)
    assert lent.ok and lent.loan.library == "kautokeino"
    back = circ.checkin("B000001", "kautokeino", at=AT)
    assert back.ok and back.destination == "shelf" and not back.floated
    assert (_copy(circ, "B000001").library, _copy(circ, "B000001").status) == ("kautokeino", "available")
    # Returned in Tromsø by mistake: it goes back to the deposit, not onto Tromsø's shelf.
    circ.checkout("N222222222", "B000002", "kautokeino", at=AT)
    elsewhere = circ.checkin("B000002", "tromso", at=AT)
    assert elsewhere.destination == "transit" and elsewhere.to_library == "kautokeino"


def test_deposit_copies_never_float_away(circ, tmp_path):
    from circulation.service import Circulation
    from tests.circulation.conftest import settings_for
    floating = settings_for(str(circ.engine.url.render_as_string(hide_password=False)), tmp_path, sources=[
        {"id": "tromso", "name": "Tromsø bibliotek", "municipality": "Tromsø", "circulation": True,
         "floating": True},
        {"id": "alta", "name": "Alta bibliotek", "municipality": "Alta", "circulation": True},
        {"id": "kautokeino", "name": "Guovdageainnu girjerájus", "municipality": "Kautokeino"}])
    fcirc = Circulation(circ.engine, floating)
    Deposits(fcirc).create(TROMSO, to_library="kautokeino", until=date(2027, 5, 31), barcodes=["B000001"],
                           at=AT, today=AT.date())
    add_patron(circ.engine, "N333333333")
    fcirc.checkout("N333333333", "B000001", "kautokeino", at=AT)
    result = fcirc.checkin("B000001", "alta", at=AT)
    assert not result.floated and result.to_library == "kautokeino"
    assert _copy(circ, "B000001").library == "kautokeino"


def test_called_home_on_its_date_and_returned(circ):
    deposits = Deposits(circ)
    crate = _crate(circ, until=date(2027, 1, 15)).deposit
    later = _crate(circ, barcodes=("B000006",), until=date(2027, 6, 1)).deposit
    assert deposits.due(date(2027, 1, 14)) == []
    due = deposits.due(date(2027, 1, 15))
    assert [(d.library, [x.id for x in d.deposits]) for d in due] == [("tromso", [crate.id])]
    called = deposits.call_home(date(2027, 1, 15))
    assert [d.id for d in called] == [crate.id] and called[0].status == "called"
    assert deposits.call_home(date(2027, 1, 16)) == []                  # never called twice
    assert [x.id for x in deposits.due(date(2027, 1, 16))[0].deposits] == [crate.id]
    add_patron(circ.engine, "N444444444")
    circ.checkout("N444444444", "B000002", "kautokeino", at=AT)
    back = deposits.return_deposit(crate.id, TROMSO, at=AT)
    assert back.ok and back.deposit.status == "returned" and set(back.done) == {"B000001", "B000002", "B000003"}
    home = _copy(circ, "B000001")
    assert (home.library, home.deposit_until, home.status) == ("tromso", "", "available")
    assert _copy(circ, "B000002").status == "on_loan"
    assert circ.checkin("B000002", "kautokeino", at=AT).to_library == "tromso"
    assert deposits.add(crate.id, ["B000007"], TROMSO).reason == reasons.CLOSED
    assert [d.id for d in deposits.list("tromso")] == [later.id]


def test_remove_sends_a_copy_home_in_transit(circ):
    crate = _crate(circ).deposit
    result = Deposits(circ).remove(crate.id, ["B000003", "B000009"], TROMSO, at=AT)
    assert result.done == ("B000003",) and result.refused == (("B000009", reasons.NOT_FOUND),)
    row = _copy(circ, "B000003")
    assert (row.library, row.deposit_until, row.status) == ("tromso", "", "in_transit")
    assert [c.barcode for c in result.deposit.copies] == ["B000001", "B000002"]


def test_staff_see_and_change_only_their_own_deposits(circ):
    deposits = Deposits(circ)
    crate = _crate(circ).deposit
    assert not deposits.may_see(ALTA, crate) and deposits.may_see(COUNTY, crate)
    assert deposits.add(crate.id, ["B000010"], ALTA).reason == reasons.NOT_ALLOWED
    assert deposits.return_deposit(crate.id, ALTA).reason == reasons.NOT_ALLOWED
    assert deposits.create(ALTA, from_library="tromso", to_library="kautokeino", until=date(2027, 5, 1),
                           at=AT, today=AT.date()).reason == reasons.NOT_ALLOWED
    assert deposits.create(TROMSO, to_library="nowhere", until=date(2027, 5, 1),
                           at=AT, today=AT.date()).reason == reasons.INVALID
    assert deposits.create(TROMSO, to_library="alta", until=date(2026, 11, 1),
                           at=AT, today=AT.date()).reason == reasons.INVALID
    assert deposits.list("alta") == [] and [d.id for d in deposits.list("kautokeino")] == [crate.id]


def test_parse_barcodes_takes_what_a_scanner_or_a_paste_gives():
    assert parse_barcodes("B1\nB2, B3  B1\r\n") == ["B1", "B2", "B3"]
