"""The annual circulation statistics and their Data Cube against direct counts over the loans, on SQLite and
PostgreSQL: anonymised loans still count, language groups come from the records' languages, small cells
are suppressed in the public cube (and SPARQL finds it), and writing the cube twice changes nothing."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import delete, insert, text

from circulation import statistics as stats
from circulation import statistics_cube as cube
from transform.copies import copies
from transform.graphstore import GraphStore
from transform.statistics import facts_table

from tests.circulation.conftest import add_copies, add_patron

BASE = "http://data.grenselos.test"
LOC = "http://id.loc.gov/vocabulary/languages/"
LEXVO = "http://lexvo.org/id/iso639-3/"
LANGUAGES = {"rec1": [LOC + "sme"], "rec2": [LEXVO + "fkv"], "rec3": [LOC + "fin", LOC + "rus"],
             "rec4": [LOC + "nob"], "rec5": [LEXVO + "smj"], "rec6": [LOC + "sme"]}


def at(month: int, day: int = 3) -> datetime:
    return datetime(2026, month, day, 10, 0, tzinfo=timezone.utc)


def lend(circ):
    """Twelve loans over the year at tromso (adults, a child, an ILL library), one by alta's ILL account."""
    with circ.engine.begin() as conn:
        conn.execute(insert(facts_table), [{"source": "tromso", "identifier": rec, "library": f"{BASE}/library/x",
                                            "language": lang, "items": 1}
                                           for rec, langs in LANGUAGES.items() for lang in langs])
    add_patron(circ.engine, "ADULT1")
    add_patron(circ.engine, "ADULT2")
    add_patron(circ.engine, "KID1", category="child")
    add_patron(circ.engine, "ILLTR", category="ill-library")
    add_patron(circ.engine, "ILLAL", library="alta", category="ill-library")
    plan = [("ADULT1", 1, 1), ("ADULT1", 2, 1), ("ADULT2", 3, 1), ("KID1", 4, 1), ("ADULT2", 5, 2),
            ("ADULT1", 6, 3), ("KID1", 7, 3), ("ILLTR", 8, 4), ("ADULT2", 9, 5), ("ADULT1", 10, 6),
            ("ILLAL", 11, 7), ("KID1", 12, 8)]
    for card, n, month in plan:
        barcode = f"B{n:06d}"
        assert circ.checkout(card, barcode, "tromso", at=at(month)).ok
        if n in (1, 3):
            assert circ.renew(card, barcode, at=at(month, 10)).ok
        assert circ.checkin(barcode, "tromso", at=at(month, 20)).ok       # anonymised at return


def direct(conn, sql: str, **params) -> int:
    return conn.execute(text(sql), params).scalar()


def test_figures_equal_a_direct_count_after_anonymisation(circ):
    lend(circ)
    with circ.engine.begin() as conn:
        assert stats.reconcile_stock(conn) == (0, 0)                     # baseline: no additions
    add_copies(circ.engine, "tromso", 3, prefix="N", start=100)
    with circ.engine.begin() as conn:
        conn.execute(delete(copies).where(copies.c.item_id == "B000020"))
        added, removed = stats.reconcile_stock(conn)
        assert (added, removed) == (3, 1)
        assert stats.reconcile_stock(conn) == (0, 0)                     # nothing new since
    with circ.engine.connect() as conn:
        assert direct(conn, "SELECT COUNT(*) FROM loans WHERE patron_id IS NOT NULL") == 0
        year = stats.annual(conn, "tromso", 2026)
        where = "library = 'tromso' AND out_at >= :a AND out_at < :b"
        span = {"a": datetime(2026, 1, 1, tzinfo=timezone.utc), "b": datetime(2027, 1, 1, tzinfo=timezone.utc)}
        assert year["loans"] == direct(conn, f"SELECT COUNT(*) FROM loans WHERE {where}", **span) == 12
        assert year["renewals"] == direct(conn, f"SELECT SUM(renewals) FROM loans WHERE {where}", **span) == 2
        assert year["ill_loans_out"] == direct(
            conn, f"SELECT COUNT(*) FROM loans WHERE {where} AND patron_category = 'ill-library'", **span) == 2
        assert year["loans_by_item_type"] == {"book": {"children": 3, "adults": 7, "libraries": 2}}
        assert year["active_borrowers"] == 5
        assert year["stock"] == direct(conn, "SELECT COUNT(*) FROM copies WHERE library = 'tromso'") == 22
        assert (year["additions"], year["withdrawals"]) == (3, 1)
        alta = stats.annual(conn, "alta", 2026)
    assert alta["ill_loans_in"] == 1 and alta["loans"] == 0 and year["ill_loans_in"] == 0
    months = year["language_loans_by_month"]
    # January: rec1 (sme), rec2 (fkv), rec3 (fin and rus: counts in both), rec4 (nob: no group);
    # February rec5 (smj), March rec6 (sme) and rec7 (no language), April rec8.
    assert months["01"] == {"sami": 1, "kven": 1, "finnish": 1, "russian": 1}
    assert months["02"] == {"sami": 1, "kven": 0, "finnish": 0, "russian": 0}
    assert months["03"]["sami"] == 1 and sum(months["04"].values()) == 0
    assert "sami / kven / finnish / russian" in stats.text(year) and "loans 12, renewals 2" in stats.text(year)

