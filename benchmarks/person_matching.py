"""Benchmark: how often the person suggestions put the right person first, on the demo data.

Loads the demo (`outreach.demo.load`) into a throwaway SQLite database and replays every
re-meeting of its last year: a conversation with a person the team had talked to before. At
that moment a nurse types what she is told: the alias, as recorded or as heard (a spelling
variant or a typo), the birth year (exact, one off, or not said) and the nationality (said or
not), at the clinic of the visit. The candidates are the persons known then, with their last
meeting, recent clinics and conversation count as of that moment: what the phone's index held.

Each query is ranked twice in the same run:

- **before**: the ranking before issue 10 (score, then alias), frozen below;
- **after**: `outreach.persons.matching.rank`, as the server and (ported) the phone rank now;
- **no recency**: today's scores without the recency rule (equal scores as before), to show
  what that rule does on this data;

and the script prints, for both, the share of queries where the right person (her record or
one merged with it) is first, in the top 3, and in the top 5 (the cards shown at first).

    .venv/bin/python benchmarks/person_matching.py [--seed 10] [--queries-per-meeting 4]

Not part of `make test`. Results: docs/performance.md, "## Person matching".
"""

import argparse
import random
import sys
import tempfile
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import select  # noqa: E402

from outreach import create_app, demo  # noqa: E402
from outreach.db import db  # noqa: E402
from outreach.persons import matching  # noqa: E402
from outreach.persons.models import Conversation, Person  # noqa: E402
from outreach.persons.queries import RECENT_DAYS  # noqa: E402
from outreach.visits.models import Visit  # noqa: E402

# --- the ranking before issue 10, frozen -----------------------------------------------------

OLD_WEIGHTS = {"alias": 0.6, "nationality": 0.15, "birth_year": 0.15, "clinic": 0.1}


def old_score(query: dict, candidate: dict) -> float:
    similarity = matching.alias_similarity(query["alias"], candidate["alias"])
    if similarity < matching.MIN_ALIAS_SIMILARITY:
        return 0.0
    total = OLD_WEIGHTS["alias"] * similarity
    if query.get("nationality") and query["nationality"] == candidate.get("nationality"):
        total += OLD_WEIGHTS["nationality"]
    if (
        query.get("birth_year")
        and candidate.get("birth_year")
        and abs(query["birth_year"] - candidate["birth_year"]) <= 1
    ):
        total += OLD_WEIGHTS["birth_year"]
    if query.get("clinic_id") and query["clinic_id"] in candidate.get("recent_clinic_ids", ()):
        total += OLD_WEIGHTS["clinic"]
    return round(total, 4)


def rank_before(query: dict, candidates: list[dict], limit: int) -> list[dict]:
    scored = [(c, old_score(query, c)) for c in candidates]
    scored = [s for s in scored if s[1] > 0]
    scored.sort(key=lambda s: (-s[1], matching.fold(s[0]["alias"])))
    return [c for c, _ in scored[:limit]]


def rank_after(query: dict, candidates: list[dict], limit: int) -> list[dict]:
    return [c for c, _s, _r in matching.rank(query, candidates, limit)]


def rank_without_recency(query: dict, candidates: list[dict], limit: int) -> list[dict]:
    """Today's scores, equal scores in the order before (alias, then the order of the index):
    how much of the change the recency rule makes, on this data."""
    scored = [(c, matching.score(query, c)[0]) for c in candidates]
    scored = [s for s in scored if s[1] > 0]
    scored.sort(key=lambda s: (-s[1], matching.fold(s[0]["alias"])))
    return [c for c, _ in scored[:limit]]


RANKERS = {"before": rank_before, "after": rank_after, "no recency": rank_without_recency}


# --- what the nurse types ----------------------------------------------------------------------

# Heard rather than read: letters that sound alike, as the matching's own list and more.
SOUNDS_ALIKE = [
    ("y", "j"),
    ("j", "y"),
    ("c", "k"),
    ("k", "c"),
    ("s", "z"),
    ("z", "s"),
    ("i", "y"),
    ("ph", "f"),
    ("sz", "s"),
    ("sh", "sch"),
    ("ie", "y"),
    ("ee", "i"),
]


def heard(rng: random.Random, alias: str) -> str:
    """The alias as another nurse might type it: a sound-alike spelling or a typo."""
    for _ in range(10):
        kind = rng.choice(["sound", "sound", "drop", "double", "swap", "ending", "accent"])
        text = alias
        if kind == "sound":
            options = [(a, b) for a, b in SOUNDS_ALIKE if a in text.lower()]
            if options:
                a, b = rng.choice(options)
                i = text.lower().index(a)
                repl = b.upper() if text[i].isupper() else b
                text = text[:i] + repl + text[i + len(a) :]
        elif kind == "drop" and len(text) > 3:
            i = rng.randrange(1, len(text))
            text = text[:i] + text[i + 1 :]
        elif kind == "double":
            i = rng.randrange(1, len(text))
            text = text[:i] + text[i] + text[i:]
        elif kind == "swap" and len(text) > 3:
            i = rng.randrange(1, len(text) - 1)
            text = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        elif kind == "ending":
            text = text[:-1] if text.endswith(("e", "a")) else text + "e"
        elif kind == "accent":
            vowels = [i for i, ch in enumerate(text) if ch in "aeiou"]
            if vowels:
                i = rng.choice(vowels)
                text = text[:i] + unicodedata.normalize("NFC", text[i] + "\u0301") + text[i + 1 :]
        if text != alias and matching.fold(text):
            return text
    return alias.lower()


