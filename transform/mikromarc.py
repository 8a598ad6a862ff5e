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
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from harvest.marcdata import ControlField, DataField, MarcData
from transform import readings
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


def _texts(row: readings.Row, column: str) -> list[str]:
    return [v.strip() for v in row.texts(column)]


def is_normarc(record: MarcData) -> bool:
    """NORMARC's own holdings and code fields, and no MARC 21 holdings."""
    return not readings.present(record, "holdings.location") and readings.present(record, "normarc.marks")


def _status(word: str) -> str:
    return statuses.from_word(word) if word else statuses.get("available").code


def normalise(record: MarcData) -> Normalised:
    """The record as MARC 21, its copies and the NORMARC tags it lost."""
    if is_normarc(record):
        return _from_normarc(record)
    if not readings.present(record, "holdings.unit"):
        copies = [ItemFacts(f.one("owner"), " / ".join(dict.fromkeys(x for x in (f.one("department"), f.one("shelf"))
                                                                     if x)),
                            " ".join(_texts(f, "classification") + _texts(f, "item_part")) or f.one("prefix"),
                            _status(f.one("status")), "", " ".join(_texts(f, "note")), f.one("piece"))
                  for f in readings.rows(record, "holdings.location")]
    else:
        copies = [c if c.status != statuses.UNKNOWN else _replace_status(c) for c in read_items(record, "marc-852")]
    drop = {id(f) for name in ("holdings.location", "holdings.unit") for f in readings.fields(record, name)}
    kept = [f for f in record.fields if id(f) not in drop]
    return Normalised(_with_copies(record, kept, copies), "marc21", copies)


def _replace_status(c: ItemFacts) -> ItemFacts:
    return replace(c, status=_status(""))


def _from_normarc(record: MarcData) -> Normalised:
    rules = table()
    kept, unmapped = [], []
    owners = readings.rows(record, "normarc.owner")
    owner = owners[0].one("library") if owners else ""
    calls = readings.rows(record, "normarc.call")
    local_call = " ".join(_texts(calls[0], "class") + _texts(calls[0], "shelf_mark")) if calls else ""
    copies = [ItemFacts(f.one("owner") or owner, f.one("shelf"), f.one("call_number") or local_call,
                        _status(f.one("status")), "", " ".join(_texts(f, "note")), f.one("barcode"))
              for f in readings.rows(record, "normarc.copy")]
    for f in record.fields:
        action, target = rules.get(f.tag, ("keep", ""))
        if isinstance(f, ControlField) or action == "keep":
            kept.append(f)
        elif action == "retag":
            kept.append(DataField(target, f.ind1, f.ind2, list(f.subfields)))
        elif action == "note":       # the text of $a, as a general note under the table's target
            text = " ".join(v.strip() for c, v in f.subfields if c == "a" and v.strip())
            if text:
                kept.append(DataField(target, " ", " ", [("a", text)]))
        elif action != "holdings":   # holdings fields became `copies` above
            unmapped.append(f.tag)
    if not copies and owner:
        copies.append(ItemFacts(owner, "", local_call, _status(""), "", "", ""))
    return Normalised(_with_copies(record, kept, copies), "normarc", copies, unmapped)


def _with_copies(record: MarcData, kept: list, copies: list[ItemFacts]) -> MarcData:
    """The stored shape: one location + item pair per copy, linked by $8, written in the columns the
    holdings profile `marc-852` reads them from (holdings.location, holdings.unit)."""
    fields = list(kept)
    loc_tag, loc = readings.layout("holdings.location")
    unit_tag, unit = readings.layout("holdings.unit")
    for n, c in enumerate(copies, 1):
        status = statuses.label(c.status, "nb") if c.status != statuses.UNKNOWN else ""
        fields.append(DataField(loc_tag, " ", " ", [(loc["link"], str(n))] + [
            (loc[column], value) for column, value in (("owner", c.library), ("shelf", c.location),
                                                       ("classification", c.call_number), ("note", c.note)) if value]))
        fields.append(DataField(unit_tag, " ", " ", [(unit["link"], str(n))] + [
            (unit[column], value) for column, value in (("barcode", c.item_id), ("status", status)) if value]))
    return MarcData(record.leader, fields, list(record.problems))
