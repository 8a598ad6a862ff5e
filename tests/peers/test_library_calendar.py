"""What staff keep about their libraries (service points, hours, closed days), on SQLite and PostgreSQL:
the calendar circulation asks for due dates and the library pages show."""

from __future__ import annotations

from datetime import date, datetime, time, timezone

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from core import db
from core.settings import from_dict
from libraries import calendar
from libraries.tables import closed_days, opening_hours, service_points
from vocab.libraries import directory

SETTINGS = from_dict({"sources": [
    {"id": "tromso", "name": "Tromsø bibliotek", "municipality": "Tromsø"},
    {"id": "kautokeino", "name": "Guovdageainnu girjerájus", "municipality": "Guovdageaidnu – Kautokeino"}]})


@pytest.fixture
def engine(db_url):
    engine = db.engine_for(db_url)
    db.migrate(engine)
    yield engine
    engine.dispose()


def test_main_points_hours_and_closed_days(engine):
    libraries = [directory(SETTINGS).by_source[s] for s in ("tromso", "kautokeino")]
    with engine.begin() as conn:
        assert calendar.ensure_main_points(conn, libraries) == 2
        assert calendar.ensure_main_points(conn, libraries) == 0                # idempotent
        tromso = calendar.main_point(conn, "tromso")
        kautokeino = calendar.main_point(conn, "kautokeino")
        conn.execute(insert(opening_hours), [{"service_point": tromso, "weekday": d, "opens": time(10),
                                              "closes": time(18), "note": ""} for d in range(5)])
        conn.execute(insert(closed_days), [{"library": "tromso", "service_point": None, "day": date(2026, 12, d),
                                            "reason": "jul"} for d in (24, 25)])
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(service_points)).scalar() == 2
        assert calendar.is_open(conn, tromso, date(2026, 12, 23))              # a Wednesday
        assert not calendar.is_open(conn, tromso, date(2026, 12, 24))          # closed day (Thursday)
        assert not calendar.is_open(conn, tromso, date(2026, 12, 26))          # Saturday: no hours
        assert calendar.next_open_day(conn, tromso, date(2026, 12, 24)) == date(2026, 12, 28)
        assert [h.opens for _d, hours in calendar.week(conn, tromso, date(2026, 12, 21)) for h in hours] == \
            [time(10)] * 3                                                      # Mon-Wed; Thu/Fri closed
        assert calendar.is_open(conn, kautokeino, date(2026, 12, 26))          # no hours entered: open
        assert calendar.is_open(conn, kautokeino, date(2026, 12, 24))          # tromso's closed days are its own


def test_the_database_refuses_nonsense_hours(engine):
    with engine.begin() as conn:
        calendar.ensure_main_points(conn, [directory(SETTINGS).by_source["tromso"]])
        point = calendar.main_point(conn, "tromso")
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(opening_hours).values(service_point=point, weekday=2, opens=time(18), closes=time(10)))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(service_points).values(library="tromso", code="x", kind="castle", name="x",
                                                   updated_at=datetime.now(timezone.utc)))
