"""Benchmark: the annual report service against one hand-written SQL query, same run.

Generates ten years of an organisation's work (1,000,000 visits, ~600,000 conversations,
150,000 persons, some merged; plus a small second organisation), then times
`outreach.reports.figures.annual_report` and a single hand-written query computing the same
figures (checked equal), and prints the median of several runs and their ratio.

    .venv/bin/python benchmarks/reports.py                 # SQLite, then PostgreSQL
    .venv/bin/python benchmarks/reports.py --db sqlite     # SQLite only
    DATABASE_URL=postgresql://... .venv/bin/python benchmarks/reports.py --db postgresql

Without DATABASE_URL, the PostgreSQL run uses a throwaway cluster (scripts/with-postgres.sh).
Not part of `make test`. Results: docs/performance.md, "## Reports".
"""

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import bindparam, text  # noqa: E402

from outreach.db import UTCDateTime  # noqa: E402

FIRST_YEAR, YEARS = 2016, 10
REPORT_YEAR = 2024  # eight years of history before it
REGIONS = ("nordjylland", "midtjylland", "sjaelland")
NATIONALITIES = ("TH", "RO", "NG", "BG", "CN", "ES", "HU", "VN", "BR", "UA")
SUPPLIES = ("condoms", "lubricant", "leaflet_th", "leaflet_ro")


# --- data ----------------------------------------------------------------------------------


def _moment(rng: random.Random) -> datetime:
    start = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
    return start + timedelta(seconds=rng.randrange(YEARS * 365 * 86400))


