"""Demo data: two organisations, their staff, ~260 clinics in real towns, and for the main
organisation a year of visits, persons and conversations shaped like the team's 2019 annual
report (467 visits to 257 clinics, admitted at just under half, 312 persons talked to of whom
165 for the first time), plus a lighter year before it so first-time contacts mean something.

Deterministic (a fixed random seed), so screenshots and manual checks look the same each time.
"""

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text

from outreach import phones
from outreach.auth import second_factor
from outreach.auth.queries import find_users_by_email
from outreach.auth.services import AccountError, create_user
from outreach.changes import stamp
from outreach.clinics.models import Clinic
from outreach.db import db
from outreach.denmark import Town, towns
from outreach.leads.models import LEAD_FLAGS, Lead, LeadSighting
from outreach.orgs.models import Organisation
from outreach.orgs.queries import find_organisation
from outreach.orgs.services import create_organisation
from outreach.persons.models import Conversation, Person
from outreach.routing import services as routing
from outreach.sms.models import DoNotContact, SmsContact
from outreach.tenancy import tenant_select
from outreach.visits.models import NOT_ADMITTED_REASONS, Visit
from outreach.vocabulary import KNOWN_INDICATORS, KNOWN_SUPPLIES

# Printed on purpose for the demo users; `flask demo` refuses production without --i-know.
DEMO_PASSWORD = "demo-outreach-2026"  # noqa: S105  # nosec B105  # published demo password
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
# What the demo team hands out on an ordinary visit (the phone's one-tap usual pack).
USUAL_PACK = {"condoms": 50, "lubricant": 10, "sti_test": 1}
INDICATORS = [
    "lives_at_workplace",
    "no_own_passport",
    "debt",
    "not_free_to_leave",
    "signs_of_violence",
    "very_young",
    "unprotected_sex_demanded",
]
# The labels a Danish team would type in on the settings page, and the English ones of the
# known codes (the msgids of vocabulary.KNOWN_SUPPLIES and KNOWN_INDICATORS are English).
_DANISH_SUPPLIES = {
    "condoms": "Kondomer",
    "lubricant": "Glidecreme",
    "sti_test": "Kønssygdomstest",
    "leaflet_th": "Folder (thai)",
    "leaflet_ro": "Folder (rumænsk)",
    "leaflet_es": "Folder (spansk)",
    "leaflet_en": "Folder (engelsk)",
}
_DANISH_INDICATORS = {
    "lives_at_workplace": "Bor på arbejdsstedet",
    "no_own_passport": "Har ikke selv sit pas",
    "debt": "Gæld",
    "not_free_to_leave": "Kan ikke frit gå",
    "signs_of_violence": "Tegn på vold",
    "very_young": "Meget ung",
    "unprotected_sex_demanded": "Krav om sex uden kondom",
}
SUPPLY_LABELS = {
    code: {"da": da, "en": KNOWN_SUPPLIES[code]} for code, da in _DANISH_SUPPLIES.items()
}
INDICATOR_LABELS = {
    code: {"da": da, "en": KNOWN_INDICATORS[code]} for code, da in _DANISH_INDICATORS.items()
}

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


DEMO_EMAILS = (
    "nurse@demo.outreach.dk",
    "coordinator@demo.outreach.dk",
    "admin@demo.outreach.dk",
    "coordinator@syd.outreach.dk",
)
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


def _clinic(
    rng: random.Random, org: Organisation, town: Town, used: set[str], today: datetime
) -> Clinic:
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
        # Closed some time in the last year: visits after that find it closed or moved.
        closed_at=today - timedelta(days=rng.randint(20, 300)) if status == "closed" else None,
        # In the registry since before the two years of demo visits.
        created_at=today - timedelta(days=rng.randint(740, 1400)),
    )


def _visit(rng: random.Random, clinic: Clinic, start: datetime, staff_ids: list) -> Visit:
    day = start + timedelta(days=rng.randint(0, 364))
    local = datetime(
        day.year,
        day.month,
        day.day,
        rng.randint(10, 19),
        rng.choice([0, 15, 30, 45]),
        tzinfo=LOCAL_TZ,
    )
    closed = clinic.closed_at is not None and local >= clinic.closed_at
    admitted = not closed and rng.random() < 0.52
    if admitted:
        reason = None
    elif closed:
        reason = rng.choice(["closed", "moved"])
    else:
        reason = rng.choices(list(NOT_ADMITTED_REASONS), weights=[55, 25, 8, 5, 7])[0]
    staff = staff_ids[:1] if rng.random() < 0.6 else staff_ids
    return Visit(
        id=uuid.UUID(int=rng.getrandbits(128), version=4),
        organisation_id=clinic.organisation_id,
        clinic_id=clinic.id,
        started_at=local,
        # Admitted visits get their length, persons and supplies from their conversations.
        ended_at=None if admitted else local + timedelta(minutes=3),
        outcome="admitted" if admitted else "not_admitted",
        not_admitted_reason=reason,
        staff=sorted(str(s) for s in staff),
        supplies={},
        indicators=[],
        police_informed=False,
        created_by_id=staff_ids[0],
        created_at=local,
        updated_at=local,
    )


