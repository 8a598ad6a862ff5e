"""Holdings per library of one record, as the index has always computed them: from the items its
source's holdings profile reports (`transform.holdings`), each copy filed under the library that holds it
(`vocab.libraries`). Moved here unchanged from the MARC reading the search documents no longer use; the
copies table of issue 11 replaces it. The bibliographic fields come from the description
(`index.projection`), never from here.
"""

from __future__ import annotations

from index.document import Copy, Holding
from vocab import statuses


def _summary(copies: list[Copy]) -> tuple[str, str]:
    if not copies:
        return "unknown", ""
    status = statuses.best([c.status for c in copies])
    due = min((c.due_date for c in copies if c.status == "on_loan" and c.due_date), default="")
    return status, due if status == "on_loan" else ""


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
        return (_holding(own, "", []),)
    return tuple(_holding(library, code, items) for library, code, items in grouped.values())


def _holding(library, code: str, items: list) -> Holding:
    copies = [Copy(i.status, i.due_date, i.location, i.call_number) for i in items]
    status, due = _summary(copies)
    if library is None:                  # an unknown code: shown as the code, outside every library facet
        return Holding(code, items=len(items), available=0, status=status, due_date=due, copies=tuple(copies),
                       name=code, region=False, known=False, kind="")
    return Holding(
        library.id, library.municipality, library.kind, items=max(1, len(items)),
        available=sum(1 for c in copies if statuses.get(c.status).available_now),
        call_number=next((c.call_number for c in copies if c.call_number), ""), isil=library.isil,
        location=next((c.location for c in copies if c.location), ""), status=status, due_date=due,
        copies=tuple(copies), name=library.name, region=library.in_region)