def test_suppression_hides_small_cells_and_a_complement():
    report = {"library": "x", "year": 2026, "loans": 40, "renewals": 2, "ill_loans_out": 0, "ill_loans_in": 5,
              "loans_by_item_type": {"book": {"children": 1, "adults": 30, "libraries": 9}},
              "active_borrowers": 12, "active_borrowers_by_group": {"children": 4, "adults": 8},
              "stock": 100, "additions": 0, "withdrawals": 1,
              "language_loans_by_month": {"01": {"sami": 1, "kven": 2, "finnish": 5, "russian": 0}}}
    public = stats.suppressed(report, 3)
    # One small cell: the smallest other one goes too, so children = 40 - adults - libraries is not given back.
    assert public["loans_by_item_type"]["book"] == {"children": None, "adults": 30, "libraries": None}
    assert public["language_loans_by_month"]["01"] == {"sami": None, "kven": None, "finnish": 5, "russian": 0}
    assert public["active_borrowers_by_group"] == {"children": 4, "adults": 8}
    assert (public["renewals"], public["withdrawals"], public["ill_loans_out"]) == (None, None, 0)
    assert public["loans"] == 40 and report["renewals"] == 2              # the exact report is untouched
    assert "renewals suppressed" in stats.text(public)
    # Down the libraries column, whose sum (inter-library loans out, 5) is published: film's 3 goes too.
    two = dict(report, ill_loans_out=5, loans_by_item_type={"book": {"children": 0, "adults": 30, "libraries": 2},
                                                            "film": {"children": 4, "adults": 10, "libraries": 3}})
    public_two = stats.suppressed(two, 3)
    cells = public_two["loans_by_item_type"]
    assert cells["book"] == {"children": 0, "adults": None, "libraries": None}
    assert cells["film"] == {"children": 4, "adults": 10, "libraries": None} and public_two["ill_loans_out"] == 5


SPARQL = """PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX stat: <https://data.grenselos.no/def/statistics#>
SELECT ?period ?indicator ?lang ?count ?suppressed WHERE {
  ?obs a qb:Observation ; qb:dataSet ?ds ; stat:library ?lib ; stat:period ?period ; stat:indicator ?indicator ;
       stat:itemType "all" ; stat:ageGroup "all" ; stat:languageGroup ?lang .
  OPTIONAL { ?obs stat:count ?count } OPTIONAL { ?obs stat:suppressed ?suppressed }
  FILTER(?lib = <%s/library/tromso>)
}"""


def test_cube_is_suppressed_found_by_sparql_and_idempotent(circ, tmp_path):
    lend(circ)
    iri = f"{BASE}/library/{{}}".format
    graph = GraphStore(tmp_path / "graph", BASE)
    try:
        count, written = cube.write(circ.engine, graph, ["tromso", "alta"], [2026], 3, iri)
        assert written and count > 0
        found = {(s["period"].value, s["indicator"].value, s["lang"].value):
                 (int(s["count"].value) if s["count"] else None, s["suppressed"] is not None)
                 for s in graph.query(SPARQL % BASE)}
        assert found[("2026", "loans", "all")] == (12, False)
        assert found[("2026", "renewals", "all")] == (None, True)           # 2 < 3: suppressed
        assert found[("2026-01", "loans", "sami")] == (None, True)          # one Sami loan in January
        assert found[("2026-02", "loans", "finnish")] == (None, True)       # complement of February's Sami 1
        assert found[("2026-02", "loans", "kven")] == (0, False)
        assert found[("2026", "ill_loans_out", "all")] == (None, True)
        first = {(q.subject, q.predicate, q.object)
                 for q in graph.store.quads_for_pattern(None, None, None, cube.graph_name(BASE))}
        assert cube.write(circ.engine, graph, ["tromso", "alta"], [2026], 3, iri) == (count, False)
        assert {(q.subject, q.predicate, q.object)
                for q in graph.store.quads_for_pattern(None, None, None, cube.graph_name(BASE))} == first
        assert any(t.subject == cube.dataset_uri(BASE) for t in cube.void_triples(graph))
        from portal.views.sparql import EXAMPLES          # the SPARQL page's example answers from the cube
        example = dict((k, q) for k, _t, q in EXAMPLES)["minority-language-loans"]
        answered = {(r["month"].value, r["group"].value, r["loans"].value) for r in graph.query(example)}
        assert ("2026-01", "sami", "suppressed") in answered and ("2026-02", "kven", "0") in answered
    finally:
        graph.close()
