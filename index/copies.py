"""Holdings of a search document from the copies table (`transform.copies`), the truth about copies.

The index no longer re-reads 852/952 fields for records the transform stage has seen: it groups the rows
the transform stage (and later the circulation core) keeps, so a status written there is what search
shows after the next incremental index run touches just that record.
"""

from __future__ import annotations

from index.document import Copy, Holding
from vocab import statuses


def holdings_from_copies(rows, source, directory) -> tuple[Holding, ...]:
    """One Holding per library, from a record's copy rows (`transform.copies.CopyRow`), in row order.

    A record without copies is one holding of its source with status unknown, as before.
    """
    if not rows:
        own = directory.resolve("", source.id).library
        return (Holding(own.id, own.municipality, own.kind, items=1, available=0, isil=own.isil,
                        status=statuses.UNKNOWN, name=own.name, region=own.in_region),)
    grouped: dict[str, list] = {}
    for row in rows:
        grouped.setdefault(row.library or f"\0{row.library_code}", []).append(row)
    out = []
    for key, group in grouped.items():
        library = directory.get(group[0].library) if group[0].library else None
        copies = tuple(Copy(r.status, r.due_date if r.status == "on_loan" else "", r.location, r.call_number,
                            id=r.id, item_id=r.item_id) for r in group)
        best = statuses.best([c.status for c in copies])
        due = min((c.due_date for c in copies if c.status == "on_loan" and c.due_date), default="")
        available = sum(1 for c in copies if statuses.get(c.status).available_now)
        common = {"items": len(copies), "available": available, "status": best,
                  "due_date": due if best == "on_loan" else "", "copies": copies,
                  "call_number": next((c.call_number for c in copies if c.call_number), ""),
                  "location": next((c.location for c in copies if c.location), "")}
        if library is None:          # a code nobody knows: shown as the code, outside every library facet
            code = group[0].library_code
            out.append(Holding(code, kind="", name=code, region=False, known=False,
                               **{**common, "available": 0}))
        else:
            out.append(Holding(library.id, library.municipality, library.kind, isil=library.isil, name=library.name,
                               region=library.in_region, **common))
    return tuple(out)