def _visits(
    rng: random.Random, clinics: list[Clinic], staff_ids: list, today: datetime
) -> list[Visit]:
    """The last 12 months: most clinics once to three times, like the 2019 report (467 visits
    to 257 clinics). The 12 months before: a lighter round, so that the persons met then are
    not first-time contacts now."""
    year_start = today - timedelta(days=365)
    earlier_start = today - timedelta(days=730)
    visits = []
    for clinic in clinics:
        earlier = rng.choice([0, 1, 1, 1, 2, 2])
        this_year = 0 if rng.random() < 0.03 else rng.choice([1, 1, 2, 2, 3])
        visits += [_visit(rng, clinic, earlier_start, staff_ids) for _ in range(earlier)]
        visits += [_visit(rng, clinic, year_start, staff_ids) for _ in range(this_year)]
    return sorted(visits, key=lambda v: v.started_at)


# --- persons and conversations ---------------------------------------------------------------

# Work names as the team hears them, by nationality (space-separated); never real names.
_ALIASES = {
    "TH": "Mai Lin Nok Ploy Fon Noi Som Joy Bee Pim Kim Mint Nan Dao Lek Aom Ning Pui Bella",
    "RO": "Ioana Cristina Andreea Bianca Alina Maria Elena Roxana Denisa Larisa Natasha",
    "BG": "Natasha Desi Maria Vanya Gergana Mira Nikol",
    "HU": "Kitti Reka Nikolett Vivien Bella Szandra",
    "NG": "Blessing Joy Precious Gift Faith Mercy Esther Favour",
    "ES": "Cristina Ana Lucia Carmen Paula Yasmin",
    "CN": "Lily Mei Ling Xiao Yan Jing Coco Lin",
    "VN": "Linh Mai Hoa Lan Thu Ngoc Kim May",
    "BR": "Bella Bianca Gabriela Juliana Yasmin Larissa Kelly Ana",
    "UA": "Natasha Olga Yulia Katya Sasha",
    "PH": "Joy Angel Cherry Mae Kim",
    "PL": "Kasia Ania Ola Natalia",
    "DO": "Yasmin Carolina Ana Cristina",
    "LT": "Ieva Ruta Natasha",
}
# Nationality: (weight among the persons met, languages spoken).
_NATIONALITIES = {
    "TH": (30, ["th"]),
    "RO": (14, ["ro"]),
    "CN": (8, ["zh"]),
    "VN": (8, ["vi"]),
    "NG": (7, ["en"]),
    "BG": (6, ["bg"]),
    "HU": (5, ["hu"]),
    "BR": (5, ["pt"]),
    "ES": (4, ["es"]),
    "UA": (3, ["ru", "uk"]),
    "PH": (3, ["en"]),
    "PL": (3, ["pl"]),
    "DO": (2, ["es"]),
    "LT": (2, ["lt", "ru"]),
}
_TRANS_SHARE = {"TH": 0.12, "BR": 0.3}
_LEAFLETS = {"TH": "leaflet_th", "RO": "leaflet_ro", "ES": "leaflet_es", "DO": "leaflet_es"}
# The same work name written down by another nurse: the likely duplicates a coordinator merges.
_VARIANTS = {
    "Yasmin": "Jassmine",
    "Natasha": "Natascha",
    "Mai": "May",
    "Cristina": "Kristina",
    "Ioana": "Joana",
    "Lin": "Linn",
    "Bella": "Bela",
    "Kitti": "Kitty",
}
_NOTES = [
    "Tilbudt STI-test; vil tænke over det.",
    "Ny på klinikken, kom fra en anden by i sidste uge.",
    "Ønsker pjecer på sit eget sprog.",
    "Taler lidt engelsk; tolk via telefon.",
    "Virker træt; aftalt at vi kommer igen.",
    "Spurgte til læge uden sygesikring.",
]
_POLICE_NOTE = "Politiets døgnvagt orienteret om forholdene på stedet."
LEVELS = ("green", "yellow", "red")


@dataclass
class _Met:
    person: Person
    last_at: datetime
    clinic_id: uuid.UUID | None = None
    region: str | None = None


