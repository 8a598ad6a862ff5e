"""Mikromarc's catalogue exports as MARC 21 with copies the holdings profile `marc-852` reads.

Why here: MARC is read only in the transform stage; `circulation.migration` hands each exported record to
`normalise` and stores what comes back, so the next `grenselos transform` reads the same copies the
migration wrote (852 $a owner, $c shelf, $h call number linked by $8 to 876 $p barcode, $j status).

What Mikromarc exports (sources: Axiell's "Norge: Overgang fra NORMARC til MARC21", axiellbrukerstyre.com
2019-04-03 — Mikromarc stores and exchanges MARC, MARC 21 from 2019; the NORMARC field list at
bibliotekutvikling.no, version 2015-12-01; Nasjonalbiblioteket's normarc2marc21 notes on 019 $b):
* MARC 21 (2019 on): copies in 852 — $a owner (ISIL or branch code), $b department, $c shelf,
  $h call number, $p barcode, $y/$z status or note; 876 $p/$j when the export splits items out.
* NORMARC (before): owner in 850 $a, one 096 per copy ($a owner/branch, $b shelf, $c call number,
  $p barcode, $s status), local call number in 090 $c/$d, codes in 019. No public page documents
  Mikromarc's own copy subfields; the 096 layout is the one assumed here and by the synthetic tests.
NORMARC tags without a MARC 21 home (transform/data/normarc_marc21.tsv) are dropped and reported.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from harvest.marcdata import ControlField, DataField, MarcData
from transform.holdings import ItemFacts, read_items
from vocab import statuses

TABLE = Path(__file__).parent / "data" / "normarc_marc21.tsv"


@lru_cache(maxsize=1)
def table() -> dict[str, tuple[str, str]]:
    """NORMARC tag → (action, MARC 21 target)."""
    out = {}
    with open(TABLE, encoding="utf-8") as f:
        for row in csv.reader((line for line in f if line.strip() and not line.startswith("#")), delimiter="\t"):
            out[row[0]] = (row[1], row[2])
    return out


@dataclass
class Normalised:
    record: MarcData
    dialect: str                                     # "marc21" | "normarc"
    copies: list[ItemFacts] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)    # NORMARC tags dropped


def _subs(f: DataField, code: str) -> list[str]:
    return [v.strip() for c, v in f.subfields if c == code and v.strip()]


def _one(f: DataField, code: str) -> str:
    found = _subs(f, code)
    return found[0] if found else ""


def is_normarc(record: MarcData) -> bool:
    """NORMARC's own holdings and code fields, and no MARC 21 holdings."""
    return not record.has("852") and any(record.has(tag) for tag in ("096", "850", "019"))


def _status(word: str) -> str:
    return statuses.from_word(word) if word else statuses.get("available").code


def normalise(record: MarcData) -> Normalised:
    """The record as MARC 21, its copies and the NORMARC tags it lost."""
    if is_normarc(record):
        return _from_normarc(record)
    data = [f for f in record.fields if isinstance(f, DataField)]
    if not any(f.tag in ("876", "877", "878") for f in data):
        copies = [ItemFacts(_one(f, "a"), " / ".join(dict.fromkeys(x for x in (_one(f, "b"), _one(f, "c")) if x)),
                            " ".join(_subs(f, "h") + _subs(f, "i")) or _one(f, "k"),
                            _status(_one(f, "y")), "", " ".join(_subs(f, "z")), _one(f, "p"))
                  for f in data if f.tag == "852"]
    else:
        copies = [c if c.status != statuses.UNKNOWN else _replace_status(c) for c in read_items(record, "marc-852")]
    kept = [f for f in record.fields if f.tag not in ("852", "876", "877", "878")]
    return Normalised(_with_copies(record, kept, copies), "marc21", copies)


def _replace_status(c: ItemFacts) -> ItemFacts:
    return ItemFacts(c.library, c.location, c.call_number, _status(""), c.due_date, c.note, c.item_id)


def _from_normarc(record: MarcData) -> Normalised:
    rules = table()
    kept, unmapped, copies = [], [], []
    owner = next((_one(f, "a") for f in record.fields if isinstance(f, DataField) and f.tag == "850"), "")
    local_call = next((" ".join(_subs(f, "c") + _subs(f, "d")) for f in record.fields
                       if isinstance(f, DataField) and f.tag == "090"), "")
    for f in record.fields:
        action, target = rules.get(f.tag, ("keep", ""))
        if isinstance(f, ControlField) or action == "keep":
            kept.append(f)
        elif action == "retag":
            kept.append(DataField(target, f.ind1, f.ind2, list(f.subfields)))
        elif action == "note":
            text = " ".join(v.strip() for c, v in f.subfields if c == "a" and v.strip())
            if text:
                kept.append(DataField("500", " ", " ", [("a", text)]))
        elif action == "holdings":
            if f.tag == "096":
                copies.append(ItemFacts(_one(f, "a") or owner, _one(f, "b"), _one(f, "c") or local_call,
                                        _status(_one(f, "s")), "", " ".join(_subs(f, "z")), _one(f, "p")))
        else:
            unmapped.append(f.tag)
    if not copies and owner:
        copies.append(ItemFacts(owner, "", local_call, _status(""), "", "", ""))
    return Normalised(_with_copies(record, kept, copies), "normarc", copies, unmapped)


def _with_copies(record: MarcData, kept: list, copies: list[ItemFacts]) -> MarcData:
    """The stored shape: one 852 + 876 pair per copy, linked by $8."""
    fields = list(kept)
    for n, c in enumerate(copies, 1):
        loc = [("8", str(n))] + [(code, value) for code, value in (("a", c.library), ("c", c.location),
                                                                  ("h", c.call_number), ("z", c.note)) if value]
        fields.append(DataField("852", " ", " ", loc))
        unit = [("8", str(n))] + [(code, value) for code, value in (("p", c.item_id),
                                                                   ("j", statuses.label(c.status, "nb") if c.status != statuses.UNKNOWN else "")) if value]
        fields.append(DataField("876", " ", " ", unit))
    return MarcData(record.leader, fields, list(record.problems))
