"""Illustrative documents for portal tests (written by hand, not real catalogue records).

They cover what the pages must handle: a work with a Norwegian original and a Northern Sami translation,
holdings in several libraries with every status, a Kven title, and a hostile title with markup.
"""

from __future__ import annotations

SOURCES = [
    {"id": "tromso", "name": "Tromsø bibliotek og byarkiv", "isil": "NO-2019020", "kind": "public",
     "municipality": "Tromsø"},
    {"id": "karasjok", "name": "Kárášjoga gielda girjerádju", "isil": "NO-2022100", "kind": "public",
     "municipality": "Karasjok"},
    {"id": "kongsbakken", "name": "Kongsbakken videregående skole", "isil": "NO-2019070", "kind": "school",
     "municipality": "Tromsø"},
]

HOSTILE_TITLE = '<script>alert("x")</script><img src=x onerror=alert(1)> Farlig tittel'


def documents() -> list[dict]:
    docs = [
        {"id": "tromso:1001", "work_id": "w-fiskar", "title": "Fiskaren og havet", "year": 2019,
         "languages": ["nob"], "format": "book", "audience": ["adult"], "subjects": ["Fiske", "Kyst"],
         "genres": ["fiction", "novels"], "contributors": [{"name": "Olsen, Kari", "roles": ["aut"]}],
         "identifiers": {"isbn": ["9788202000011"]}, "summary": "En roman om en fisker i Finnmark.",
         "holdings": [
             {"library": "tromso", "municipality": "Tromsø", "kind": "public", "location": "Voksen",
              "call_number": "O OLS", "status": "available"},
             {"library": "tromso", "municipality": "Tromsø", "kind": "public", "location": "Voksen",
              "call_number": "O OLS", "status": "on_loan", "due_date": "2025-12-20"},
             {"library": "kongsbakken", "municipality": "Tromsø", "kind": "school", "location": "Skjønn",
              "call_number": "O OLS", "status": "reference"}]},
        {"id": "karasjok:77", "work_id": "w-fiskar", "title": "Guolásteaddji ja áhpi", "year": 2021,
         "languages": ["sme"], "format": "book", "audience": ["adult"], "subjects": ["Guolástus"],
         "contributors": [{"name": "Olsen, Kari", "roles": ["aut"]},
                          {"name": "Gaup, Máret", "roles": ["trl"]}],
         "holdings": [{"library": "karasjok", "municipality": "Karasjok", "kind": "public",
                       "location": "Sámi girjjit", "call_number": "O OLS", "status": "in_transit"}]},
        {"id": "tromso:1002", "work_id": "w-kven", "title": "Kainun kieli tänään", "year": 2015,
         "languages": ["fkv"], "format": "book", "audience": ["adult"], "subjects": ["Kvensk språk"],
         "holdings": [{"library": "tromso", "municipality": "Tromsø", "kind": "public",
                       "status": "available"}]},
        {"id": "tromso:666", "work_id": "w-hostile", "title": HOSTILE_TITLE, "year": 2000,
         "languages": ["nob"], "format": "book", "subjects": ['"><script>alert(2)</script>'],
         "contributors": [{"name": "</script><script>alert(3)</script>", "roles": ["aut"]}],
         "holdings": [{"library": "tromso", "status": "available"}]},
    ]
    for n in range(1, 46):      # enough titles for three result pages
        docs.append({"id": f"kongsbakken:{n}", "work_id": f"w-bok{n}", "title": f"Lærebok i matematikk {n}",
                     "year": 1990 + n % 30, "languages": ["nob"], "format": "book", "audience": ["young_adult"],
                     "subjects": ["Matematikk"],
                     "holdings": [{"library": "kongsbakken", "municipality": "Tromsø", "kind": "school",
                                   "status": "available" if n % 2 else "on_loan"}]})
    return docs