class _Fieldwork:
    """Who the team meets as the two years go by: new persons, persons met before (often in
    the same clinic, sometimes moved to another one or another region), and phone contacts."""

    def __init__(self, rng: random.Random, org, staff_id, today: datetime):
        self.rng, self.org, self.staff_id = rng, org, staff_id
        self.year_start = today - timedelta(days=365)
        self.this_year = today.year
        self.known: list[_Met] = []
        self.conversations: list[Conversation] = []

    def pick(self, at: datetime, clinic: Clinic | None, exclude: set) -> _Met:
        """Whom the team talks to: in the year about half are new (165 of 312 in 2019), the
        others met before the year or earlier in it; a person met before is often found in the
        same clinic again, else mostly in the same region."""
        rng = self.rng
        r = rng.random()
        if at >= self.year_start:
            if r < 0.41:
                return self.new_person(at)
            before = r < 0.78
            pool = [m for m in self.known if (m.last_at < self.year_start) == before]
        else:
            if r < 0.8:
                return self.new_person(at)
            pool = list(self.known)
        pool = [m for m in pool if m.person.id not in exclude]
        if not pool:
            return self.new_person(at)
        if clinic is not None:
            same_clinic = [m for m in pool if m.clinic_id == clinic.id]
            if same_clinic and rng.random() < 0.65:
                return rng.choice(same_clinic)
            same_region = [m for m in pool if m.region == clinic.region_slug]
            if same_region and rng.random() < 0.6:
                return rng.choice(same_region)
        return rng.choice(pool)  # moved here from elsewhere, maybe from another region

    def new_person(self, at: datetime) -> _Met:
        rng = self.rng
        originals = [m.person for m in self.known if m.person.alias in _VARIANTS]
        person_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        if originals and rng.random() < 0.03:
            # Written down again under another spelling: a duplicate nobody merged yet.
            original = rng.choice(originals)
            alias, nationality = _VARIANTS[original.alias], original.nationality
            birth_year = original.birth_year and original.birth_year + rng.choice([-1, 0, 1])
            gender, languages = original.gender, list(original.languages)
        else:
            nationality = rng.choices(
                list(_NATIONALITIES), weights=[w for w, _ in _NATIONALITIES.values()]
            )[0]
            alias = rng.choice(_ALIASES[nationality].split())
            age = int(rng.triangular(19, 50, 27))
            birth_year = None if rng.random() < 0.15 else self.this_year - age
            trans = rng.random() < _TRANS_SHARE.get(nationality, 0.03)
            gender = "trans_woman" if trans else ("unknown" if rng.random() < 0.02 else "woman")
            languages = set(_NATIONALITIES[nationality][1])
            if rng.random() < 0.4:
                languages.add("en")
            if rng.random() < 0.05:
                languages.add("da")
            languages = sorted(languages)
            if rng.random() < 0.04:
                nationality = None  # she did not say
        person = Person(
            id=person_id,
            canonical_id=person_id,
            organisation_id=self.org.id,
            alias=alias,
            nationality=nationality,
            birth_year=birth_year,
            gender=gender,
            languages=languages,
            created_by_id=self.staff_id,
            created_at=at,
            updated_at=at,
        )
        met = _Met(person, at)
        self.known.append(met)
        return met

    def talk(
        self, met: _Met, at: datetime, channel: str, visit: Visit | None = None, clinic=None
    ) -> Conversation:
        rng, person = self.rng, met.person
        if visit is None and rng.random() < 0.5:
            level = None  # a short exchange by text: nothing to assess
        else:
            level = rng.choices(LEVELS, weights=[80, 14, 6])[0]
        young = person.birth_year is not None and at.year - person.birth_year <= 20
        indicators: set[str] = set()
        referral = None
        if level in ("yellow", "red"):
            others = [i for i in INDICATORS if i != "very_young"]
            indicators = set(rng.sample(others, 1 if level == "yellow" else rng.randint(2, 4)))
            if young:
                indicators.add("very_young")
            if level == "red" or rng.random() < 0.4:
                referral = rng.choices(
                    ["identification_interview", "health_care", "shelter"], weights=[70, 15, 15]
                )[0]
        topics = {
            t for t, p in (("health_advice", 0.7), ("rights_information", 0.3)) if rng.random() < p
        }
        if visit is not None and rng.random() < 0.45:
            topics.add("sti_test_offered")
            if rng.random() < 0.35:
                topics.add("sti_test_taken")
        if referral == "identification_interview":
            topics.add("referral_identification")
        elif referral in ("health_care", "shelter"):
            topics.add(referral)
        language = next((c for c in person.languages if c not in ("en", "da")), None) or (
            person.languages[0] if person.languages else None
        )
        conversation = Conversation(
            id=uuid.UUID(int=rng.getrandbits(128), version=4),
            organisation_id=self.org.id,
            person_id=person.id,
            visit_id=visit.id if visit else None,
            channel=channel,
            occurred_at=at,
            # In a visit the phone leaves the time out and the visit's start is used.
            occurred_at_given=visit is None,
            topics=sorted(topics or {"health_advice"}),
            language=language,
            interpreter_used=language not in (None, "en", "da") and rng.random() < 0.3,
            concern_level=level,
            indicators=sorted(indicators),
            referral=referral,
            follow_up_needed=level in ("yellow", "red") or rng.random() < 0.05,
            notes=rng.choice(_NOTES) if rng.random() < 0.15 else None,
            created_by_id=self.staff_id,
            created_at=at,
            updated_at=at,
        )
        self.conversations.append(conversation)
        met.last_at = at
        if clinic is not None:
            met.clinic_id, met.region = clinic.id, clinic.region_slug
        return conversation


