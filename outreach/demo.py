"""Demo data: two organisations, their staff, ~250 clinics in real towns and a year of visits.

Deterministic (a fixed random seed), so screenshots and manual checks look the same each time.
"""

import random
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from outreach.auth.services import create_user
from outreach.clinics.models import Clinic
from outreach.db import db
from outreach.denmark import Town, towns
from outreach.orgs.models import Organisation
from outreach.orgs.services import create_organisation, find_organisation
from outreach.sync.services import stamp
from outreach.visits.models import NOT_ADMITTED_REASONS, Visit

DEMO_PASSWORD = "demo-outreach-2026"  # noqa: S105 - printed on purpose for the demo users
MAIN_ORG = "Center mod Menneskehandel – Sundhedsteamet"
SECOND_ORG = "Syddansk Gadeteam"
LOCAL_TZ = ZoneInfo("Europe/Copenhagen")

OFFICES = {
    "Aalborg": (57.0488, 9.9217),
    "Aarhus": (56.1567, 10.2108),
    "Roskilde": (55.6415, 12.0803),
    "Odense": (55.3959, 10.3883),
}
SUPPLIES = [
    "condoms",
    "lubricant",
    "sti_test",
    "leaflet_th",
    "leaflet_ro",
    "leaflet_es",
    "leaflet_en",
]
INDICATORS = [
    "lives_at_workplace",
    "no_own_passport",
    "debt",
    "not_free_to_leave",
    "signs_of_violence",
    "very_young",
    "unprotected_sex_demanded",
]

_NAME_FIRST = [
    "Thai",
    "Siam",
    "Bangkok",
    "Asia",
    "Lotus",
    "Orchid",
    "Bamboo",
    "Golden",
    "Jasmin",
    "Sakura",
    "Royal",
    "Paradise",
    "Happy",
    "Lucky",
    "Star",
    "Silk",
    "Pearl",
    "Sunshine",
    "Oasis",
    "Zen",
    "Tokyo",
    "Malee",
    "Baan",
    "Kim",
]
_NAME_SECOND = [
    "Massage",
    "Wellness",
    "Spa",
    "Body Care",
    "Massage & Spa",
    "Relax",
    "Healing",
    "Touch",
    "Massageklinik",
    "Thai Massage",
]
_STREETS = [
    "Vestergade",
    "Østergade",
    "Nørregade",
    "Søndergade",
    "Jernbanegade",
    "Algade",
    "Kirkegade",
    "Skolegade",
    "Bredgade",
    "Havnegade",
    "Industrivej",
    "Stationsvej",
    "Hovedgaden",
    "Torvegade",
    "Møllevej",
    "Parkvej",
    "Strandvejen",
    "Åboulevarden",
    "Frederiksgade",
    "Vesterbro",
    "Boulevarden",
    "Klostergade",
    "Brogade",
]
_KINDS = ["massage_clinic"] * 14 + ["apartment"] * 3 + ["mobile_home", "motel", "other"]


LOGINS = [
    ("nurse", "nurse@demo.outreach.dk"),
    ("coordinator", "coordinator@demo.outreach.dk"),
    ("admin", "admin@demo.outreach.dk"),
    ("coordinator", f"coordinator@syd.outreach.dk ({SECOND_ORG})"),
]


class DatabaseNotEmpty(RuntimeError):
    pass


# Towns a demo route can drive to: the table also has islands reached only by ferry.
FERRY_ISLAND_POSTCODES = {"8592", "9940"}  # Anholt, Læsø


def _mainland_towns() -> list[Town]:
    return [t for t in towns() if t.postcode not in FERRY_ISLAND_POSTCODES]


def _hours(rng: random.Random) -> dict | None:
    if rng.random() < 0.05:
        return None  # unknown
    opening = rng.choice(["09:00", "10:00", "11:00", "12:00"])
    closing = rng.choice(["18:00", "20:00", "21:00", "22:00", "23:00"])
    hours = {day: [[opening, closing]] for day in ("mon", "tue", "wed", "thu", "fri")}
    hours["sat"] = [[rng.choice(["10:00", "12:00"]), rng.choice(["16:00", "20:00"])]]
    hours["sun"] = [] if rng.random() < 0.5 else [["12:00", "18:00"]]
    if rng.random() < 0.15:  # a lunch break
        hours["wed"] = [[opening, "13:00"], ["14:00", closing]]
    return hours