def told(rng: random.Random, person: dict, clinic_id) -> tuple[dict, str]:
    """(the query a nurse makes for this person, the kind of alias typed)."""
    if rng.random() < 0.5:
        alias, kind = person["alias"], "as recorded"
    else:
        alias, kind = heard(rng, person["alias"]), "heard"
    year = person["birth_year"]
    r = rng.random()
    if year is None or r < 0.2:
        birth_year = None
    elif r < 0.45:
        birth_year = year + rng.choice([-1, 1])
    else:
        birth_year = year
    nationality = person["nationality"] if rng.random() < 0.75 else None
    query = {
        "alias": alias,
        "nationality": nationality,
        "birth_year": birth_year,
        "clinic_id": clinic_id,
    }
    return query, kind


# --- the demo's history, as the phone's index saw it at each moment ------------------------------


def load_demo():
    app = create_app(
        {
            "OUTREACH_ENV": "testing",
            "TESTING": True,
            "SECRET_KEY": "benchmark-secret-key-that-is-long-enough",
            "DATABASE_URL": f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3",
            "GEOCODER": "none",
            "TENANCY_GUARD": "off",
        }
    )
    with app.app_context():
        upgrade()
        demo.load()
        db.session.commit()
        org_id = demo.find_organisation(demo.MAIN_ORG).id
        persons = {
            p.id: p
            for p in db.session.scalars(select(Person).where(Person.organisation_id == org_id))
        }
        rows = db.session.execute(
            select(Conversation.person_id, Conversation.occurred_at, Visit.clinic_id)
            .outerjoin(Visit, Visit.id == Conversation.visit_id)
            .where(Conversation.organisation_id == org_id)
            .order_by(Conversation.occurred_at)
        ).all()
        people = {
            pid: {
                "id": str(pid),
                "canonical": p.canonical_id,
                "alias": p.alias,
                "nationality": p.nationality,
                "birth_year": p.birth_year,
                "merged": p.merged_into_id is not None,
                "created_at": p.created_at,
            }
            for pid, p in persons.items()
        }
        return people, [(persons[pid].canonical_id, at, clinic) for pid, at, clinic in rows]


class History:
    """Each person's conversations (time, clinic), to build the index as of any moment."""

    def __init__(self, people: dict, talks: list):
        self.people = people
        self.by_canonical = defaultdict(list)
        for canonical, at, clinic in talks:
            self.by_canonical[canonical].append((at, clinic))

    def index_at(self, moment) -> list[dict]:
        since = moment - timedelta(days=RECENT_DAYS)
        index = []
        for person in self.people.values():
            if person["merged"] or person["created_at"] >= moment:
                continue
            talks = self.by_canonical[person["canonical"]]
            before = talks[: bisect_left([t for t, _ in talks], moment)]
            if not before:
                continue
            last_at, last_clinic = before[-1]
            index.append(
                {
                    **person,
                    "recent_clinic_ids": sorted(
                        {str(c) for t, c in before if c is not None and t >= since}
                    ),
                    "last_met_at": last_at.isoformat(timespec="seconds"),
                    "last_clinic_id": str(last_clinic) if last_clinic else None,
                    "conversations": len(before),
                }
            )
        return index


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--queries-per-meeting", type=int, default=4)
    args = parser.parse_args()
    rng = random.Random(args.seed)  # noqa: S311 - benchmark data

    people, talks = load_demo()
    history = History(people, talks)
    year_start = max(at for _, at, _ in talks) - timedelta(days=365)
    seen_before = set()
    meetings = []
    for canonical, at, clinic in talks:
        if canonical in seen_before and at >= year_start:
            meetings.append((canonical, at, clinic))
        seen_before.add(canonical)
    by_canonical = {p["canonical"]: p for p in people.values() if not p["merged"]}
    crowded_names = defaultdict(int)
    for p in people.values():
        if not p["merged"]:
            crowded_names[matching.fold(p["alias"])] += 1

    results = {name: defaultdict(lambda: [0, 0, 0, 0]) for name in RANKERS}
    for canonical, at, clinic in meetings:
        index = history.index_at(at)
        person = by_canonical[canonical]
        for _ in range(args.queries_per_meeting):
            query, kind = told(rng, person, str(clinic) if clinic else None)
            groups = ["all", kind]
            if crowded_names[matching.fold(person["alias"])] >= 3:
                groups.append("name shared by 3+ persons")
            for name, ranker in RANKERS.items():
                ranked = [c["canonical"] for c in ranker(query, index, 5)]
                for group in groups:
                    counts = results[name][group]
                    counts[0] += 1
                    counts[1] += ranked[:1] == [canonical]
                    counts[2] += canonical in ranked[:3]
                    counts[3] += canonical in ranked[:5]

    print(
        f"{len(meetings)} re-meetings in the demo's last year, {len(people)} persons, "
        f"seed {args.seed}"
    )
    print("share of queries with the right person first / in the top 3 / in the top 5 (%)")
    print(f"{'queries':<28} {'n':>5}  " + "  ".join(f"{name:>17}" for name in RANKERS))
    for group in results["before"]:
        n = results["before"][group][0]
        cells = [
            "/".join(f"{100 * results[name][group][i] / n:.1f}" for i in range(1, 4))
            for name in RANKERS
        ]
        print(f"{group:<28} {n:>5}  " + "  ".join(f"{cell:>17}" for cell in cells))


if __name__ == "__main__":
    main()