def _remote_contacts(rng: random.Random, today: datetime) -> list[tuple[datetime, str]]:
    """Phone and SMS contacts from escort ads, and the odd drop-in: outside any visit."""
    contacts = []
    for start, count in ((today - timedelta(days=730), 15), (today - timedelta(days=365), 45)):
        for _ in range(count):
            day = start + timedelta(days=rng.randint(0, 364))
            at = datetime(
                day.year,
                day.month,
                day.day,
                rng.randint(11, 21),
                rng.randint(0, 59),
                tzinfo=LOCAL_TZ,
            )
            contacts.append((at, rng.choices(["sms", "phone", "drop_in"], weights=[50, 40, 10])[0]))
    return contacts


def _fieldwork(
    rng: random.Random, org, clinics: list[Clinic], visits: list[Visit], staff_id, today
) -> tuple[list[Person], list[Conversation]]:
    """Persons and conversations for the visits (1-3 in every admitted visit) and the remote
    contacts; fills in what the admitted visits hand out and note."""
    work = _Fieldwork(rng, org, staff_id, today)
    clinic_of = {c.id: c for c in clinics}
    events = [(v.started_at, v) for v in visits if v.outcome == "admitted"]
    events += [(at, channel) for at, channel in _remote_contacts(rng, today)]
    events.sort(key=lambda e: e[0])
    for at, event in events:
        if not isinstance(event, Visit):
            work.talk(work.pick(at, None, set()), at, event)
            continue
        visit, clinic = event, clinic_of[event.clinic_id]
        talks, present = [], set()
        for _ in range(rng.choice([1, 1, 1, 1, 2, 2, 3])):
            met = work.pick(at, clinic, present)
            present.add(met.person.id)
            talks.append((met.person, work.talk(met, at, "visit", visit, clinic)))
        _fill_in(rng, visit, talks)
    persons = sorted((m.person for m in work.known), key=lambda p: p.created_at)
    return persons, work.conversations


def _fill_in(rng: random.Random, visit: Visit, talks: list) -> None:
    """An admitted visit's length, persons present, supplies and concern, from its talks."""
    visit.persons_present = len(talks) + rng.choice([0, 0, 0, 1, 1, 2])
    visit.ended_at = visit.started_at + timedelta(minutes=10 + 15 * len(talks) + rng.randint(0, 15))
    visit.updated_at = visit.ended_at
    supplies = {"condoms": rng.choice([20, 50, 50, 100])}
    if rng.random() < 0.5:
        supplies["lubricant"] = rng.choice([5, 10])
    tests = sum("sti_test_taken" in c.topics for _, c in talks)
    if tests:
        supplies["sti_test"] = tests
    for person, _ in talks:
        leaflet = _LEAFLETS.get(person.nationality, "leaflet_en")
        supplies[leaflet] = supplies.get(leaflet, 0) + rng.choice([1, 2])
    visit.supplies = dict(sorted(supplies.items()))
    levels = [c.concern_level for _, c in talks if c.concern_level]
    visit.concern_level = max(levels, key=LEVELS.index) if levels else None
    visit.indicators = sorted({i for _, c in talks for i in c.indicators})


def _inform_police(rng: random.Random, visits: list[Visit], today: datetime) -> None:
    """A couple of the red visits of the year, and one before it, led to informing the police."""
    year_start = today - timedelta(days=365)
    red = [v for v in visits if v.concern_level == "red"]
    this_year = [v for v in red if v.started_at >= year_start]
    before = [v for v in red if v.started_at < year_start]
    chosen = rng.sample(this_year, min(2, len(this_year))) + rng.sample(before, min(1, len(before)))
    for visit in chosen:
        visit.police_informed = True
        visit.police_informed_at = visit.ended_at + timedelta(minutes=rng.randint(10, 90))
        visit.police_note = _POLICE_NOTE


def is_loaded() -> bool:
    return find_organisation(MAIN_ORG) is not None or find_organisation(SECOND_ORG) is not None


