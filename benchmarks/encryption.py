"""Benchmark: person suggestions and the persons list with encrypted aliases, and key rotation.

Builds a throwaway SQLite database with one organisation of N persons (20,000 by default),
each with an encrypted alias and one conversation with encrypted notes, then measures:

- a suggestion (`persons.queries.suggestions`: every alias of the organisation opened in
  memory and ranked, as the phone's typing asks), the median and worst of several;
- a page of the persons list (`persons.queries.browse`: sorted in memory by last contact and
  alias, since SQL cannot sort encrypted aliases);
- `rotate-keys` over every encrypted value, in values per second.

    .venv/bin/python benchmarks/encryption.py [--persons 20000] [--runs 20] [--folder DIR]

`--folder` keeps the database and reuses it on the next run (each run rotates it to the other
key).

Not part of `make test`. Results: docs/performance.md, "## Encrypted aliases".
"""

import argparse
import base64
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402

from outreach import create_app, crypto, scheduler  # noqa: E402
from outreach.auth.services import create_user  # noqa: E402
from outreach.changes import number_marked_rows, stamp  # noqa: E402
from outreach.clinics.models import Clinic  # noqa: E402
from outreach.db import db  # noqa: E402
from outreach.orgs.services import create_organisation  # noqa: E402
from outreach.persons import queries  # noqa: E402
from outreach.persons.models import Conversation, Person  # noqa: E402
from outreach.persons.services import touch_index  # noqa: E402
from outreach.visits.models import Visit  # noqa: E402

NAMES = [
    "Mai",
    "Lina",
    "Anna",
    "Maria",
    "Szandra",
    "Yasmin",
    "Jasmine",
    "Nok",
    "Ploy",
    "Fon",
    "Dao",
    "Mali",
    "Ana",
    "Ioana",
    "Elena",
]


def key(label: str) -> str:
    return base64.b64encode(label.encode().ljust(32, b"-")[:32]).decode()


def build(app, persons: int) -> None:
    rng = random.Random(12)
    with app.app_context():
        upgrade()
        org = create_organisation("Bench", ["midtjylland"])
        create_user(org, "nurse@bench.example", "correct horse battery staple", "nurse")
        clinic = Clinic(id=uuid.uuid4(), organisation_id=org.id, kind="massage_clinic", name="Spa")
        stamp(clinic)
        db.session.add(clinic)
        db.session.flush()
        start = datetime(2026, 1, 5, 12, tzinfo=UTC)
        visits = []
        for day in range(50):
            visit = Visit(
                id=uuid.uuid4(),
                organisation_id=org.id,
                clinic_id=clinic.id,
                started_at=start + timedelta(days=day * 6),
                outcome="admitted",
                notes=f"Visit {day}",
            )
            stamp(visit)
            db.session.add(visit)
            visits.append(visit)
        db.session.flush()
        for i in range(persons):
            person_id = uuid.uuid4()
            person = Person(
                id=person_id,
                canonical_id=person_id,
                organisation_id=org.id,
                alias=f"{rng.choice(NAMES)}{'' if i % 3 else '-' + rng.choice(NAMES)} {i % 97}",
                nationality=rng.choice(["TH", "RO", "HU", "NG", None]),
                birth_year=rng.randint(1970, 2005),
                languages=[],
            )
            visit = rng.choice(visits)
            talk = Conversation(
                organisation_id=org.id,
                person_id=person_id,
                visit_id=visit.id,
                channel="visit",
                occurred_at=visit.started_at,
                notes="Talked about health.",
            )
            stamp(person)
            db.session.add(person)
            db.session.flush()  # the person before her conversation (no relationship orders them)
            stamp(talk)
            db.session.add(talk)
            if i % 2000 == 1999:
                number_marked_rows(db.session())
                db.session.commit()
        number_marked_rows(db.session())
        db.session.commit()


CPU: list[float] = []  # the process's CPU time of each timed run: on a shared machine the
# wall time also counts the waits for a core


