"""Illustrative catalogue for portal and browser tests (written by hand, not real catalogue records),
indexed into the real embedded search backend.

It covers what the pages must handle: a work with a Norwegian original and a Northern Sami translation,
holdings in several libraries, every copy status of `vocab.statuses`, a Kven title, a hostile title
with markup, and 45 maths books for paging. `documents` turns the records below into the index's own
`Document`s, their holdings grouped from copy rows by `index.copies.holdings_from_copies` (as the index
stage does from the copies table), and `build_index` writes them where a deployment keeps its index
(`data_dir/index`, through `index.backend.open_backend`), so the portal opens it as it opens any other.
"""

from __future__ import annotations

from collections import defaultdict

SOURCES = [
    {"id": "tromso", "name": "Tromsø bibliotek og byarkiv", "isil": "NO-2019020", "kind": "public",
     "municipality": "Tromsø"},
    {"id": "karasjok", "name": "Kárášjoga gielda girjerádju", "isil": "NO-2022100", "kind": "public",
     "municipality": "Karasjok"},
    {"id": "kongsbakken", "name": "Kongsbakken videregående skole", "isil": "NO-2019070", "kind": "school",
     "municipality": "Tromsø"},
]

HOSTILE_TITLE = '<script>alert("x")</script><img src=x onerror=alert(1)> Farlig tittel'
#: The record whose Tromsø copies stand in every status there is, one copy each.
EVERY_STATUS = "tromso:1003"


def records() -> list[dict]:
    """The sample as written: one dict per record, `copies` one per item (library id, status, shelf)."""
    from vocab import statuses
    docs = [
        {"id": "tromso:1001", "work_id": "w-fiskar", "title": "Fiskaren og havet", "year": 2019,
         "languages": ["nob"], "format": "book", "audience": ["adult"], "subjects": {"humord": ["Fiske", "Kyst"]},
         "genres": ["fiction", "novels"], "contributors": [("Olsen, Kari", "aut")],
         "isbns": ["9788202000011"], "summary": "En roman om en fisker i Finnmark.",
         "copies": [
             {"library": "tromso", "location": "Voksen", "call_number": "O OLS", "status": "available"},
             {"library": "tromso", "location": "Voksen", "call_number": "O OLS", "status": "on_loan",
              "due_date": "2025-12-20"},
             {"library": "kongsbakken", "location": "Skjønn", "call_number": "O OLS", "status": "reference"}]},
        {"id": "karasjok:77", "work_id": "w-fiskar", "title": "Guolásteaddji ja áhpi", "year": 2021,
         "languages": ["sme"], "format": "book", "audience": ["adult"], "subjects": {"": ["Guolástus"]},
         "contributors": [("Olsen, Kari", "aut"), ("Gaup, Máret", "trl")],
         "copies": [{"library": "karasjok", "location": "Sámi girjjit", "call_number": "O OLS",
                     "status": "in_transit"}]},
        {"id": "tromso:1002", "work_id": "w-kven", "title": "Kainun kieli tänään", "year": 2015,
         "languages": ["fkv"], "format": "book", "audience": ["adult"], "subjects": {"humord": ["Kvensk språk"]},
         "copies": [{"library": "tromso", "status": "available"}]},
        {"id": EVERY_STATUS, "work_id": "w-hyller", "title": "Bøker på vandring", "year": 2012,
         "languages": ["nob"], "format": "book", "audience": ["adult"], "subjects": {"humord": ["Bibliotek"]},
         "contributors": [("Hansen, Ola", "aut")],
         "copies": [{"library": "tromso", "location": "Voksen", "call_number": "027 HAN", "status": code,
                     "due_date": "2026-01-15" if code == "on_loan" else ""}
                    for code in reversed(statuses.codes())]},     # worst first: the page puts them in order
        {"id": "tromso:666", "work_id": "w-hostile", "title": HOSTILE_TITLE, "year": 2000,
         "languages": ["nob"], "format": "book", "subjects": {"": ['"><script>alert(2)</script>']},
         "contributors": [("</script><script>alert(3)</script>", "aut")],
         "copies": [{"library": "tromso", "status": "available"}]},
    ]
    for n in range(1, 46):      # enough titles for three result pages
        docs.append({"id": f"kongsbakken:{n}", "work_id": f"w-bok{n}", "title": f"Lærebok i matematikk {n}",
                     "year": 1990 + n % 30, "languages": ["nob"], "format": "book", "audience": ["young_adult"],
                     "subjects": {"humord": ["Matematikk"]},
                     "copies": [{"library": "kongsbakken", "status": "available" if n % 2 else "on_loan"}]})
    return docs


def documents(settings) -> list:
    """The sample as the index's `Document`s, holdings grouped from copy rows as the index stage groups
    the copies table, the libraries resolved by the configuration's directory."""
    from index.copies import holdings_from_copies
    from index.document import Document
    from transform.copies import CopyRow
    from vocab.libraries import directory
    libraries = directory(settings)
    sources = {s.id: s for s in settings.sources}
    written = records()
    work_libraries: dict[str, set] = defaultdict(set)
    for record in written:
        work_libraries[record["work_id"]].update(c["library"] for c in record["copies"])
    row_id = 0
    out = []
    for record in written:
        source, local = record["id"].split(":", 1)
        identifier = f"oai:{source}:{local}"
        rows = []
        for n, copy in enumerate(record["copies"], start=1):
            row_id += 1
            library = libraries.get(copy["library"])
            rows.append(CopyRow(
                id=row_id, source=source, identifier=identifier, n=n, item_id=f"{row_id:08d}",
                library=library.id, library_code="" if library.id == source else library.isil,
                location=copy.get("location", ""), call_number=copy.get("call_number", ""),
                status=copy["status"], due_date=copy.get("due_date", ""), note="", status_source="harvest"))
        contributors = record.get("contributors") or []
        out.append(Document(
            id=record["id"], work_id=record["work_id"], source=source, identifier=identifier,
            title=record["title"], contributors=tuple(name for name, _role in contributors),
            contributor_roles=tuple(role for _name, role in contributors),
            subjects={vocab: tuple(headings) for vocab, headings in record["subjects"].items()},
            genres=tuple(record.get("genres") or ()), isbns=tuple(record.get("isbns") or ()),
            year=record["year"], languages=tuple(record["languages"]), formats=(record["format"],),
            audiences=tuple(record.get("audience") or ()), notes=record.get("summary", ""),
            holdings=holdings_from_copies(rows, sources[source], libraries),
            work_libraries=len(work_libraries[record["work_id"]])))
    return out


def build_index(settings) -> None:
    """Index the sample into `data_dir/index`, the embedded backend a deployment's `grenselos index` writes."""
    from index.backend import open_backend
    backend = open_backend(settings)
    try:
        backend.add(documents(settings))
        backend.commit()
    finally:
        backend.close()