def load(force: bool = False, today: datetime | None = None) -> list[tuple[str, str]]:
    """Create the demo data; returns (role, email) of the demo logins."""
    if is_loaded():
        raise DatabaseNotEmpty("The demo is loaded already; nothing was added.")
    if not force and db.session.scalar(select(func.count()).select_from(Organisation)):
        raise DatabaseNotEmpty("The database already has data; use --force to add the demo.")
    # An address may have an account in each organisation, but the demo's published logins
    # must open the demo and nothing else.
    for email in DEMO_EMAILS:
        if find_users_by_email(email):
            raise AccountError(f"A user with the email {email} already exists; nothing was added.")
    rng = random.Random(2019)  # noqa: S311  # nosec B311  # demo data, not security
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
            "supply_labels": SUPPLY_LABELS,
            "indicators": INDICATORS,
            "indicator_labels": INDICATOR_LABELS,
            "limits": {"pack": USUAL_PACK},  # the usual most: the defaults
            "lead_sites": LEAD_SITES,
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
    clinics = [_clinic(rng, org, rng.choice(region_towns), used, today) for _ in range(264)]
    staff_ids = [staff["nurse"].id, staff["coordinator"].id]
    visits = _visits(rng, clinics, staff_ids, today)
    persons, conversations = _fieldwork(rng, org, clinics, visits, staff["nurse"].id, today)
    _inform_police(rng, visits, today)
    # Flushed table by table: without relationships the flush does not order the inserts.
    _add_synced(clinics)
    _add_synced(visits)
    _add_synced(persons)
    _add_synced(sorted(conversations, key=lambda c: c.occurred_at))
    _screening(rng, org, clinics, visits, region_towns, staff["coordinator"].id, today)
    _route_plans(staff["coordinator"], [staff["nurse"], staff["coordinator"]], today)
    _sms_outreach(org, [staff["nurse"], staff["coordinator"]], persons, today)

    second = create_organisation(
        SECOND_ORG,
        ["syddanmark"],
        settings={
            "offices": [
                {"name": "Odense", "lat": OFFICES["Odense"][0], "lon": OFFICES["Odense"][1]}
            ],
            "supplies": SUPPLIES[:4],
            "supply_labels": {code: SUPPLY_LABELS[code] for code in SUPPLIES[:4]},
            "indicators": INDICATORS,
            "indicator_labels": INDICATOR_LABELS,
        },
    )
    syd = create_user(
        second, "coordinator@syd.outreach.dk", DEMO_PASSWORD, "coordinator", name="Sofie Syd"
    )
    # Coordinators and admins log in with a second factor: the demo's are set up, their
    # secrets printed by the demo command (second_factors()).
    for user in (staff["coordinator"], staff["admin"], syd):
        second_factor.enrol_directly(user, actor_note="demo")
    syd_towns = [t for t in _mainland_towns() if t.region == "syddanmark"]
    _add_synced([_clinic(rng, second, rng.choice(syd_towns), used, today) for _ in range(12)])
    # Statistics for the planner: on tables it believes empty PostgreSQL joins the report's
    # breakdowns by nested loops, 30 s a query instead of milliseconds, and SQLite reads a
    # person's conversations by scanning them all (scheduler.planner_statistics_job).
    db.session.execute(text("ANALYZE"))
    return LOGINS


# --- screening: a year of leads --------------------------------------------------------------

# Invented site names; ad addresses are under .example, numbers are random Danish mobiles.
LEAD_SITES = ["Annoncesiden", "Escortguiden", "Massageportalen", "Rødlygten"]
LEAD_LANGUAGES = ["th", "th", "th", "ro", "ro", "bg", "es", "zh", "en", "hu"]
LEAD_KINDS = ["massage_clinic", "apartment", "apartment", "apartment", "mobile_home", "motel"]
CONTROLLERS = 12  # numbers that run several ads, some also at clinics
SINGLE_ADS = 150
FOUND_BY_SCREENING = 10  # clinics found through screening this year, each visited since


def _mobile(rng: random.Random, used: set) -> str:
    """A Danish mobile number in E.164 (2x xx xx xx), not used before in the demo."""
    while True:
        number = f"+452{rng.randint(0, 9_999_999):07d}"
        try:
            phones.normalise(number)
        except phones.InvalidPhone:
            continue  # not every 2x xx xx xx is in Denmark's numbering plan
        if number not in used:
            used.add(number)
            return number


def _ad_flags(rng: random.Random) -> list[str]:
    """What an ad shows: mostly nothing of note; about one in five flagged."""
    if rng.random() > 0.2:
        return []
    found = set(rng.sample(list(LEAD_FLAGS), rng.choice([1, 1, 2])))
    return [flag for flag in LEAD_FLAGS if flag in found]