def generate(org_id, visits: int, persons: int, conversations: int, clinics: int, seed: int):
    """Rows as tuples of Python values, ordered as the INSERT column lists below."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    clinic_rows = []
    for i in range(clinics):
        region = None if i % 50 == 0 else REGIONS[i % 3]
        clinic_rows.append(
            (
                uuid.uuid4(),
                org_id,
                "massage_clinic",
                f"Clinic {i}",
                region,
                "active",
                "registry",
                "manual",
                now,
                now,
                0,
            )
        )
    clinic_ids = [row[0] for row in clinic_rows]

    visit_rows, admitted = [], []
    for _ in range(visits):
        at = _moment(rng)
        ok = rng.random() < 0.48
        vid = uuid.uuid4()
        supplies = {"condoms": rng.choice((10, 20, 50))} if ok else {}
        if ok and rng.random() < 0.3:
            supplies[rng.choice(SUPPLIES[1:])] = rng.randint(1, 5)
        visit_rows.append(
            (
                vid,
                org_id,
                rng.choice(clinic_ids),
                at,
                "admitted" if ok else "not_admitted",
                None if ok else "no_answer",
                json.dumps(supplies),
                "[]",
                "[]",
                rng.choice(("green", "yellow", "red", None, None, None)),
                rng.random() < 0.005,
                now,
                now,
                0,
            )
        )
        if ok:
            admitted.append((vid, at))
    admitted.sort(key=lambda row: row[1])

    person_ids = [uuid.uuid4() for _ in range(persons)]
    person_rows = []
    for i, pid in enumerate(person_ids):
        merged_into = canonical = None
        # One in twenty is a duplicate found later: merged into an earlier person.
        if i > 10 and rng.random() < 0.05:
            merged_into = person_ids[rng.randrange(i)]
        person_rows.append(
            [
                pid,
                org_id,
                f"P{i}",
                rng.choice(NATIONALITIES),
                rng.choice((1980, 1990, 2000)),
                "woman" if rng.random() < 0.9 else "trans_woman",
                "[]",
                merged_into,
                canonical,
                now,
                now,
                0,
            ]
        )
    canonical_of = {}
    for row in person_rows:
        target = row[7]
        canonical_of[row[0]] = canonical_of.get(target, target) if target else row[0]
        row[8] = canonical_of[row[0]]
    person_rows = [tuple(row) for row in person_rows]

    # Persons arrive over the ten years; a conversation at time t is with someone who arrived
    # in the two years before t, so each year has both new and returning persons.
    span = YEARS * 365 * 86400
    window = persons // YEARS * 2
    conversation_rows = []
    for _ in range(conversations):
        if rng.random() < 0.85:
            vid, at = admitted[rng.randrange(len(admitted))]
            channel, given = "visit", False
        else:
            vid, at, channel, given = None, _moment(rng), "phone", True
        arrived = int(
            (at - datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)).total_seconds() / span * persons
        )
        index = max(0, min(persons - 1, arrived - rng.randrange(window)))
        conversation_rows.append(
            (
                uuid.uuid4(),
                org_id,
                person_ids[index],
                vid,
                channel,
                at,
                given,
                "[]",
                False,
                rng.choice(("green", "yellow", "red", None, None)),
                "[]",
                False,
                now,
                now,
                0,
            )
        )
    return clinic_rows, visit_rows, person_rows, conversation_rows


COLUMNS = {
    "clinics": "id, organisation_id, kind, name, region_slug, status, source, geocode_status, "
    "created_at, updated_at, sync_seq",
    "visits": "id, organisation_id, clinic_id, started_at, outcome, not_admitted_reason, "
    "supplies, staff, indicators, concern_level, police_informed, created_at, updated_at, "
    "sync_seq",
    "persons": "id, organisation_id, alias, nationality, birth_year, gender, languages, "
    "merged_into_id, canonical_id, created_at, updated_at, sync_seq",
    "conversations": "id, organisation_id, person_id, visit_id, channel, occurred_at, "
    "occurred_at_given, topics, interpreter_used, concern_level, indicators, "
    "follow_up_needed, created_at, updated_at, sync_seq",
}


def _sqlite_value(value):
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def load(engine, tables: dict[str, list[tuple]]) -> None:
    """Bulk insert: executemany on SQLite, COPY on PostgreSQL."""
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "sqlite":
            raw.execute("PRAGMA foreign_keys=OFF")
            raw.execute("BEGIN")
            for table in ("clinics", "visits", "persons", "conversations"):
                columns = COLUMNS[table]
                marks = ", ".join("?" * len(columns.split(",")))
                raw.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608
                    ([_sqlite_value(v) for v in row] for row in tables[table]),
                )
            raw.execute("COMMIT")
        else:
            with raw.cursor() as cursor:
                for table in ("clinics", "visits", "persons", "conversations"):
                    with cursor.copy(f"COPY {table} ({COLUMNS[table]}) FROM STDIN") as copy:
                        for row in tables[table]:
                            copy.write_row(row)
            raw.commit()
    finally:
        raw.close()


# --- the hand-written query ----------------------------------------------------------------

HAND_WRITTEN = """
WITH v AS (
    SELECT v.clinic_id, c.region_slug AS region,
           CASE WHEN v.outcome = 'admitted' THEN 1 ELSE 0 END AS admitted,
           {visit_month} AS month
    FROM visits v JOIN clinics c ON c.id = v.clinic_id
    WHERE v.organisation_id = :org AND v.started_at >= :start AND v.started_at < :end
),
cv AS (
    SELECT p.canonical_id AS person, c.region_slug AS region, {conversation_month} AS month,
           ROW_NUMBER() OVER (PARTITION BY p.canonical_id
                              ORDER BY conv.occurred_at, conv.id) AS n
    FROM conversations conv
    JOIN persons p ON p.id = conv.person_id
    LEFT JOIN visits vv ON vv.id = conv.visit_id
    LEFT JOIN clinics c ON c.id = vv.clinic_id
    WHERE conv.organisation_id = :org AND conv.occurred_at >= :start AND conv.occurred_at < :end
),
firsts AS (
    SELECT region FROM cv
    WHERE n = 1 AND NOT EXISTS (
        SELECT 1 FROM persons p2 JOIN conversations c2 ON c2.person_id = p2.id
        WHERE p2.canonical_id = cv.person AND c2.occurred_at < :start)
)
SELECT 'visits', NULL, 0, count(*), count(DISTINCT clinic_id), coalesce(sum(admitted), 0) FROM v
UNION ALL
SELECT 'visits', region, 0, count(*), count(DISTINCT clinic_id), sum(admitted)
  FROM v WHERE region IS NOT NULL GROUP BY region
