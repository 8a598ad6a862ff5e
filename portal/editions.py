"""What counts as one edition of a work, and which libraries hold any of them: one rule for every page.

Each library sends its own record of a book, so a work of three records may be one edition held by
three libraries. The search hit, the work page, the record page and both JSON APIs count editions and
list holding libraries through this module, so `/api/search` and `/api/record` cannot disagree about
how many editions a work has. Documents are the dicts `portal.index_adapter.document_dict` makes.
"""

from __future__ import annotations

from index.text import fold
from vocab import statuses


def edition_key(doc: dict) -> tuple:
    """Same ISBN, or without one the same language, year, format and title."""
    isbns = (doc.get("identifiers") or {}).get("isbn") or []
    if isbns:
        return ("isbn", tuple(sorted({i.replace("-", "") for i in isbns})))
    return ("desc", tuple(doc.get("languages") or ())[:1], doc.get("year"), doc.get("format"),
            fold(doc.get("title") or ""))


def same_edition(a: dict, b: dict) -> bool:
    ka, kb = edition_key(a), edition_key(b)
    if ka[0] == kb[0] == "isbn":
        return bool(set(ka[1]) & set(kb[1]))
    return ka == kb


def editions(docs: list[dict]) -> list[list[dict]]:
    """The records grouped into editions, in the order their first record comes."""
    groups: list[list[dict]] = []
    for doc in docs:
        for group in groups:
            if same_edition(group[0], doc):
                group.append(doc)
                break
        else:
            groups.append([doc])
    return groups


def edition_count(docs: list[dict]) -> int:
    return len(editions(docs))


def library_holdings(docs: list[dict], mine: str = "") -> list[dict]:
    """The region's libraries holding any of `docs`, one entry each (items, available, best status),
    the patron's library first, then libraries with a copy on the shelf, then by name."""
    by_library: dict[str, dict] = {}
    for doc in docs:
        for h in doc.get("holdings") or ():
            if not h.get("region", True):
                continue
            entry = by_library.setdefault(h["library"], {
                "library": h["library"], "name": h.get("name") or h["library"],
                "municipality": h.get("municipality", ""), "items": 0, "available": 0, "status": "",
                "mine": False, "deposit_until": ""})
            entry["items"] += int(h.get("items") or 0)
            entry["available"] += int(h.get("available") or 0)
            entry["deposit_until"] = max(entry["deposit_until"], h.get("deposit_until") or "")
            status = statuses.get(h.get("status") or "").code
            if not entry["status"] or statuses.rank(status) < statuses.rank(entry["status"]):
                entry["status"] = status
    return mine_first(list(by_library.values()), mine)


def mine_first(holdings: list[dict], mine: str) -> list[dict]:
    for h in holdings:
        h["mine"] = bool(mine) and h["library"] == mine
    return sorted(holdings, key=lambda h: (not h["mine"], h["available"] == 0, h["name"].casefold()))