def _screening(
    rng: random.Random,
    org: Organisation,
    clinics: list,
    visits: list,
    towns_: list,
    user_id,
    today: datetime,
) -> None:
    """A year of screened ads: ~150 single ads and 12 numbers that each run 3-6 ads on two or
    three sites (a controller moving persons between towns), a few of them also the number of
    a clinic. Older leads are mostly linked or dismissed; recent flagged ones raise their
    clinic's route priority. About ten clinics were found through screening this year: an ad
    some weeks before the first visit became a clinic to verify, and the visit found it."""
    numbers: set = set()
    aliases = " ".join(_ALIASES.values()).split()
    open_clinics = [c for c in clinics if c.status != "closed"]
    by_town: dict = {}
    for clinic in open_clinics:
        by_town.setdefault(clinic.postcode, []).append(clinic)
    leads, sightings = [], []
    serial = 1000

    def ad(site, phone, town, first_seen, flags, clinic=None):
        nonlocal serial
        serial += 1
        last_seen = min(first_seen + timedelta(days=rng.choice([0, 0, 3, 10, 30, 60])), today)
        age = (today - first_seen).days
        if clinic is not None:
            status = "linked"
        elif age > 60:
            status = rng.choices(["dismissed", "to_verify", "new"], weights=[5, 3, 1])[0]
        else:
            status = rng.choices(["new", "to_verify"], weights=[2, 1])[0]
        lead = Lead(
            id=uuid.UUID(int=rng.getrandbits(128), version=4),
            organisation_id=org.id,
            site=site,
            url=f"https://{site.lower().replace('ø', 'oe')}.example/annonce/{serial}",
            phone=phone,
            alias=rng.choice(aliases),
            kind=clinic.kind if clinic else rng.choice(LEAD_KINDS),
            postcode=town.postcode,
            city=town.name,
            region_slug=town.region,
            region_source="postcode",
            languages=[rng.choice(LEAD_LANGUAGES)],
            flags=flags,
            first_seen=first_seen,
            last_seen=last_seen,
            status=status,
            dismissed_reason=(
                rng.choice(["not_relevant", "gone", "outside_area"])
                if status == "dismissed"
                else None
            ),
            clinic_id=clinic.id if clinic else None,
            created_by_id=user_id,
            created_at=first_seen,
        )
        leads.append(lead)
        seen = [first_seen] + ([last_seen] if last_seen > first_seen else [])
        for moment in seen:
            sightings.append(
                LeadSighting(
                    organisation_id=org.id,
                    lead_id=lead.id,
                    seen_at=moment,
                    site=site,
                    flags=flags,
                    recorded_by_id=user_id,
                    recorded_at=moment,
                )
            )

    def some_day() -> datetime:
        return today - timedelta(days=rng.randint(0, 364), hours=rng.randint(0, 12))

    for _ in range(CONTROLLERS):
        phone = _mobile(rng, numbers)
        sites = rng.sample(LEAD_SITES, rng.choice([2, 2, 3]))
        for _ in range(rng.randint(3, 6)):
            town = rng.choice(towns_)
            ad(rng.choice(sites), phone, town, some_day(), _ad_flags(rng))
        if rng.random() < 0.4:  # the number is also a clinic's
            clinic = rng.choice(open_clinics)
            clinic.phone = phone
            stamp(clinic)
    for _ in range(SINGLE_ADS):
        town = rng.choice(towns_)
        first_seen = some_day()
        known = by_town.get(town.postcode) or []
        # About a third of the older ads turn out to be a clinic of the registry.
        clinic = rng.choice(known) if known and rng.random() < 0.35 else None
        flags = _ad_flags(rng)
        if clinic is not None and (today - first_seen).days < 30 and rng.random() < 0.5:
            flags = flags or ["appears_very_young"]  # recent flags raise route priority
        phone = _mobile(rng, numbers) if rng.random() < 0.9 else None
        ad(rng.choice(LEAD_SITES), phone, town, first_seen, flags, clinic)
    first_visit: dict = {}
    for visit in visits:  # in time order
        first_visit.setdefault(visit.clinic_id, visit.started_at)
    year_start = today - timedelta(days=364)
    linked = {lead.clinic_id for lead in leads}
    new_this_year = [
        c
        for c in open_clinics
        if c.id not in linked
        and c.id in first_visit
        and first_visit[c.id] > year_start + timedelta(days=7)
    ]
    for clinic in rng.sample(new_this_year, min(FOUND_BY_SCREENING, len(new_this_year))):
        found = max(first_visit[clinic.id] - timedelta(days=rng.randint(5, 40)), year_start)
        clinic.source = "screening"
        clinic.created_at = found
        stamp(clinic)
        town = next(t for t in towns_ if t.postcode == clinic.postcode)
        ad_seen = max(found - timedelta(days=rng.randint(0, 5)), year_start)
        ad(rng.choice(LEAD_SITES), _mobile(rng, numbers), town, ad_seen, _ad_flags(rng), clinic)
    _add_synced(leads)
    db.session.add_all(sightings)
    db.session.flush()


