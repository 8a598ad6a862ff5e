"""A library page shows the opening hours staff keep (libraries.calendar), in the visitor's language."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import insert

from libraries import calendar
from libraries.tables import closed_days, opening_hours
from vocab.libraries import directory


def test_hours_on_the_library_page_and_its_json_twin(app, client, settings, record_store):
    with record_store.engine.begin() as conn:
        calendar.ensure_main_points(conn, directory(settings).libraries())
        point = calendar.main_point(conn, "tromso")
        conn.execute(insert(opening_hours), [{"service_point": point, "weekday": d, "opens": time(10),
                                              "closes": time(18), "note": ""} for d in range(7)])
        conn.execute(insert(closed_days).values(library="tromso", service_point=None, day=date.today(),
                                                reason="test"))
    html = client.get("/library/NO-2019020?lang=nb").get_data(as_text=True)
    assert "Åpningstider" in html and "10:00–18:00" in html and "Stengt" in html      # today is closed
    assert "Rahpanáiggit" in client.get("/library/NO-2019020?lang=se").get_data(as_text=True)
    data = client.get("/library/NO-2019020.json").get_json()
    days = data["opening_hours"]
    assert len(days) == 7 and days[0]["today"] and days[0]["hours"] == []
    assert days[1]["hours"] == [{"opens": "10:00", "closes": "18:00", "note": ""}]
    # A library without hours entered shows none (not "closed").
    other = client.get("/library/NO-2022100?lang=nb").get_data(as_text=True)
    assert "Åpningstider" not in other
