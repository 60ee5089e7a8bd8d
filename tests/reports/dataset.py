"""A hand-built dataset for the report tests: every figure of 2019 is worked out below.

Organisation regions: midtjylland (M), nordjylland (N), sjaelland (S, never visited).
Clinics: cM1, cM2 in M; cN1 in N; cS1 in S; cX without a region.

Visits (local Copenhagen time)                      outcome        region
  v0  2018-11-11 10:00  cM1  condoms 100            admitted       M     (previous year)
  v1  2019-01-15 10:00  cM1  condoms 50, leaflet 2  admitted       M
  v2  2019-03-10 12:00  cM1  concern red, police    not admitted   M
  v4  2019-05-20 14:00  cN1  condoms 20, yellow     admitted       N
  v3  2019-07-01 00:30  cM2  (still June in UTC)    admitted       M
  v6  2019-09-09 11:00  cX                          not admitted   -
  v5  2019-12-31 23:30  cN1  lubricant 5            admitted       N     (2019 in local time)
  v7  2020-01-01 00:30  cM2  condoms 7              admitted       M     (still 2019 in UTC)

Conversations (canonical person after the merges D->E and G->F)
  2018: A@v0 (M), E by phone 2018-06-01
  2019: A@v1 M, D@v1 M (=E), B@v4 N, F@v4 N, B@v3 M, G@v3 M (=F), C phone 2019-04-04,
        J@v6 (no region), E@v5 N, H@v5 N
  2020: H@v7 M, I@v7 M

2019 figures: visits 6, clinics 4, admitted 4 (rate 0.6667), conversations 10,
persons talked to 7 (A B C E F H J), first-time 5 (B F H in N; C and J in no region).
  M: visits 3, clinics 2, admitted 2, conversations 4, persons 4 (A B E F), first-time 0
  N: visits 2, clinics 1, admitted 2, conversations 4, persons 4 (B E F H), first-time 3
  S: zeros
Another organisation has a visit and a conversation in 2019 that must never count.
"""

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from outreach.persons.services import merge_persons

CPH = ZoneInfo("Europe/Copenhagen")


def local(year, month, day, hour=12, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CPH)


@dataclass
class Dataset:
    org: object
    other_org: object
    coordinator: object
    clinics: dict = field(default_factory=dict)
    visits: dict = field(default_factory=dict)
    persons: dict = field(default_factory=dict)


