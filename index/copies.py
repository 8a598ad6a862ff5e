"""Holdings of a search document from the copies table (`transform.copies`), the truth about copies.

The index no longer re-reads 852/952 fields for records the transform stage has seen: it groups the rows
the transform stage (and later the circulation core) keeps, so a status written there is what search
shows after the next incremental index run touches just that record. A copy on deposit
(`circulation.deposits`) is already filed under the deposit's library there, with its until date.
"""

from __future__ import annotations

from index.document import Copy, Holding
from index.holdings import holding


def holdings_from_copies(rows, source, directory) -> tuple[Holding, ...]:
    """One Holding per library, from a record's copy rows (`transform.copies.CopyRow`), in row order.

    A record without copies is one holding of its source with status unknown, as before; a record of a
    `digital` source holds nothing (its access is licensed to libraries, `Document.access`).
    """
    if not rows:
        if source.kind == "digital":
            return ()
        return (holding(directory.resolve("", source.id).library, "", ()),)
    grouped: dict[str, list] = {}
    for row in rows:
        grouped.setdefault(row.library or f"\0{row.library_code}", []).append(row)
    return tuple(holding(directory.get(group[0].library) if group[0].library else None, group[0].library_code,
                         tuple(Copy(r.status, r.due_date if r.status == "on_loan" else "", r.location, r.call_number,
                                    id=r.id, item_id=r.item_id, deposit_until=r.deposit_until,
                                    deposit_place=r.deposit_place if r.deposit_until else "") for r in group))
                 for group in grouped.values())