def timed(func, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        began, cpu = time.perf_counter(), time.process_time()
        func()
        times.append((time.perf_counter() - began) * 1000)
        CPU.append((time.process_time() - cpu) * 1000)
    return times


def summary(wall: list[float], mark: int) -> str:
    cpu = CPU[mark:]
    return (
        f"median {statistics.median(wall):.0f} ms, worst {max(wall):.0f} ms "
        f"(CPU: median {statistics.median(cpu):.0f} ms, worst {max(cpu):.0f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--folder", help="keep the database here, and reuse it when it exists")
    args = parser.parse_args()
    folder = args.folder or tempfile.mkdtemp(prefix="outreach-encryption-")
    Path(folder).mkdir(parents=True, exist_ok=True)
    reused = Path(folder, "bench.sqlite3").exists()
    os.environ["OUTREACH_INSTANCE_PATH"] = folder
    keys = {"old": f"old:{key('old')}", "new": f"new:{key('new')}"}
    config = {
        "OUTREACH_ENV": "development",
        "SECRET_KEY": "benchmark-only-" + "x" * 24,
        "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
        "DATA_KEYS": f"{keys['old']},{keys['new']}",
        "LOOKUP_KEY": key("lookup"),
        "LOG_LEVEL": "WARNING",
    }
    app = create_app(config)
    if not reused:
        began = time.perf_counter()
        build(app, args.persons)
        seconds = time.perf_counter() - began
        print(f"{args.persons} persons and conversations written in {seconds:.1f} s")
    with app.app_context():  # as the scheduler does a minute after it starts, and daily
        scheduler.planner_statistics_job()

    with app.test_request_context("/api/v1/persons/suggestions", method="POST"):
        from outreach.auth.models import User

        user = db.session.scalar(db.select(User))
        org_id = user.organisation_id
        current = crypto.key_id_of(db.session.scalar(db.select(Person.alias.column).limit(1)))
        mark = len(CPU)
        cold = timed(lambda: queries.read_person_index(org_id), 3)
        cold_text = summary(cold, mark)
        queries.person_index(org_id)  # the index as the first suggestion after a change reads it
        typed = ["J", "Ja", "Jas", "Jass", "Jassm", "Jassmi", "Jassmin", "Jassmine", "Mai", "Ana"]
        suggest, mark = [], len(CPU)
        for _ in range(max(1, args.runs // len(typed))):
            for text in typed:
                suggest += timed(lambda t=text: queries.suggestions(user, t, "TH", 1990), 1)
        suggest_text = summary(suggest, mark)
        db.session.rollback()
        # A colleague saves a conversation, then a suggestion: the kept index reads the
        # changed group again, not the organisation's 20,000 persons.
        after, mark = [], len(CPU)
        person_ids = db.session.scalars(db.select(Person.id).limit(args.runs)).all()
        visit = db.session.scalar(db.select(Visit).limit(1))
        for person_id in person_ids:
            talk = Conversation(
                organisation_id=org_id,
                person_id=person_id,
                visit_id=visit.id,
                channel="visit",
                occurred_at=visit.started_at,
            )
            stamp(talk)
            db.session.add(talk)
            touch_index(org_id, {person_id})
            number_marked_rows(db.session())
            db.session.commit()
            after += timed(lambda: queries.suggestions(user, "Mai", "TH", 1990), 1)
            db.session.rollback()
        after_text = summary(after, mark)
        filters = queries.Filters()
        mark = len(CPU)
        browse = timed(lambda: queries.browse(org_id, filters, 3, 50), args.runs)
        browse_text = summary(browse, mark)
    print(
        f"suggestion, index kept: {suggest_text}; {len(suggest)} queries as typed, "
        f"{args.persons} persons"
    )
    print(f"suggestion after a colleague saved a conversation: {after_text}")
    print(f"reading and decrypting the whole index (first suggestion, each hour): {cold_text}")
    print(f"persons list page: {browse_text}")

    target = "new" if current == "old" else "old"
    ring = f"{keys[target]},{keys[current]}"
    app.extensions[crypto.EXTENSION] = crypto.KeyRing.from_text(ring, config["LOOKUP_KEY"])
    runner = app.test_cli_runner()
    with app.app_context():  # as `flask` pushes it
        began = time.perf_counter()
        result = runner.invoke(args=["rotate-keys"])
        seconds = time.perf_counter() - began
    if result.exit_code != 0:
        print(result.output)
        raise SystemExit(1)
    rotated = int(re.search(r"Re-encrypted (\d+);", result.output)[1])
    print(f"rotate-keys: {rotated} values in {seconds:.1f} s ({rotated / seconds:.0f} values/s)")


if __name__ == "__main__":
    main()
