"""/staff/rules and its JSON twin over a real app and SQLite: everyone on the staff reads the matrix, a
library-admin changes only their own library's cells, a county admin any (county-wide ones too); CSRF; the
audit row; values refused as `grenselos rules set` refuses them, shown by the field."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from accounts.tables import staff_events
from circulation import rules as rules_mod
from tests import staff_signin
from tests.circulation.conftest import LIBRARY_STAFF, staff_portal

STAFF = LIBRARY_STAFF + (("county", "alta", "county-admin"),)
CELL = {"library": "tromso", "category": "child", "item_type": "film", "loan_days": "7", "renewals": "1",
        "loan_limit": "5", "hold_limit": "2", "replacement_fee": "0", "note": "films for children"}


@pytest.fixture
def app(sqlite_county):
    return staff_portal(*sqlite_county, STAFF)


def _rules(app) -> dict:
    with app.engine.connect() as conn:
        return {(r.library, r.category, r.item_type): r for r in rules_mod.all_rules(conn)}


def _events(app) -> list:
    with app.engine.connect() as conn:
        return conn.execute(select(staff_events.c.event, staff_events.c.principal, staff_events.c.library,
                                   staff_events.c.target, staff_events.c.detail)
                            .where(staff_events.c.event == "circulation_rule_changed")).all()


def test_the_json_twin_shows_the_matrix_to_every_staff_member(app):
    client = app.test_client()
    assert client.get("/staff/rules.json").status_code == 401
    data = client.get("/staff/rules.json", headers=staff_signin.basic("tromso-lib")).get_json()
    assert data["library"]["id"] == "tromso" and data["may_edit"] is False
    assert [c["code"] for c in data["categories"]] == ["adult", "child", "pupil", "staff", "ill-library"]
    book = next(row for row in data["matrix"] if row["item_type"] == "book")
    assert len(book["cells"]) == 5 and book["cells"][0]["loan_days"] > 0
    assert any(r["library"] is None for r in data["rules"])                 # the county-wide default applies here
    assert client.get("/staff/rules.json?library=alta", headers=staff_signin.basic("tromso-lib")).status_code == 403
    county = client.get("/staff/rules.json?library=tromso", headers=staff_signin.basic("county")).get_json()
    assert county["may_edit_county_wide"] and {l["id"] for l in county["libraries"]} >= {"tromso", "alta"}
    assert client.get("/staff/rules.json?library=nowhere", headers=staff_signin.basic("county")).status_code == 404


def test_a_library_admin_sets_a_cell_of_their_own_library_audited(app):
    client = staff_signin.signed_in(app, "tromso-admin")
    page = client.get("/staff/rules")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<th scope="row">' in html and 'id="rule-form"' in html
    token = staff_signin.csrf_in(html)
    assert client.post("/staff/rules", data=CELL).status_code == 400                      # no CSRF token
    assert ("tromso", "child", "film") not in _rules(app)
    saved = client.post("/staff/rules", data={**CELL, "csrf_token": token, "fees": "1", "replacement_fee": "300"})
    assert saved.status_code == 303
    rule = _rules(app)[("tromso", "child", "film")]
    assert (rule.loan_days, rule.renewals, rule.hold_limit, rule.fees, rule.replacement_fee, rule.note) == \
        (7, 1, 2, True, 300, "films for children")
    ((event, who, library, target, detail),) = _events(app)
    assert (event, who, library, target) == ("circulation_rule_changed", "tromso-admin", "tromso",
                                             "tromso/child/film")
    assert "loan_days=7" in detail and "fees=True" in detail
    after = client.get("/staff/rules.json").get_json()
    film = next(row for row in after["matrix"] if row["item_type"] == "film")
    assert next(c for c in film["cells"] if c["category"] == "child")["loan_days"] == 7
    # another library's cells and the county-wide ones are not theirs
    assert client.post("/staff/rules", data={**CELL, "library": "alta", "csrf_token": token}).status_code == 403
    assert client.post("/staff/rules", data={**CELL, "library": "", "csrf_token": token}).status_code == 403
    assert len(_events(app)) == 1


def test_a_librarian_and_another_library_admin_cannot_change(app):
    librarian = staff_signin.signed_in(app, "tromso-lib")
    html = librarian.get("/staff/rules").get_data(as_text=True)
    assert 'id="rule-form"' not in html
    token = staff_signin.csrf_from(librarian, "/staff")
    assert librarian.post("/staff/rules", data={**CELL, "csrf_token": token}).status_code == 403
    assert librarian.post("/staff/rules.json", json=CELL, headers=staff_signin.basic("tromso-lib")).status_code == 403
    assert librarian.post("/staff/rules.json", json=CELL, headers=staff_signin.basic("alta-admin")).status_code == 403
    assert ("tromso", "child", "film") not in _rules(app) and _events(app) == []


def test_refused_values_are_shown_by_their_field(app):
    client = staff_signin.signed_in(app, "tromso-admin")
    token = staff_signin.csrf_from(client, "/staff/rules")
    bad = client.post("/staff/rules?lang=en", data={**CELL, "csrf_token": token, "loan_days": "-3",
                                                    "category": "elves", "note": "x" * 300})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and 'role="alert"' in html
    assert 'id="rule-loan_days"' in html and 'aria-describedby="problem-loan_days"' in html
    assert "Loan period (days): a whole number, 0 or more." in html
    assert 'aria-describedby="problem-category"' in html and 'aria-describedby="problem-note"' in html
    assert 'value="-3"' in html                                 # what was typed stays to be corrected
    assert ("tromso", "elves", "film") not in _rules(app) and _events(app) == []


def test_a_county_admin_sets_a_county_wide_cell_by_json(app):
    client = app.test_client()
    done = client.post("/staff/rules.json?library=alta", json={**CELL, "library": "", "category": "pupil",
                                                              "loan_days": 21}, headers=staff_signin.basic("county"))
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json()["saved"] is True
    assert _rules(app)[(None, "pupil", "film")].loan_days == 21
    refused = client.post("/staff/rules.json", json={**CELL, "loan_days": "many"}, headers=staff_signin.basic("county"))
    assert refused.status_code == 400 and set(refused.get_json()["problems"]) == {"loan_days"}
    assert [e.target for e in _events(app)] == ["*/pupil/film"]


def test_the_cli_and_the_page_share_one_check():
    values, problems = rules_mod.check(["tromso"], library="nowhere", category="elves", item_type="film",
                                       loan_days=14, renewals="2", loan_limit="x", hold_limit=0)
    assert problems == {"library": "unknown", "category": "unknown", "loan_limit": "not_a_number"}
    values, problems = rules_mod.check(["tromso"], library="", category=None, item_type="book", loan_days=14,
                                       renewals=0, loan_limit=3, hold_limit=1, note=" kept ")
    assert problems == {} and values["library"] is None and values["note"] == "kept"
    assert values["replacement_fee"] == 0 and values["fees"] is False