def build(factory, org, other_org, coordinator, merge: bool = True) -> Dataset:
    data = Dataset(org, other_org, coordinator)
    c = data.clinics
    c["M1"] = factory.clinic(org, region_slug="midtjylland")
    c["M2"] = factory.clinic(org, region_slug="midtjylland")
    c["N1"] = factory.clinic(org, region_slug="nordjylland", postcode="9000", city="Aalborg")
    c["S1"] = factory.clinic(org, region_slug="sjaelland", postcode="4000", city="Roskilde")
    c["X"] = factory.clinic(org, region_slug=None, region_source=None, postcode=None)

    v = data.visits
    v["v0"] = factory.visit(c["M1"], local(2018, 11, 11, 10), supplies={"condoms": 100})
    v["v1"] = factory.visit(
        c["M1"], local(2019, 1, 15, 10), supplies={"condoms": 50, "leaflet_th": 2}
    )
    v["v2"] = factory.visit(
        c["M1"],
        local(2019, 3, 10, 12),
        outcome="not_admitted",
        not_admitted_reason="refused",
        concern_level="red",
        police_informed=True,
    )
    v["v4"] = factory.visit(
        c["N1"], local(2019, 5, 20, 14), supplies={"condoms": 20}, concern_level="yellow"
    )
    v["v3"] = factory.visit(c["M2"], local(2019, 7, 1, 0, 30))
    v["v6"] = factory.visit(
        c["X"], local(2019, 9, 9, 11), outcome="not_admitted", not_admitted_reason="no_answer"
    )
    v["v5"] = factory.visit(c["N1"], local(2019, 12, 31, 23, 30), supplies={"lubricant": 5})
    v["v7"] = factory.visit(c["M2"], local(2020, 1, 1, 0, 30), supplies={"condoms": 7})

    p = data.persons
    p["A"] = factory.person(org, "Anna", nationality="TH", gender="woman")
    p["B"] = factory.person(org, "Bea", nationality="RO", gender="woman")
    p["C"] = factory.person(org, "Cleo", nationality="TH", gender="woman")
    p["D"] = factory.person(org, "Dana", gender="woman")
    p["E"] = factory.person(org, "Edda", nationality="TH", gender="woman")
    p["F"] = factory.person(org, "Fia", nationality="RO", gender="woman")
    p["G"] = factory.person(org, "Gina", nationality="BG", gender="woman")
    p["H"] = factory.person(org, "Hana", nationality="NG", gender="trans_woman")
    p["I"] = factory.person(org, "Ida", nationality="TH", gender="woman")
    p["J"] = factory.person(org, "Jade", gender="woman")

    factory.conversation(p["A"], v["v0"])
    factory.conversation(p["E"], occurred_at=local(2018, 6, 1, 15))
    factory.conversation(p["A"], v["v1"])
    factory.conversation(p["D"], v["v1"])
    factory.conversation(p["B"], v["v4"])
    factory.conversation(p["F"], v["v4"], concern_level="red")
    factory.conversation(p["B"], v["v3"], concern_level="yellow")
    factory.conversation(p["G"], v["v3"])
    factory.conversation(p["C"], occurred_at=local(2019, 4, 4, 16))
    factory.conversation(p["J"], v["v6"])
    factory.conversation(p["E"], v["v5"])
    factory.conversation(p["H"], v["v5"])
    factory.conversation(p["H"], v["v7"])
    factory.conversation(p["I"], v["v7"])
    if merge:
        merge_persons(coordinator, p["D"].id, p["E"].id)
        merge_persons(coordinator, p["G"].id, p["F"].id)

    # Another organisation's work in the same year: never counted.
    other_clinic = factory.clinic(other_org, region_slug="syddanmark", postcode="5000")
    other_visit = factory.visit(other_clinic, local(2019, 6, 1, 12), supplies={"condoms": 999})
    factory.conversation(
        factory.person(other_org, "Olga", nationality="TH", gender="woman"), other_visit
    )
    factory.conversation(
        factory.person(other_org, "Oda", nationality="RO", gender="woman"),
        occurred_at=local(2019, 6, 2, 12),
    )
    return data


ANNUAL_2019 = {
    "year": 2019,
    "region": None,
    "visits": 6,
    "clinics_visited": 4,
    "admitted_visits": 4,
    "admission_rate": 0.6667,
    "conversations": 10,
    "persons_talked_to": 7,
    "first_time_persons": 5,
    "by_region": [
        {
            "region": "nordjylland",
            "visits": 2,
            "clinics_visited": 1,
            "admitted_visits": 2,
            "conversations": 4,
            "persons_talked_to": 4,
            "first_time_persons": 3,
        },
        {
            "region": "midtjylland",
            "visits": 3,
            "clinics_visited": 2,
            "admitted_visits": 2,
            "conversations": 4,
            "persons_talked_to": 4,
            "first_time_persons": 0,
        },
        {
            "region": "sjaelland",
            "visits": 0,
            "clinics_visited": 0,
            "admitted_visits": 0,
            "conversations": 0,
            "persons_talked_to": 0,
            "first_time_persons": 0,
        },
    ],
    "by_month": [
        {"month": m, "visits": v, "admitted_visits": a, "conversations": c}
        for m, v, a, c in [
            (1, 1, 1, 2),
            (2, 0, 0, 0),
            (3, 1, 0, 0),
            (4, 0, 0, 1),
            (5, 1, 1, 2),
            (6, 0, 0, 0),
            (7, 1, 1, 2),
            (8, 0, 0, 0),
            (9, 1, 0, 1),
            (10, 0, 0, 0),
            (11, 0, 0, 0),
            (12, 1, 1, 2),
        ]
    ],
}