UNION ALL
SELECT 'months', NULL, month, count(*), sum(admitted), 0 FROM v GROUP BY month
UNION ALL
SELECT 'conversations', NULL, 0, count(*), count(DISTINCT person), 0 FROM cv
UNION ALL
SELECT 'conversations', region, 0, count(*), count(DISTINCT person), 0
  FROM cv WHERE region IS NOT NULL GROUP BY region
UNION ALL
SELECT 'conversation_months', NULL, month, count(*), 0, 0 FROM cv GROUP BY month
UNION ALL
SELECT 'first', NULL, 0, count(*), 0, 0 FROM firsts
UNION ALL
SELECT 'first', region, 0, count(*), 0, 0 FROM firsts WHERE region IS NOT NULL GROUP BY region
"""


def hand_written_report(session, org, year: int) -> dict:
    from outreach.reports.figures import FIGURES, Period, admission_rate

    period = Period(year)
    starts = period.month_starts()

    def month_case(column: str) -> str:
        whens = " ".join(f"WHEN {column} < :m{m} THEN {m - 1}" for m in range(2, 13))
        return f"CASE {whens} ELSE 12 END"

    sql = HAND_WRITTEN.format(
        visit_month=month_case("v.started_at"), conversation_month=month_case("conv.occurred_at")
    )
    params = {"org": org.id, "start": period.start, "end": period.end}
    params.update({f"m{m}": start for m, start in zip(range(2, 13), starts, strict=True)})
    binds = [bindparam("org", type_=org.__table__.c.id.type)] + [
        bindparam(name, type_=UTCDateTime()) for name in params if name != "org"
    ]
    rows = session.execute(text(sql).bindparams(*binds), params).all()

    totals = {key: 0 for key in FIGURES}
    regions = {slug: {key: 0 for key in FIGURES} for slug in org.region_slugs}
    months = {
        m: {"month": m, "visits": 0, "admitted_visits": 0, "conversations": 0} for m in range(1, 13)
    }
    for kind, region, month, a, b, c in rows:
        target = totals if region is None else regions.get(region)
        if target is None:
            continue
        if kind == "visits":
            target.update(visits=a, clinics_visited=b, admitted_visits=c)
        elif kind == "conversations":
            target.update(conversations=a, persons_talked_to=b)
        elif kind == "first":
            target["first_time_persons"] = a
        elif kind == "months":
            months[month].update(visits=a, admitted_visits=b)
        elif kind == "conversation_months":
            months[month]["conversations"] = a
    return {
        "year": year,
        "region": None,
        **totals,
        "admission_rate": admission_rate(totals["admitted_visits"], totals["visits"]),
        "by_region": [{"region": slug, **regions[slug]} for slug in org.region_slugs],
        "by_month": [months[m] for m in range(1, 13)],
    }


# --- the run -------------------------------------------------------------------------------


def median_seconds(funcs: dict, runs: int) -> dict[str, float]:
    """Median wall time of each function. The runs are interleaved (one of each in turn), so
    that whatever else the machine does slows them alike and the ratios stay fair."""
    for func in funcs.values():
        func()  # warm the caches once
    times: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(runs):
        for name, func in funcs.items():
            start = time.perf_counter()
            func()
            times[name].append(time.perf_counter() - start)
            db_session_end()
    return {name: statistics.median(values) for name, values in times.items()}


def db_session_end() -> None:
    """End the read transaction after each run (on SQLite it holds the write lock)."""
    from outreach.db import db

    db.session.rollback()


def run(url: str, scale: float, runs: int) -> dict:
    from flask_migrate import upgrade

    from outreach import create_app
    from outreach.db import db
    from outreach.orgs.queries import find_organisation
    from outreach.orgs.services import create_organisation
    from outreach.reports import figures, queries

    app = create_app({"OUTREACH_ENV": "development", "SECRET_KEY": "x" * 40, "DATABASE_URL": url})
    with app.app_context():
        upgrade()
        org = find_organisation("Benchmark org")
        generated = loaded = 0.0
        if org is None:
            org = create_organisation("Benchmark org", list(REGIONS))
            other = create_organisation("Other org", ["syddanmark"])
            db.session.commit()
            started = time.perf_counter()
            data = generate(
                org.id,
                int(1_000_000 * scale),
                int(150_000 * scale),
                int(600_000 * scale),
                int(3_000 * scale) or 30,
                seed=1,
            )
            small = generate(other.id, 10_000, 2_000, 6_000, 60, seed=2)
            generated = time.perf_counter() - started
            db.session.rollback()  # no transaction of ours open while the load writes
            tables = {
                name: rows + extra for name, rows, extra in zip(COLUMNS, data, small, strict=True)
            }
            del data, small
            started = time.perf_counter()
            load(db.engine, tables)
            loaded = time.perf_counter() - started
            del tables
            db.session.expire_all()
        db.session.rollback()  # SQLite: every transaction holds the write lock (BEGIN IMMEDIATE)
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        db.session.rollback()  # end the read snapshot taken before the load
        counts = {
            name: db.session.scalar(text(f"SELECT count(*) FROM {name}"))  # noqa: S608
            for name in COLUMNS
        }

        service = figures.annual_report(org, REPORT_YEAR)
        baseline = hand_written_report(db.session, org, REPORT_YEAR)
        ordered = sorted(service["by_region"], key=lambda r: r["region"])
        assert {**service, "by_region": ordered} == {
            **baseline,
            "by_region": sorted(baseline["by_region"], key=lambda r: r["region"]),
        }, f"the service and the hand-written query disagree:\n{service}\n{baseline}"

        timings = median_seconds(
            {
                "service": lambda: figures.annual_report(org, REPORT_YEAR),
                "hand_written": lambda: hand_written_report(db.session, org, REPORT_YEAR),
                "page": lambda: queries.report_data(org, figures.Period(REPORT_YEAR)),
            },
            runs,
        )
        dialect = db.engine.dialect.name
        db.session.remove()
    return {
        "database": {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[dialect],
        "counts": counts,
        "generated_s": generated,
        "loaded_s": loaded,
        "figures": {
            k: service[k]
            for k in ("visits", "conversations", "persons_talked_to", "first_time_persons")
        },
        **timings,
    }


def table(results: list[dict], runs: int) -> str:
    lines = [
        f"Annual report for {REPORT_YEAR}, median of {runs} runs after one warm-up:",
        "",
        "| database | service | hand-written query | ratio | page (report + breakdowns) |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['database']} | {r['service'] * 1000:.0f} ms | {r['hand_written'] * 1000:.0f} ms"
            f" | {r['service'] / r['hand_written']:.2f}× | {r['page'] * 1000:.0f} ms |"
        )
    r = results[0]
    lines += [
        "",
        "Data: "
        + ", ".join(f"{n:,} {name}" for name, n in r["counts"].items())
        + f"; {REPORT_YEAR}: "
        + ", ".join(f"{k} {v:,}" for k, v in r["figures"].items())
        + ".",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full size")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--sqlite-file", help="keep the SQLite database in this file and reuse it next time"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON line (internal)")
    args = parser.parse_args()

    results = []
    if args.db in ("sqlite", "both"):
        if args.sqlite_file:  # kept between runs: generated once, then reused
            results.append(run(f"sqlite:///{args.sqlite_file}", args.scale, args.runs))
        else:
            with tempfile.TemporaryDirectory() as tmp:
                results.append(run(f"sqlite:///{tmp}/bench.sqlite3", args.scale, args.runs))
    if args.db == "postgresql":
        url = os.environ.get("DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
        if not url:
            sys.exit("Set DATABASE_URL to an empty PostgreSQL database, or use --db both.")
        results.append(run(url, args.scale, args.runs))
    if args.db == "both":
        # A throwaway PostgreSQL cluster for the second half, in a child process.
        command = [
            shutil.which("bash") or "/bin/bash",
            str(ROOT / "scripts/with-postgres.sh"),
            sys.executable,
            __file__,
            *("--db", "postgresql", "--scale", str(args.scale), "--runs", str(args.runs)),
            "--json",
        ]
        # stderr passes through: the child's progress shows as it goes.
        output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout  # noqa: S603
        results.append(json.loads(output.strip().splitlines()[-1]))
    if args.json:
        print(json.dumps(results[-1]))
        return
    for r in results:
        print(
            f"{r['database']}: generated in {r['generated_s']:.0f} s, loaded in "
            f"{r['loaded_s']:.0f} s",
            file=sys.stderr,
        )
    print(table(results, args.runs))


if __name__ == "__main__":
    main()
