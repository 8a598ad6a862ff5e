"""Per library and year, what the National Library's public-library statistics ask of circulation: loans
and renewals apart, by item type and children/adults, inter-library loans out, stock, active borrowers.

Why from these rows: loans keep the patron's category, the item type and both libraries when they lose
the patron at return, and `borrower_years` keeps a pseudonymous mark per borrower and year, so nothing
the report needs is lost to anonymisation. Renewals are counted with the year the loan began.
Not yet: inter-library loans in, additions and withdrawals, the Data Cube beside the holdings cube, and
the suppression of small cells in anything public (see the issue).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from circulation.tables import borrower_years, loans
from transform.copies import copies

CHILDREN = ("child", "pupil")


def age_group(category: str) -> str:
    if category == "ill-library":
        return "libraries"
    return "children" if category in CHILDREN else "adults"


def installation_key(data_dir: Path) -> bytes:
    """The key of the borrower hashes: random, made once per installation in data_dir (mode 0600), never
    in the database beside the hashes it keys."""
    path = Path(data_dir) / "statistics-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_bytes()
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_hex(32).encode())
    return path.read_bytes()


def borrower_key(secret: bytes, patron_id: int, year: int) -> str:
    return hmac.new(secret, f"{year}:{patron_id}".encode(), hashlib.sha256).hexdigest()[:32]


def mark_borrower(conn, secret: bytes, library: str, patron_id: int, category: str, at: datetime) -> None:
    """Note that this patron borrowed at this library this year (idempotent)."""
    year = at.year
    values = {"library": library, "year": year, "borrower": borrower_key(secret, patron_id, year),
              "age_group": age_group(category)}
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(insert(borrower_years).values(**values).on_conflict_do_nothing())


def annual(conn, library: str, year: int) -> dict:
    """The year's figures for one lending library."""
    start = datetime(year, 1, 1, tzinfo=timezone.utc)
    end = datetime(year + 1, 1, 1, tzinfo=timezone.utc)
    rows = conn.execute(select(loans.c.item_type, loans.c.patron_category, func.count(), func.sum(loans.c.renewals))
                        .where(loans.c.library == library, loans.c.out_at >= start, loans.c.out_at < end)
                        .group_by(loans.c.item_type, loans.c.patron_category)).all()
    by_type: dict[str, dict[str, int]] = {}
    total = renewals = ill_out = 0
    for item_type, category, count, renewed in rows:
        group = age_group(category)
        cell = by_type.setdefault(item_type, {"children": 0, "adults": 0, "libraries": 0})
        cell[group] += count
        total += count
        renewals += renewed or 0
        if group == "libraries":
            ill_out += count
    active = dict(conn.execute(select(borrower_years.c.age_group, func.count()).where(
        borrower_years.c.library == library, borrower_years.c.year == year).group_by(borrower_years.c.age_group)).all())
    stock = conn.execute(select(func.count()).select_from(copies).where(copies.c.library == library)).scalar()
    return {"library": library, "year": year, "loans": total, "renewals": renewals, "ill_loans_out": ill_out,
            "loans_by_item_type": by_type, "active_borrowers": sum(active.values()),
            "active_borrowers_by_group": active, "stock": stock}

