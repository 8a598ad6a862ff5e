"""Sample catalogues for the demo: three county libraries and a slice of the national bibliography.

Real records come from the shared test data (Library of Congress marc2bibframe2 set, CC0; BIBSYS SRU
records); the minority-language records are illustrative (`data/illustrative.toml`, clearly labelled).
Each library gets its own copy of a record with its own 001 and its own holdings fields, as a real
library system would export it, so the demo exercises clustering across libraries.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from harvest import marcxml

DATA = Path(__file__).with_name("data")
SLIM = marcxml.SLIM


@dataclass(frozen=True)
class Library:
    id: str
    name: str
    isil: str
    kind: str
    municipality: str
    holdings: str          # holdings profile
    branch: str            # Koha branch code where the profile is koha-952


# ISILs below are illustrative, in the Norwegian NO- + 7 digits shape.
LIBRARIES = (
    Library("tromso", "Tromsø bibliotek (demo)", "NO-1990001", "public", "Tromsø", "koha-952", "TRB"),
    Library("kautokeino", "Guovdageainnu girjerájus / Kautokeino bibliotek (demo)", "NO-1990002", "public",
            "Guovdageaidnu – Kautokeino", "marc-852", "KAU"),
    Library("alta-vgs", "Alta videregående skole, biblioteket (demo)", "NO-1990003", "school", "Alta",
            "marc-852", "AVG"),
)
NATIONAL = Library("nb", "Nasjonalbiblioteket – utvalg av nasjonalbibliografien (demo)", "NO-0030000",
                   "national", "Oslo", "marc-852", "NB")

#: The county's shared digital collection (e-books, e-audiobooks): a source of kind `digital`.
DIGITAL = Library("ebok", "E-bøker og lydbøker i Troms og Finnmark (demo)", "", "digital", "", "marc-852", "EB")

_FIELD = re.compile(r"^(\d{3}) (.*)$")


def _parse_field(line: str):
    """One mnemonic line ("245 10 $a Title / $c Author") → (tag, ind1, ind2, [(code, value)]) or data."""
    match = _FIELD.match(line)
    if not match:
        raise ValueError(f"not a field line: {line!r}")
    tag, rest = match.groups()
    if tag < "010":
        return tag, rest
    indicators, _, body = rest.partition(" ")
    if len(indicators) != 2:
        raise ValueError(f"field {tag} needs two indicators: {line!r}")
    ind1, ind2 = (" " if c == "#" else c for c in indicators)
    subfields = [(part[0], part[1:].strip()) for part in body.split("$")[1:]]
    return tag, ind1, ind2, subfields


def _record_xml(leader: str, controls: list[tuple[str, str]], fields: list) -> str:
    record = etree.Element(f"{{{SLIM}}}record", nsmap={None: SLIM})
    etree.SubElement(record, f"{{{SLIM}}}leader").text = leader
    for tag, data in controls:
        etree.SubElement(record, f"{{{SLIM}}}controlfield", tag=tag).text = data
    for tag, ind1, ind2, subfields in fields:
        df = etree.SubElement(record, f"{{{SLIM}}}datafield", tag=tag, ind1=ind1, ind2=ind2)
        for code, value in subfields:
            etree.SubElement(df, f"{{{SLIM}}}subfield", code=code).text = value
    return marcxml.serialize(record)


def _holdings_fields(library: Library, holding: dict, n: int) -> list:
    barcode = f"{library.branch}{int(hashlib.sha1(holding['record'].encode()).hexdigest()[:8], 16) % 10**8:08d}{n}"
    status = holding.get("status", "available")
    if library.holdings == "koha-952":
        subs = [("a", library.branch), ("b", library.branch if status != "in-transit" else "KAU"),
                ("o", holding["call"]), ("p", barcode), ("y", "BOK")]
        if status == "reference":
            subs.append(("7", "1"))
        if status == "on-loan":
            subs.append(("q", holding["due"]))
        return [("952", " ", " ", subs)]
    item = [("a", barcode), ("j", status)]
    if holding.get("due"):
        item.append(("n", holding["due"]))
    return [("852", " ", " ", [("a", library.isil), ("b", library.name), ("h", holding["call"])]),
            ("876", " ", " ", item)]


def illustrative() -> list[dict]:
    with (DATA / "illustrative.toml").open("rb") as f:
        records = tomllib.load(f)["record"]
    for rec in records:
        for line in rec["fields"]:
            parsed = _parse_field(line)
            if parsed[0] == "008" and len(parsed[1]) != 40:
                raise ValueError(f"{rec['id']}: 008 is {len(parsed[1])} characters, not 40")
    return records


def illustrative_for(library: Library) -> list[tuple[str, str]]:
    """(local id, MARCXML) of every illustrative record this library holds, with its holdings."""
    out = []
    for rec in illustrative():
        mine = [h for h in rec.get("holdings", []) if h["library"] == library.id]
        if not mine:
            continue
        local_id = f"{library.branch.lower()}-{rec['id']}"
        controls = [("001", local_id), ("003", library.isil)]
        fields = []
        for line in rec["fields"]:
            parsed = _parse_field(line)
            if len(parsed) == 2:
                controls.append(parsed)
            else:
                fields.append(parsed)
        for n, holding in enumerate(mine, start=1):
            fields += _holdings_fields(library, {**holding, "record": local_id}, n)
        out.append((local_id, _record_xml(rec["leader"], controls, fields)))
    return out


def digital_records() -> list[tuple[str, str]]:
    """(local id, MARCXML) of the shared digital collection's records (`data/digital.toml`, illustrative):
    856 links and no holdings."""
    with (DATA / "digital.toml").open("rb") as f:
        records = tomllib.load(f)["record"]
    out = []
    for rec in records:
        controls, fields = [("001", rec["id"])], []
        for line in rec["fields"]:
            parsed = _parse_field(line)
            if len(parsed) == 2:
                if len(parsed[1]) != 40 and parsed[0] == "008":
                    raise ValueError(f"{rec['id']}: 008 is {len(parsed[1])} characters, not 40")
                controls.append(parsed)
            else:
                fields.append(parsed)
        out.append((rec["id"], _record_xml(rec["leader"], controls, fields)))
    return out


#: Which real files each demo library holds, as (file, first, last) slices; overlaps are deliberate.
REAL_SLICES = {
    "tromso": (("loc_general.xml", 0, 99), ("british_library.xml", 0, 60)),
    "kautokeino": (("loc_general.xml", 0, 30), ("gwu.xml", 0, 20)),
    "alta-vgs": (("gwu.xml", 0, 99), ("british_library.xml", 30, 70), ("loc_general.xml", 20, 40)),
}
_STATUSES = ("available", "available", "available", "on-loan", "reference", "in-transit")


def _real_records(name: str) -> list:
    tree = etree.parse(str(DATA / name))
    return marcxml.find_records(tree.getroot())


def _call_number(element) -> str:
    for tag, code in (("082", "a"), ("050", "a"), ("060", "a")):
        found = element.xpath(f"./*[local-name()='datafield'][@tag='{tag}']/*[@code='{code}']/text()")
        if found:
            return found[0].split("/")[0].strip()[:20]
    return "Magasin"


def real_for(library: Library) -> list[tuple[str, str]]:
    """(local id, MARCXML) of the real records this library holds, re-identified and given holdings."""
    out = []
    for name, first, last in REAL_SLICES.get(library.id, ()):
        for element in _real_records(name)[first:last]:
            leader = ""
            controls, fields = [], []
            original_001 = None
            for child in element:
                kind = marcxml.local(child.tag)
                if kind == "leader":
                    leader = child.text or ""
                elif kind == "controlfield":
                    if child.get("tag") == "001":
                        original_001 = (child.text or "").strip()
                    elif child.get("tag") != "003":
                        controls.append((child.get("tag"), child.text or ""))
                elif kind == "datafield" and not child.get("tag", "").startswith("9"):
                    fields.append((child.get("tag"), child.get("ind1") or " ", child.get("ind2") or " ",
                                   [(s.get("code"), s.text or "") for s in child]))
            local_id = f"{library.branch.lower()}-{Path(name).stem}-{original_001}"
            digest = int(hashlib.sha1(local_id.encode()).hexdigest()[:6], 16)
            status = _STATUSES[digest % len(_STATUSES)]
            holding = {"record": local_id, "call": _call_number(element), "status": status,
                       "due": f"2026-12-{1 + digest % 28:02d}" if status == "on-loan" else None}
            fields.append(("035", " ", " ", [("a", f"(DLC-demo){original_001}")]))
            fields += _holdings_fields(library, holding, 1)
            controls = [("001", local_id), ("003", library.isil)] + controls
            out.append((local_id, _record_xml(leader, controls, fields)))
    return out


def catalogue(library: Library) -> list[tuple[str, str]]:
    """Everything one demo library serves over OAI-PMH: (local id, MARCXML)."""
    return illustrative_for(library) + real_for(library)


def national_bibliography() -> list[tuple[str, str, str]]:
    """The national library's slice: (local id, record type, MARCXML) from the real BIBSYS page."""
    tree = etree.parse(str(DATA / "oaipmh-bibsys.xml"))
    out = []
    for element in marcxml.find_records(tree.getroot()):
        info = marcxml.inspect(element)
        out.append((info.control_number, info.record_type, marcxml.serialize(element)))
    return out
