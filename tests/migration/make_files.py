"""Synthetic Mikromarc exports in the documented shapes (see transform/mikromarc.py): MARC 21 ISO 2709
with copies in 852, NORMARC with 850/096/019/574, a broken file, patrons and loans CSV. Used by the tests
and by bench/migrate.py (`write_all(folder, copies=..., patrons=..., loans=...)`)."""

from __future__ import annotations

from pathlib import Path

from pymarc import Field, Leader, MARCWriter, Record, Subfield


def _record(control: str, title: str, holdings: list[Field], normarc: bool = False) -> Record:
    r = Record(leader=Leader("00000nam a2200000 a 4500"), force_utf8=True)
    r.add_field(Field(tag="001", data=control))
    r.add_field(Field(tag="008", data="190101s2019    no            000 0 nob d"))
    r.add_field(Field(tag="245", indicators=["1", "0"], subfields=[Subfield("a", title)]))
    if normarc:
        r.add_field(Field(tag="019", indicators=[" ", " "], subfields=[Subfield("b", "l"), Subfield("a", "a")]))
        r.add_field(Field(tag="574", indicators=[" ", " "], subfields=[Subfield("a", f"Originaltittel: {title}")]))
    for f in holdings:
        r.add_field(f)
    return r


def marc21(path: Path, records: int, copies_per: int = 2, prefix: str = "M", owner: str = "NO-2190000") -> None:
    with open(path, "wb") as fh:
        w = MARCWriter(fh)
        for n in range(1, records + 1):
            holdings = [Field(tag="852", indicators=[" ", " "], subfields=[
                Subfield("a", owner), Subfield("c", "Voksen"), Subfield("h", f"839.82 Ham"),
                Subfield("p", f"{prefix}{n:06d}{k}")]) for k in range(copies_per)]
            w.write(_record(f"{prefix}{n}", f"Bok nummer {n}", holdings))


def normarc(path: Path, records: int, copies_per: int = 1, prefix: str = "N", owner: str = "tromso") -> None:
    with open(path, "wb") as fh:
        w = MARCWriter(fh)
        for n in range(1, records + 1):
            holdings = [Field(tag="850", indicators=[" ", " "], subfields=[Subfield("a", owner)])] + [
                Field(tag="096", indicators=[" ", " "], subfields=[
                    Subfield("a", owner), Subfield("b", "Barn"), Subfield("c", "Eve"),
                    Subfield("p", f"{prefix}{n:06d}{k}"), Subfield("s", "Tilgjengelig")]) for k in range(copies_per)]
            w.write(_record(f"{prefix}{n}", f"Gammel bok {n}", holdings, normarc=True))


def broken(path: Path) -> None:
    """Two records whose directories are broken (a truncated export)."""
    path.write_bytes(b"00400nam  2200097   4500" + b"XYZ" * 30 + b"\x1e\x1d" + b"00300nam  2200049   45000010" + b"\x1d")


def patrons_csv(path: Path, count: int, library: str = "tromso") -> None:
    lines = ["card,pin,name,email,library,category"]
    lines += [f"L{n:07d},1234,Låner {n},,{library},adult" for n in range(1, count + 1)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def loans_csv(path: Path, count: int, prefix: str = "M") -> None:
    lines = ["card,barcode,due_date"]
    lines += [f"L{n:07d},{prefix}{n:06d}0,2027-01-{1 + n % 28:02d}" for n in range(1, count + 1)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_all(folder: Path, copies: int = 10, patrons: int = 5, loans: int = 3) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    out = {"marc21": folder / "katalog-marc21.iso", "normarc": folder / "katalog-normarc.iso",
           "patrons": folder / "laanere.csv", "loans": folder / "utlaan.csv"}
    marc21(out["marc21"], max(copies // 2, 1))
    normarc(out["normarc"], max(copies // 10, 1))
    patrons_csv(out["patrons"], patrons)
    loans_csv(out["loans"], loans)
    return out
