"""A copy belongs to the library that holds it: the national catalogue's holdings, read through the directory."""

from __future__ import annotations

from transform import status as transform_status
from vocab.libraries import REGION, directory


def test_unknown_codes_are_warned_per_source_and_never_filed_under_the_source(catalogue):
    settings, _store = catalogue
    counts = {s.id: {} for s in settings.sources}
    transform_status.add_status(settings, counts)
    unknown = counts["nb"].get("unknown_library_codes") or {}
    known = directory(settings)
    assert unknown and all(known.resolve(code, "nb").library is None for code in unknown)
    assert all(n > 0 for n in unknown.values())
    assert "UBIS" not in unknown and "NB" not in unknown               # codes of the directory
    assert not counts["kautokeino"].get("unknown_library_codes")


def test_the_directory_knows_both_counties_and_the_sources():
    from core.settings import from_dict
    settings = from_dict({"sources": [
        {"id": "kautokeino", "name": "Guovdageainnu girjerájus", "municipality": "Guovdageaidnu – Kautokeino"},
        {"id": "tromso", "name": "Tromsø bibliotek", "municipality": "Tromsø", "isil": "NO-1902000",
         "library": "tromso-hovedbibliotek"},
        {"id": "nb", "name": "Nasjonalbiblioteket", "kind": "national", "municipality": "Oslo"}]})
    lookup = directory(settings)
    assert lookup.by_source["kautokeino"].county == "Finnmark" and lookup.by_source["tromso"].county == "Troms"
    assert lookup.by_source["tromso"].id == "tromso-hovedbibliotek"          # a source names its library
    assert not lookup.by_source["nb"].in_region
    assert lookup.resolve("", "tromso").library.id == "tromso-hovedbibliotek"
    assert lookup.resolve("NO-1902000", "kautokeino").library.id == "tromso-hovedbibliotek"
    assert lookup.resolve("TRB", "tromso").library.id == "tromso-hovedbibliotek"     # a branch code
    assert lookup.resolve("UIT-UB", "nb").library.county in REGION
    assert lookup.resolve("NB", "nb").library.source == "nb"                # the row's codes join the source
    assert lookup.resolve("XYZ", "nb").library is None                      # the union catalogue: unknown
    assert lookup.resolve("NO-9999999", "tromso").library is None           # an unknown ISIL: never the source's