# Saved route plans of the next working days: (office, region, how many of the drivers).
DEMO_PLANS = [
    ("Aarhus", "midtjylland", 1),
    ("Aalborg", "nordjylland", 2),
    ("Roskilde", "sjaelland", 1),
]


def _route_plans(coordinator, drivers: list, today: datetime) -> None:
    """A saved plan for each of the next working days, one from each office, planned and
    saved as a coordinator would (routing.services): they are on the drivers' phones."""
    day = today.astimezone(LOCAL_TZ).date()
    for office, region, count in DEMO_PLANS:
        day += timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        lat, lon = OFFICES[office]
        plan = routing.create_plan(
            coordinator,
            routing.PlanInput(
                day=day,
                base_lat=lat,
                base_lon=lon,
                base_name=office,
                shift_start="09:00",
                shift_end="16:00",
                break_start="11:30",
                break_end="13:30",
                break_minutes=30,
                staff=[u.id for u in drivers[:count]],
                regions=[region],
            ),
            top_only=True,
        )
        routing.optimise(coordinator, plan)
        if plan.routes:
            routing.save_plan(coordinator, plan, [r.nurse_id for r in plan.routes])
    _trip(coordinator, drivers, day)


# The demo's trip: three days in Nordjylland from the Roskilde office, two nights at a hotel
# in Aalborg; (shift start, shift end) of each day: the first and last with the long drive.
DEMO_TRIP_HOTEL = {"name": "Hotel in Aalborg", "lat": 57.0482, "lon": 9.9187}
DEMO_TRIP_SHIFTS = [("07:30", "19:30"), ("09:00", "17:00"), ("08:00", "19:30")]


def _trip(coordinator, drivers: list, after) -> None:
    """A saved trip of three working days in a row after `after` (the last plan's day)."""
    day = after + timedelta(days=1)
    while day.weekday() > 2:  # Monday to Wednesday at the latest: three weekdays in a row
        day += timedelta(days=1)
    lat, lon = OFFICES["Roskilde"]
    hotel = routing.NightInput(**DEMO_TRIP_HOTEL)
    last = len(DEMO_TRIP_SHIFTS) - 1
    plan = routing.create_plan(
        coordinator,
        routing.PlanInput(
            day=day,
            base_lat=lat,
            base_lon=lon,
            base_name="Roskilde",
            shift_start=DEMO_TRIP_SHIFTS[0][0],
            shift_end=DEMO_TRIP_SHIFTS[0][1],
            break_start="11:30",
            break_end="13:30",
            break_minutes=30,
            staff=[u.id for u in drivers],
            regions=["nordjylland"],
            days=[
                routing.DayInput(day + timedelta(days=i), start, end, None if i == last else hotel)
                for i, (start, end) in enumerate(DEMO_TRIP_SHIFTS)
            ],
        ),
        top_only=True,
    )
    routing.optimise(coordinator, plan)
    routing.save_plan(coordinator, plan, [r.nurse_id for r in plan.routes])


# SMS outreach (issue 14): templates, and a year of texts to numbers from escort ads -----------

SMS_TEMPLATES = {
    "da": "Hej, jeg hedder {name} og er sygeplejerske i et sundhedsteam. Vi tilbyder gratis og "
    "anonym sundhedshjælp, kondomer og test. Skriv eller ring: {phone}",
    "en": "Hi, my name is {name}, a nurse in a health team. We offer free and anonymous health "
    "care, condoms and tests. Text or call us: {phone}",
    "th": "สวัสดีค่ะ ฉันชื่อ {name} เป็นพยาบาลในทีมสุขภาพ เรามีบริการตรวจสุขภาพฟรีและไม่เปิดเผยตัวตน "
    "ส่งข้อความหรือโทร: {phone}",
    "ro": "Bună, mă numesc {name} și sunt asistentă într-o echipă de sănătate. Oferim ajutor "
    "gratuit și anonim, prezervative și teste. Scrie sau sună: {phone}",
    "es": "Hola, me llamo {name} y soy enfermera de un equipo de salud. Ofrecemos ayuda gratuita "
    "y anónima, condones y pruebas. Escribe o llama: {phone}",
}
SMS_TEAM_PHONE = "+4570101010"
SMS_NUMBERS = 60  # numbers from escort ads texted in the year
SMS_OUTCOME_WEIGHTS = {
    "no_reply": 46,
    "reply": 22,
    "controller_answered": 16,
    "wrong_number": 8,
    "opted_out": 2,
}