def _clinic(rng: random.Random, org: Organisation, town: Town, used: set[str]) -> Clinic:
    while True:
        name = f"{rng.choice(_NAME_FIRST)} {rng.choice(_NAME_SECOND)}"
        if (name, town.name) not in used:
            used.add((name, town.name))
            break
    # Up to about 2 km from the town centre.
    lat = town.lat + rng.uniform(-0.018, 0.018)
    lon = town.lon + rng.uniform(-0.03, 0.03)
    status = rng.choices(["active", "closed", "unknown"], weights=[85, 10, 5])[0]
    return Clinic(
        id=uuid.UUID(int=rng.getrandbits(128), version=4),
        organisation_id=org.id,
        kind=rng.choice(_KINDS),
        name=name,
        address=f"{rng.choice(_STREETS)} {rng.randint(1, 120)}",
        postcode=town.postcode,
        city=town.name,
        lat=round(lat, 6),
        lon=round(lon, 6),
        region_slug=town.region,
        region_source="postcode",
        opening_hours=_hours(rng),
        status=status,
        source=rng.choice(["registry", "registry", "screening", "field"]),
        geocode_status="manual",
        closed_at=datetime(2026, 3, 1, tzinfo=UTC) if status == "closed" else None,
    )


def _visits(
    rng: random.Random, org: Organisation, clinics: list[Clinic], staff_id, today: datetime
) -> list[Visit]:
    visits = []
    start = today - timedelta(days=365)
    for clinic in clinics:
        if rng.random() < 0.15:
            continue  # never visited
        for _ in range(rng.choice([1, 1, 2, 2, 3])):
            day = start + timedelta(days=rng.randint(0, 364))
            local = datetime(
                day.year,
                day.month,
                day.day,
                rng.randint(10, 19),
                rng.choice([0, 15, 30, 45]),
                tzinfo=LOCAL_TZ,
            )
            admitted = rng.random() < 0.48
            visits.append(
                Visit(
                    id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    organisation_id=org.id,
                    clinic_id=clinic.id,
                    started_at=local,
                    ended_at=local + timedelta(minutes=rng.randint(10, 50) if admitted else 3),
                    outcome="admitted" if admitted else "not_admitted",
                    not_admitted_reason=None if admitted else rng.choice(NOT_ADMITTED_REASONS),
                    persons_present=rng.randint(1, 4) if admitted else None,
                    supplies={"condoms": rng.choice([20, 50, 100]), "leaflet_th": 2}
                    if admitted
                    else {},
                    concern_level=rng.choices(["green", "yellow", "red"], [80, 15, 5])[0]
                    if admitted
                    else None,
                    police_informed=False,
                    created_by_id=staff_id,
                )
            )
    return visits


def is_loaded() -> bool:
    return find_organisation(MAIN_ORG) is not None or find_organisation(SECOND_ORG) is not None


def load(force: bool = False, today: datetime | None = None) -> list[tuple[str, str]]:
    """Create the demo data; returns (role, email) of the demo logins."""
    if is_loaded():
        raise DatabaseNotEmpty("The demo is loaded already; nothing was added.")
    if not force and db.session.scalar(select(func.count()).select_from(Organisation)):
        raise DatabaseNotEmpty("The database already has data; use --force to add the demo.")
    rng = random.Random(2019)  # noqa: S311 - demo data, not security
    today = today or datetime.now(UTC)
    org = create_organisation(
        MAIN_ORG,
        ["nordjylland", "midtjylland", "sjaelland"],
        settings={
            "offices": [
                {"name": n, "lat": OFFICES[n][0], "lon": OFFICES[n][1]}
                for n in ("Aalborg", "Aarhus", "Roskilde")
            ],
            "supplies": SUPPLIES,
            "indicators": INDICATORS,
        },
    )
    staff = {}
    for role, email, name in [
        ("nurse", "nurse@demo.outreach.dk", "Nina Sygeplejerske"),
        ("coordinator", "coordinator@demo.outreach.dk", "Karen Koordinator"),
        ("admin", "admin@demo.outreach.dk", "Anders Admin"),
    ]:
        staff[role] = create_user(org, email, DEMO_PASSWORD, role, name=name)
    used: set = set()
    region_towns = [t for t in _mainland_towns() if t.region in org.region_slugs]
    clinics = [_clinic(rng, org, rng.choice(region_towns), used) for _ in range(252)]
    visits = _visits(rng, org, clinics, staff["nurse"].id, today)
    _add_synced(clinics + visits)

    second = create_organisation(
        SECOND_ORG,
        ["syddanmark"],
        settings={
            "offices": [
                {"name": "Odense", "lat": OFFICES["Odense"][0], "lon": OFFICES["Odense"][1]}
            ],
            "supplies": SUPPLIES[:4],
            "indicators": INDICATORS,
        },
    )
    create_user(
        second, "coordinator@syd.outreach.dk", DEMO_PASSWORD, "coordinator", name="Sofie Syd"
    )
    syd_towns = [t for t in _mainland_towns() if t.region == "syddanmark"]
    _add_synced([_clinic(rng, second, rng.choice(syd_towns), used) for _ in range(12)])
    return LOGINS


def _add_synced(rows: list) -> None:
    """Add rows with their sync sequence numbers, as the services would have given them."""
    for row in rows:
        stamp(row)
    db.session.add_all(rows)
    db.session.flush()
