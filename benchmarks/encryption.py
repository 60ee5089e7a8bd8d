"""Benchmark: person suggestions and the persons list with encrypted aliases, and key rotation.

Builds a throwaway SQLite database with one organisation of N persons (20,000 by default),
each with an encrypted alias and one conversation with encrypted notes, then measures:

- a suggestion (`persons.queries.suggestions`: every alias of the organisation opened in
  memory and ranked, as the phone's typing asks), the median and worst of several;
- a page of the persons list (`persons.queries.browse`: sorted in memory by last contact and
  alias, since SQL cannot sort encrypted aliases);
- `rotate-keys` over every encrypted value, in values per second.

    .venv/bin/python benchmarks/encryption.py [--persons 20000] [--runs 15]

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

from outreach import create_app, crypto  # noqa: E402
from outreach.auth.services import create_user  # noqa: E402
from outreach.changes import number_marked_rows, stamp  # noqa: E402
from outreach.clinics.models import Clinic  # noqa: E402
from outreach.db import db  # noqa: E402
from outreach.orgs.services import create_organisation  # noqa: E402
from outreach.persons import queries  # noqa: E402
from outreach.persons.models import Conversation, Person  # noqa: E402
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


def timed(func, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        func()
        times.append((time.perf_counter() - began) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="outreach-encryption-")
    os.environ["OUTREACH_INSTANCE_PATH"] = folder
    old, new = f"old:{key('old')}", f"new:{key('new')}"
    config = {
        "OUTREACH_ENV": "development",
        "SECRET_KEY": "benchmark-only-" + "x" * 24,
        "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
        "DATA_KEYS": old,
        "LOOKUP_KEY": key("lookup"),
        "LOG_LEVEL": "WARNING",
    }
    app = create_app(config)
    began = time.perf_counter()
    build(app, args.persons)
    print(
        f"{args.persons} persons and conversations written in {time.perf_counter() - began:.1f} s"
    )

    with app.test_request_context("/api/v1/persons/suggestions", method="POST"):
        from outreach.auth.models import User

        user = db.session.scalar(db.select(User))
        org_id = user.organisation_id
        cold = timed(lambda: queries.read_person_index(org_id), 3)
        queries.person_index(org_id)  # the index as the first suggestion after a change reads it
        typed = ["J", "Ja", "Jas", "Jass", "Jassm", "Jassmi", "Jassmin", "Jassmine", "Mai", "Ana"]
        suggest = []
        for _ in range(max(1, args.runs // len(typed))):
            for text in typed:
                suggest += timed(lambda t=text: queries.suggestions(user, t, "TH", 1990), 1)
        db.session.rollback()
        filters = queries.Filters()
        browse = timed(lambda: queries.browse(org_id, filters, 3, 50), args.runs)
    print(
        f"suggestion: median {statistics.median(suggest):.0f} ms, worst {max(suggest):.0f} ms "
        f"({len(suggest)} queries as typed, {args.persons} persons, index cached)"
    )
    print(
        f"reading and decrypting the index (the first suggestion after a change): median "
        f"{statistics.median(cold):.0f} ms"
    )
    print(
        f"persons list page: median {statistics.median(browse):.0f} ms, worst {max(browse):.0f} ms"
    )

    app.config["DATA_KEYS"] = f"{new},{old}"
    app.extensions[crypto.EXTENSION] = crypto.KeyRing.from_text(
        app.config["DATA_KEYS"], config["LOOKUP_KEY"]
    )
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
