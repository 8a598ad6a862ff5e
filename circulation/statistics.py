"""Per library and year, what the National Library's public-library statistics ask of circulation: loans
and renewals apart, by item type and children/adults, inter-library loans out, stock, active borrowers.

Why from these rows: loans keep the patron's category, the item type and both libraries when they lose
the patron at return, and `borrower_years` keeps a pseudonymous mark per borrower and year, so nothing
the report needs is lost to anonymisation. Renewals are counted with the year the loan began.
Inter-library loans: out are loans to an `ill-library` borrower at this library (a peer outside the county
borrowing over NCIP is one); in are loans by another library to this library's `ill-library` borrower (its
`patron_library`), and copies borrowed over NCIP and lent to this library's patrons (`ill_requests`). Language groups (Sami, Kven,
Finnish, Russian; `vocab.languages.STATISTICS_GROUPS`) come from the record's languages as the transform
stage keeps them (`statistics_facts`); a loan of a book in two grouped languages counts in both.
Additions and withdrawals come from `stock_ledger`, which `reconcile_stock` keeps in step with the copies
table (first seen, removed); copies there before the ledger's first reconcile are the baseline, no addition.

Small cells: `suppressed` gives the public form of a report (cells under `[circulation] suppress_below`
become None). Complementary rule: in every group of cells that adds up to a published total (item type ×
children/adults/libraries; the libraries column, which adds up to inter-library loans out; a month's
language groups; the active borrowers' groups), when exactly one cell is suppressed, the smallest other
(non-zero, where there is one) cell of the group is suppressed too, so the total never gives one back.
A per-group rule: it does not audit every linear combination of published sums across groups.
Staff see the exact report of their own library.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from circulation.ill_tables import ill_requests
from circulation.tables import borrower_years, loans, stock_ledger
from transform.copies import copies
from transform.statistics import facts_table
from vocab.languages import STATISTICS_GROUPS, statistics_group

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


def reconcile_stock(conn, now: datetime | None = None) -> tuple[int, int]:
    """Note copies new since the last reconcile (first seen now) and copies gone (removed now); returns
    (added, removed). The first reconcile records the baseline, which counts as no addition."""
    now = now or datetime.now(timezone.utc)
    baseline = conn.execute(select(func.count()).select_from(stock_ledger)).scalar() == 0
    known = {r.copy_id: r.library for r in conn.execute(
        select(stock_ledger.c.copy_id, stock_ledger.c.library).where(stock_ledger.c.removed_at.is_(None)))}
    present = {r.id: r.library for r in conn.execute(
        select(copies.c.id, copies.c.library).where(copies.c.library.is_not(None)))}
    gone = [cid for cid, lib in known.items() if present.get(cid) != lib]
    new = [{"copy_id": cid, "library": lib, "first_seen": None if baseline else now, "removed_at": None}
           for cid, lib in present.items() if known.get(cid) != lib]
    for start in range(0, len(gone), 500):
        conn.execute(update(stock_ledger).where(stock_ledger.c.copy_id.in_(gone[start:start + 500]),
                                                stock_ledger.c.removed_at.is_(None)).values(removed_at=now))
    # A copy that moved library is withdrawn there (its open row closed above) and added here.
    for start in range(0, len(new), 500):
        conn.execute(insert(stock_ledger), new[start:start + 500])
    return (0 if baseline else len(new)), len(gone)


def _bounds(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=timezone.utc), datetime(year + 1, 1, 1, tzinfo=timezone.utc)


def language_loans(conn, library: str, year: int) -> dict[str, dict[str, int]]:
    """Loans per month ("01".."12") and language group at one lending library."""
    start, end = _bounds(year)
    grouped = select(facts_table.c.source, facts_table.c.identifier, facts_table.c.language).distinct().subquery()
    rows = conn.execute(select(loans.c.id, loans.c.out_at, grouped.c.language).join(
        grouped, and_(grouped.c.source == loans.c.source, grouped.c.identifier == loans.c.identifier))
        .where(loans.c.library == library, loans.c.out_at >= start, loans.c.out_at < end)).all()
    seen: set[tuple[int, str]] = set()
    out = {f"{m:02d}": {name: 0 for name, _ in STATISTICS_GROUPS} for m in range(1, 13)}
    for loan_id, out_at, language in rows:
        group = statistics_group(language)
        if group is None or (loan_id, group) in seen:
            continue
        seen.add((loan_id, group))
        out[f"{out_at.month:02d}"][group] += 1
    return out


def annual(conn, library: str, year: int) -> dict:
    """The year's figures for one lending library (exact: for the library's own staff and the county)."""
    start, end = _bounds(year)
    in_year = (loans.c.out_at >= start, loans.c.out_at < end)
    rows = conn.execute(select(loans.c.item_type, loans.c.patron_category, func.count(), func.sum(loans.c.renewals))
                        .where(loans.c.library == library, *in_year)
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
    ill_in = conn.execute(select(func.count()).select_from(loans).where(
        loans.c.patron_category == "ill-library", loans.c.patron_library == library, loans.c.library != library,
        *in_year)).scalar()
    ill_in += conn.execute(select(func.count()).select_from(ill_requests).where(   # borrowed over NCIP
        ill_requests.c.role == "borrowing", ill_requests.c.library == library, ill_requests.c.lent_at >= start,
        ill_requests.c.lent_at < end)).scalar()
    active = dict(conn.execute(select(borrower_years.c.age_group, func.count()).where(
        borrower_years.c.library == library, borrower_years.c.year == year).group_by(borrower_years.c.age_group)).all())
    stock = conn.execute(select(func.count()).select_from(copies).where(copies.c.library == library)).scalar()
    ledger = stock_ledger.c
    additions = conn.execute(select(func.count()).select_from(stock_ledger).where(
        ledger.library == library, ledger.first_seen >= start, ledger.first_seen < end)).scalar()
    withdrawals = conn.execute(select(func.count()).select_from(stock_ledger).where(
        ledger.library == library, ledger.removed_at >= start, ledger.removed_at < end)).scalar()
    return {"library": library, "year": year, "loans": total, "renewals": renewals, "ill_loans_out": ill_out,
            "ill_loans_in": ill_in, "loans_by_item_type": by_type, "active_borrowers": sum(active.values()),
            "active_borrowers_by_group": active, "stock": stock, "additions": additions,
            "withdrawals": withdrawals, "language_loans_by_month": language_loans(conn, library, year)}


def _suppress_group(cells: dict, threshold: int) -> dict:
    """One additive group: small non-zero cells become None; a lone suppressed cell takes the smallest other
    non-zero cell with it (a zero one when there is none): complementary suppression."""
    out = {k: (None if v and v < threshold else v) for k, v in cells.items()}
    hidden = [k for k, v in out.items() if v is None]
    if len(hidden) == 1:
        others = sorted((v == 0, v, k) for k, v in out.items() if v is not None)     # non-zero first
        if others:
            out[others[0][2]] = None
    return out


def suppressed(report: dict, threshold: int) -> dict:
    """The public form of `annual`: every cell under `threshold` (but not zero) is None, with the
    complementary rule above, also down the libraries column (whose sum, inter-library loans out, is
    published); totals stay unless under the threshold themselves."""
    if threshold <= 1:
        return dict(report, suppress_below=threshold)
    out = dict(report)
    by_type = {t: _suppress_group(cells, threshold) for t, cells in report["loans_by_item_type"].items()}
    # The libraries column adds up to the published inter-library loans out: the same rule down the column.
    hidden = [t for t in by_type if by_type[t]["libraries"] is None]
    if len(hidden) == 1 and report["ill_loans_out"] >= threshold:
        others = sorted((cells["libraries"], t) for t, cells in by_type.items() if cells["libraries"])
        if others:
            by_type[others[0][1]]["libraries"] = None
    out["loans_by_item_type"] = by_type
    out["language_loans_by_month"] = {m: _suppress_group(cells, threshold)
                                      for m, cells in report["language_loans_by_month"].items()}
    out["active_borrowers_by_group"] = _suppress_group(report["active_borrowers_by_group"], threshold)
    for key in ("loans", "renewals", "ill_loans_out", "ill_loans_in", "active_borrowers", "additions", "withdrawals"):
        if report[key] and report[key] < threshold:
            out[key] = None
    out["suppress_below"] = threshold
    return out


def text(report: dict) -> str:
    """The report as plain text (the same figures as the JSON); None prints as "suppressed"."""
    def show(v):
        return "suppressed" if v is None else str(v)
    lines = [f"Library {report['library']}, {report['year']}",
             f"  loans {show(report['loans'])}, renewals {show(report['renewals'])}",
             f"  inter-library loans out {show(report['ill_loans_out'])}, in {show(report['ill_loans_in'])}",
             f"  stock {show(report['stock'])}, additions {show(report['additions'])}, "
             f"withdrawals {show(report['withdrawals'])}",
             f"  active borrowers {show(report['active_borrowers'])} "
             + ", ".join(f"{k} {show(v)}" for k, v in sorted(report['active_borrowers_by_group'].items())),
             "  loans by item type (children / adults / libraries):"]
    for item_type, cells in sorted(report["loans_by_item_type"].items()):
        row = " / ".join(show(cells[group]) for group in ("children", "adults", "libraries"))
        lines.append(f"    {item_type}: {row}")
    lines.append("  loans by language group and month (" + " / ".join(n for n, _ in STATISTICS_GROUPS) + "):")
    for month, cells in sorted(report["language_loans_by_month"].items()):
        lines.append(f"    {month}: " + " / ".join(show(cells[n]) for n, _ in STATISTICS_GROUPS))
    if "suppress_below" in report:
        lines.append(f"  (cells under {report['suppress_below']} suppressed)")
    return "\n".join(lines)