def _sms_numbers(rng: random.Random, org: Organisation) -> list[tuple[uuid.UUID | None, str, str]]:
    """(lead id, E.164, language) of the numbers to text: the demo's leads with a number, else
    numbers of their own (some ads share one: a controller's)."""
    leads = db.session.scalars(
        tenant_select(Lead, org.id).where(Lead.phone_lookup.is_not(None)).order_by(Lead.id)
    ).all()
    if leads:
        # One entry per number (ads of one controller share it: texted as one number), and
        # as many numbers as the team texts in a year.
        by_number = {}
        for lead in leads:
            by_number.setdefault(lead.phone, (lead.id, lead.phone, (lead.languages or ["en"])[0]))
        numbers = sorted(by_number.values(), key=lambda entry: entry[1])
        return rng.sample(numbers, min(SMS_NUMBERS, len(numbers)))
    found = []
    while len(found) < SMS_NUMBERS:
        try:
            number = phones.normalise(f"+452{rng.randrange(10**7):07d}")
        except phones.InvalidPhone:
            continue
        found.append((None, number, rng.choice(["th", "th", "ro", "en", "es"])))
    return found


def _sms_outreach(org: Organisation, nurses: list, known: list, today: datetime) -> None:
    """Templates in five languages; a year of texts, at most one per number in 14 days; a few
    numbers asked not to be contacted (on the do-not-contact list); about half of the replies
    became conversations by SMS: half of them with a person the team had met before (matched),
    the others with someone new."""
    rng = random.Random(14)  # noqa: S311  # nosec B311  # its own seed: the rest stays as it was
    org.settings = {
        **org.settings,
        "sms": {
            "templates": [
                {"id": f"{language}-1", "language": language, "body": body}
                for language, body in SMS_TEMPLATES.items()
            ],
            "team_phone": SMS_TEAM_PHONE,
            "period_days": 14,
        },
    }
    contacts, persons, conversations, opted_out = [], [], [], []
    outcomes, weights = list(SMS_OUTCOME_WEIGHTS), list(SMS_OUTCOME_WEIGHTS.values())
    for lead_id, number, language in _sms_numbers(rng, org):
        at = today - timedelta(days=rng.randint(300, 364), hours=rng.randint(0, 8))
        while at < today - timedelta(hours=2):
            recent = at > today - timedelta(days=3)
            outcome = "sent" if recent else rng.choices(outcomes, weights=weights)[0]
            nurse = rng.choice(nurses)
            contact = SmsContact(
                id=uuid.UUID(int=rng.getrandbits(128), version=4),
                organisation_id=org.id,
                lead_id=lead_id,
                phone=number,
                language=language if language in SMS_TEMPLATES else "en",
                template_id=f"{language if language in SMS_TEMPLATES else 'en'}-1",
                sent_at=at,
                outcome=outcome,
                created_by_id=nurse.id,
                created_at=at,
                updated_at=at,
            )
            contacts.append(contact)
            if outcome == "reply" and rng.random() < 0.5:
                talked = at + timedelta(hours=rng.randint(1, 6))
                nationality = {"th": "TH", "ro": "RO", "es": "ES"}.get(language, "NG")
                met = [p for p in known if p.nationality == nationality and p.created_at < talked]
                person_id = uuid.UUID(int=rng.getrandbits(128), version=4)
                if met and rng.random() < 0.5:
                    person_id = rng.choice(met).id  # matched: a person met before
                else:
                    persons.append(
                        Person(
                            id=person_id,
                            canonical_id=person_id,
                            organisation_id=org.id,
                            alias=rng.choice(_ALIASES[nationality].split()),
                            nationality=nationality,
                            gender="woman",
                            languages=[language],
                            created_by_id=nurse.id,
                            created_at=talked,
                            updated_at=talked,
                        )
                    )
                conversation = Conversation(
                    id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    organisation_id=org.id,
                    person_id=person_id,
                    channel="sms",
                    occurred_at=talked,
                    occurred_at_given=True,
                    language=language,
                    topics=["health_advice"],
                    created_by_id=nurse.id,
                )
                conversations.append(conversation)
                contact.conversation_id = conversation.id
            if outcome == "opted_out":
                opted_out.append(number)
                break
            at += timedelta(days=rng.randint(15, 120), hours=rng.randint(-3, 3))
    _add_synced(persons)
    _add_synced(conversations)
    _add_synced(contacts)
    db.session.add_all(
        DoNotContact(organisation_id=org.id, phone_lookup=phones.lookup_hash(number))
        for number in sorted(set(opted_out))
    )
    db.session.flush()


def second_factors() -> list[tuple[str, str, str]]:
    """(email, secret, otpauth URI) of each demo user with a second factor."""
    found = []
    for email in DEMO_EMAILS:
        for user in find_users_by_email(email):
            factor = second_factor.enrolled_factor(user)
            if factor is not None:
                secret = second_factor.secret_of(factor)
                found.append((user.email, secret, second_factor.provisioning_uri(user, factor)))
    return found


def _add_synced(rows: list) -> None:
    """Add rows with their sync sequence numbers, as the services would have given them."""
    for row in rows:
        stamp(row)
    db.session.add_all(rows)
    db.session.flush()
