"""/staff/notices and its JSON twin over a real app and SQLite: the list to print, the templates, editing
(library-admin, own library only; CSRF; a broken template refused), the preview."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from accounts.tables import staff_events
from circulation import notice_text, notices
from circulation.tables import patrons
from tests import staff_signin
from tests.circulation.conftest import add_patron, staff_portal


@pytest.fixture
def app(sqlite_county):
    settings, engine = sqlite_county
    add_patron(engine, "L0100", name="Niillas <Nomail>")
    with engine.begin() as conn:
        patron_id = conn.execute(select(patrons.c.id).where(patrons.c.card == "L0100")).scalar()
        notices.queue(conn, patron_id=patron_id, kind="hold_ready", key="hold:5:1", params={"title": "Girji"},
                      library="tromso")
    notices.send(engine, settings)
    return staff_portal(settings, engine)


def test_the_list_to_print_and_the_templates_as_json(app):
    client = app.test_client()
    assert client.get("/staff/notices.json").status_code == 401
    data = client.get("/staff/notices.json", headers=staff_signin.basic("tromso-lib")).get_json()
    (row,) = data["to_act_on"]
    assert row["card"] == "L0100" and row["status"] == "undeliverable" and not data["may_edit"]
    assert [t["kind"] for t in data["templates"]] == ["hold_ready", "due_soon", "overdue", "claim"]
    assert client.get("/staff/notices.json?library=tromso", headers=staff_signin.basic("alta-admin")).status_code == 403
    assert client.get("/staff/notices.json", headers=staff_signin.basic("alta-admin")).get_json()["to_act_on"] == []


def test_a_library_admin_edits_and_previews_its_own_templates(app):
    client = staff_signin.signed_in(app, "tromso-admin")
    page = client.get("/staff/notices")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Niillas &lt;Nomail&gt;" in html and "L0100" in html
    form = client.get("/staff/notices/due_soon/se")
    assert form.status_code == 200 and "Fargga maŋimus máhcahanbeaivi" in form.get_data(as_text=True)
    token = staff_signin.csrf_in(form.get_data(as_text=True))
    url = "/staff/notices/due_soon/se?library=tromso"
    assert client.post(url, data={"subject": "x"}).status_code == 400                      # no CSRF token
    broken = client.post(url, data={"csrf_token": token, "subject": "{% if %}", "action": "save"})
    assert broken.status_code == 400 and "TemplateSyntaxError" in broken.get_data(as_text=True)
    preview = client.post("/staff/notices/due_soon/se.json?library=tromso", data={"csrf_token": token, "action": "preview",
                                                      "html": "<p>{{ patron }} – {{ title }}</p>"})
    assert preview.get_json()["preview"]["html"] == "<p>Ánne Ovllá – Čáppa girji</p>"
    saved = client.post(url, data={"csrf_token": token, "action": "save", "subject": "Muittuhus: {{ title }}"})
    assert saved.status_code == 303
    with app.engine.connect() as conn:
        assert notice_text.effective(conn, "tromso", "due_soon", "se")["subject"] == "Muittuhus: {{ title }}"
        assert conn.execute(select(staff_events.c.event, staff_events.c.target)
                            .where(staff_events.c.event == "notice_template_changed")).all() == \
            [("notice_template_changed", "due_soon/se")]
    other = client.post("/staff/notices/due_soon/se?library=alta",
                        data={"csrf_token": token, "subject": "x"})
    assert other.status_code == 403
    reset = client.post(url, data={"csrf_token": token, "action": "reset"})
    assert reset.status_code == 303
    with app.engine.connect() as conn:
        assert notice_text.overrides(conn, "tromso") == {}


def test_a_librarian_may_read_but_not_change_templates(app):
    client = staff_signin.signed_in(app, "tromso-lib")
    form = client.get("/staff/notices/claim/en")
    assert form.status_code == 200 and "readonly" in form.get_data(as_text=True)
    token = staff_signin.csrf_in(form.get_data(as_text=True))
    refused = client.post("/staff/notices/claim/en",
                          data={"csrf_token": token, "subject": "x"})
    assert refused.status_code == 403
    assert client.get("/staff/notices/nonsense/en").status_code == 404


def test_staff_send_a_notice_again_from_the_list(app):
    client = staff_signin.signed_in(app, "tromso-lib")
    page = client.get("/staff/notices").get_data(as_text=True)
    (notice_id,) = re.findall(r'/staff/notices/(\d+)/retry', page)
    token = staff_signin.csrf_in(page)
    other = staff_signin.signed_in(app, "alta-admin")
    other_token = staff_signin.csrf_from(other, "/staff/notices/due_soon/nb")
    assert other.post(f"/staff/notices/{notice_id}/retry", data={"csrf_token": other_token}).status_code == 404
    done = client.post(f"/staff/notices/{notice_id}/retry?library=tromso", data={"csrf_token": token})
    assert done.status_code == 303
    with app.engine.connect() as conn:
        from circulation.notice_tables import notices as rows
        assert conn.execute(select(rows.c.status)).scalar() == "queued"
    assert client.post(f"/staff/notices/{notice_id}/retry", data={"csrf_token": token}).status_code == 404
