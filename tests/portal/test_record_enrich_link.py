"""The record page links staff to the record's enrichment page when they may enrich it (their own library's
record, or any as a county admin); patrons and other libraries' staff see no link, and a page with the link
is kept from shared caches."""

from __future__ import annotations

from tests import staff_signin

RECORD = "/record/tromso:1001"
LINK = "/enrich"


def _page(client):
    response = client.get(RECORD, follow_redirects=True)
    assert response.status_code == 200
    return response


def test_own_library_staff_and_county_admins_see_the_enrich_link(app, settings):
    for user, library, role in (("tromso-lib", "tromso", "librarian"), ("karasjok-lib", "karasjok", "librarian"),
                                ("county", "karasjok", "county-admin")):
        staff_signin.add(settings.database_url, user=user, library=library, role=role)
    anonymous = _page(app.test_client())
    assert LINK not in anonymous.get_data(as_text=True)
    record_id = anonymous.request.path.rsplit("/", 1)[1]
    assert app.test_client().get(f"/record/{record_id}.json").get_json()["enrich_url"] is None

    own = app.test_client()
    staff_signin.sign_in_client(own, "tromso-lib")
    page = _page(own)
    href = f"/staff/records/{record_id}/enrich"
    assert f'href="{href}"' in page.get_data(as_text=True)
    assert "no-store" in page.headers["Cache-Control"]
    assert own.get(f"/record/{record_id}.json").get_json()["enrich_url"] == href

    other = app.test_client()
    staff_signin.sign_in_client(other, "karasjok-lib")
    assert LINK not in _page(other).get_data(as_text=True)

    county = app.test_client()
    staff_signin.sign_in_client(county, "county")
    assert f'href="{href}"' in _page(county).get_data(as_text=True)
