"""Measure `grenselos migrate mikromarc` at a library's size: 100k copies, 20k patrons, 5k loans (synthetic
exports from tests/migration/make_files.py: MARC 21 with two copies a record, a tenth NORMARC), dry run,
apply and an unchanged rerun, on SQLite (default) or PostgreSQL.

    .venv/bin/python bench/migrate.py [--copies 100000] [--patrons 20000] [--loans 5000]
        [--pg postgresql+psycopg://postgres@127.0.0.1:55432/postgres]

The issue's goal is the whole migration in ≤ 2 minutes. Every patron's PIN is hashed for real, with the PIN
parameters of `[circulation]` (argon2id, light: see accounts/passwords.py) on every core. Prints each
phase's seconds and the peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from accounts import passwords  # noqa: E402
from circulation import migration  # noqa: E402
from circulation.service import Circulation  # noqa: E402
from core.db import engine_for, migrate  # noqa: E402
from core.settings import from_dict  # noqa: E402
from tests.migration import make_files  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=100_000)
    ap.add_argument("--patrons", type=int, default=20_000)
    ap.add_argument("--loans", type=int, default=5_000)
    ap.add_argument("--pg", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        marc21, normarc = folder / "marc21.iso", folder / "normarc.iso"
        nor_records = args.copies // 10
        make_files.marc21(marc21, (args.copies - nor_records) // 2)
        make_files.normarc(normarc, nor_records)
        make_files.patrons_csv(folder / "patrons.csv", args.patrons)
        make_files.loans_csv(folder / "loans.csv", args.loans)
        url, admin, name = f"sqlite:///{folder / 'records.sqlite'}", None, None
        if args.pg:
            name = f"bench_migrate_{uuid.uuid4().hex[:8]}"
            admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f"CREATE DATABASE {name}"))
            url = args.pg.rsplit("/", 1)[0] + "/" + name
        try:
            engine = engine_for(url)
            migrate(engine)
            settings = from_dict({"database_url": url, "data_dir": str(folder), "sources": [
                {"id": "tromso", "name": "Tromsø bibliotek", "municipality": "Tromsø", "circulation": True}]})
            circ = Circulation(engine, settings)
            times = {}
            for phase, dry in (("dry run", True), ("apply", False), ("rerun", False)):
                start = time.perf_counter()
                plan = migration.run(circ, "tromso", [marc21, normarc], patrons_file=folder / "patrons.csv",
                                     loans_file=folder / "loans.csv", dry_run=dry)
                times[phase] = time.perf_counter() - start
                print(f"{phase}: {times[phase]:.1f} s; {dict(plan.counts)}; refused {plan.refused_rows}", flush=True)
            start = time.perf_counter()             # the share of apply that is PIN hashing, measured alone
            passwords.hash_many(["1234"] * args.patrons, circ.pin_hasher)
            times["pins"] = time.perf_counter() - start
            engine.dispose()
        finally:
            if admin is not None:
                with admin.connect() as conn:
                    conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    print(f"{'PostgreSQL' if args.pg else 'SQLite'}: {args.copies} copies, {args.patrons} patrons, {args.loans} loans: "
          f"dry run {times['dry run']:.1f} s, apply {times['apply']:.1f} s (of which PIN hashing alone "
          f"{times['pins']:.1f} s), rerun {times['rerun']:.1f} s; "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (goal: apply ≤ 120 s)")


if __name__ == "__main__":
    main()
