"""Benchmark: the retention purge on a generated organisation, and the check that every
annual report is the same before and after.

Uses the data of benchmarks/reports.py at a fraction of its size (default 0.1: 110,000
visits, 17,000 persons, 66,000 conversations over 2016-2025, a second small organisation),
purges at 7 December 2026 with the default five years, and prints the time of the dry run
and of the purge (sealing ahead included), the counts, and whether every annual report of
2016-2026, for the organisation and each region, is unchanged.

    .venv/bin/python benchmarks/retention.py [--scale 0.1]                    # SQLite
    bash scripts/with-postgres.sh sh -c \\
        '.venv/bin/python benchmarks/retention.py --url "$TEST_DATABASE_URL"'  # PostgreSQL

Not part of `make test`. Results: docs/security.md, "Retention".
"""

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import reports as data  # noqa: E402

NOW = datetime(2026, 12, 7, 3, 30, tzinfo=UTC)
YEARS = range(2016, 2027)


def run(url: str, scale: float) -> None:
    from flask_migrate import upgrade

    from outreach import create_app
    from outreach.db import db
    from outreach.orgs.services import create_organisation
    from outreach.reports import figures, queries
    from outreach.retention import services

    app = create_app({"OUTREACH_ENV": "development", "SECRET_KEY": "x" * 40, "DATABASE_URL": url})
    with app.app_context():
        upgrade()
        org = create_organisation("Benchmark org", list(data.REGIONS))
        other = create_organisation("Other org", ["syddanmark"])
        db.session.commit()
        big = data.generate(
            org.id,
            int(1_000_000 * scale),
            int(150_000 * scale),
            int(600_000 * scale),
            int(3_000 * scale) or 30,
            seed=1,
        )
        small = data.generate(other.id, 10_000, 2_000, 6_000, 60, seed=2)
        db.session.rollback()
        data.load(
            db.engine,
            {
                name: rows + extra
                for name, rows, extra in zip(data.COLUMNS, big, small, strict=True)
            },
        )
        db.session.rollback()
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        db.session.rollback()
        regions = [None, *data.REGIONS]
        before = {(y, r): figures.annual_report(org, y, r) for y in YEARS for r in regions}
        db.session.rollback()

        started = time.perf_counter()
        services.plans(NOW)
        dry_run = time.perf_counter() - started
        db.session.rollback()
        started = time.perf_counter()
        results = services.purge(NOW)
        purge = time.perf_counter() - started

        db.session.expire_all()
        after = {
            (y, r): queries.load(org, figures.Period(y), r, "live").report
            for y in YEARS
            for r in regions
        }
        print(f"{db.engine.dialect.name}: dry run {dry_run:.1f} s, purge {purge:.1f} s")
        for name, counts in results.items():
            print(
                f"  {name}: {counts['persons']} persons ({counts['person_records']} records), "
                f"{counts['conversations']} conversations, {counts['snapshots_sealed']} "
                "snapshots sealed"
            )
        print(f"  every annual report unchanged: {after == before}")
        db.session.remove()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--url", help="an empty database (default: a temporary SQLite file)")
    args = parser.parse_args()
    if args.url:
        run(args.url, args.scale)
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{tmp}/retention.sqlite3", args.scale)


if __name__ == "__main__":
    main()
