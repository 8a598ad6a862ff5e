"""Holdings per library of one record, as the index has always computed them: from the items its
source's holdings profile reports (`transform.holdings`), each copy filed under the library that holds it
(`vocab.libraries`). Moved here unchanged from the MARC reading the search documents no longer use; the
copies table of issue 11 replaces it. The bibliographic fields come from the description
(`index.projection`), never from here.
"""

from __future__ import annotations

from index.document import Copy, Holding
from vocab import statuses


def holdings_of(record, source, holdings_records=(), directory=None) -> tuple[Holding, ...]:
    """Holdings per library from the items the source's holdings profile reports (transform.holdings),
    each filed under the library that holds it (`vocab.libraries.Directory.resolve`): a copy naming another
    library is that library's, a code nobody knows stays that code (never the source's). A record without
    item fields is one holding of the source, status unknown."""
    from transform.holdings import read_items
    from vocab.libraries import Directory
    directory = directory or Directory((source,))
    grouped: dict[str, tuple[object, str, list]] = {}
    for item in read_items(record, source.holdings, holdings_records):
        found = directory.resolve(item.library, source.id)
        key = found.library.id if found.library is not None else found.code
        grouped.setdefault(key, (found.library, found.code, []))[2].append(item)
    if not grouped:
        own = directory.resolve("", source.id).library
        return (holding(own, "", ()),)
    return tuple(holding(library, code, tuple(Copy(i.status, i.due_date, i.location, i.call_number) for i in items))
                 for library, code, items in grouped.values())


def holding(library, code: str, copies: tuple[Copy, ...]) -> Holding:
    """One library's holding from its copies, summarised for a hit list: the best status (on loan: the
    earliest due date), copies available now, the first call number and location, and until when copies
    on deposit there stay (the latest such day). `library` None: a code
    nobody knows, shown as that code and outside every library facet. No copies: one holding, status unknown.
    The one summary for copies read from the copies table (`index.copies`) and from MARC (here)."""
    best = statuses.best([c.status for c in copies])
    due = min((c.due_date for c in copies if c.status == "on_loan" and c.due_date), default="")
    deposit = max((c.deposit_until for c in copies if c.deposit_until), default="")
    common = {"status": best, "due_date": due if best == "on_loan" else "", "copies": copies,
              "deposit_until": deposit,
              "call_number": next((c.call_number for c in copies if c.call_number), ""),
              "location": next((c.location for c in copies if c.location), "")}
    if library is None:
        return Holding(code, kind="", items=len(copies), available=0, name=code, region=False, known=False,
                       **common)
    return Holding(library.id, library.municipality, library.kind, items=max(1, len(copies)),
                   available=sum(1 for c in copies if statuses.get(c.status).available_now), isil=library.isil,
                   name=library.name, region=library.in_region, **common)
