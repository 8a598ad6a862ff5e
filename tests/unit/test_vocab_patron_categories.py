"""Mikromarc borrower groups → patron categories: data, checked, and used by the patron import."""

from __future__ import annotations

from circulation.patron_import import import_file
from circulation.tables import CATEGORIES
from vocab import patron_categories


def test_every_mapped_group_lands_on_a_category_the_circulation_core_has():
    assert patron_categories.CATEGORIES == CATEGORIES
    assert set(patron_categories._codes().values()) <= set(CATEGORIES)


def test_groups_map_case_insensitively_and_unknown_ones_are_not_guessed():
    assert patron_categories.from_code(" voksen ") == "adult"
    assert patron_categories.from_code("BARN") == "child"
    assert patron_categories.from_code("Elev") == "pupil"
    assert patron_categories.from_code("ansatt") == "staff"
    assert patron_categories.from_code("Fjernlån") == "ill-library"
    assert patron_categories.from_code("child") == "child"
    assert patron_categories.from_code("UNGDOM") is None and patron_categories.from_code("") is None


def test_the_patron_import_takes_mikromarc_groups_and_refuses_unmapped_ones(tmp_path):
    from core import settings as core_settings
    from core.db import engine_for, migrate
    from circulation.service import Circulation
    settings = core_settings.from_dict({"data_dir": str(tmp_path), "sources": [
        {"id": "tromso", "name": "Tromsø bibliotek", "municipality": "Tromsø", "circulation": True}]})
    engine = engine_for(settings.database_url)
    migrate(engine)
    path = tmp_path / "laanere.csv"
    path.write_text("card,pin,name,email,library,category\n"
                    "L0001,1234,Kari,,tromso,VOKSEN\nL0002,1234,Ola,,tromso,Barn\nL0003,1234,Per,,tromso,UNGDOM\n",
                    encoding="utf-8")
    report = import_file(engine, path, Circulation(engine, settings))
    circ = Circulation(engine, settings)
    assert circ.patron("L0001").category == "adult" and circ.patron("L0002").category == "child"
    assert circ.patron("L0003") is None and "UNGDOM" in str(report.as_dict()).upper()
    engine.dispose()
