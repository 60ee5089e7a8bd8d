"""The demo data (`flask --app outreach demo`): a year of visits, persons and conversations
shaped like the team's 2019 annual report, consistent with every rule the API enforces.

The demo is loaded once for this module into a transaction that is rolled back at its end."""

import json
import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from outreach import demo
from outreach.auth.models import User
from outreach.clinics.models import Clinic
from outreach.codes import country_codes, language_codes
from outreach.db import db
from outreach.orgs.models import Organisation
from outreach.orgs.queries import find_organisation
from outreach.persons import queries
from outreach.persons import services as person_services
from outreach.persons.models import Conversation, Person
from outreach.persons.schemas import (
    ConversationInSchema,
    ConversationOutSchema,
    PersonInSchema,
    PersonOutSchema,
)
from outreach.routing.models import RoutePlan
from outreach.visits import services as visit_services
from outreach.visits.models import Visit
from outreach.visits.schemas import VisitInSchema, VisitOutSchema
from tests.conftest import rolled_back

TODAY = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
YEAR_START = TODAY - timedelta(days=365)


@dataclass
class Demo:
    org: Organisation
    clinics: dict
    visits: list[Visit]
    persons: list[Person]
    conversations: list[Conversation]
    plans: list[RoutePlan]

    def visit(self, visit_id) -> Visit:
        return self._visits[visit_id]

    def __post_init__(self):
        self._visits = {v.id: v for v in self.visits}

    def in_year(self, rows, field):
        return [r for r in rows if YEAR_START <= getattr(r, field) < TODAY]


@pytest.fixture(scope="module")
def loaded(_app):
    """The demo as of TODAY, loaded once into a transaction rolled back after the module."""
    with rolled_back(_app):
        demo.load(today=TODAY)
        db.session.commit()  # as the demo command does: the rows get their numbers
        org = find_organisation(demo.MAIN_ORG)

        def rows(model):
            return list(db.session.scalars(select(model).where(model.organisation_id == org.id)))

        yield Demo(
            org=org,
            clinics={c.id: c for c in rows(Clinic)},
            visits=rows(Visit),
            persons=rows(Person),
            conversations=rows(Conversation),
            plans=rows(RoutePlan),
        )


# --- the shape of the last 12 months, like the 2019 annual report ---------------------------


def test_a_year_of_visits_like_the_annual_report(loaded):
    # 2019: 467 visits.
    assert 420 <= len(loaded.in_year(loaded.visits, "started_at")) <= 520


def test_most_clinics_are_visited_in_the_year(loaded):
    # 2019: 257 different clinics.
    visited = {v.clinic_id for v in loaded.in_year(loaded.visits, "started_at")}

    assert 230 <= len(visited) <= len(loaded.clinics)
    assert len(visited) < len(loaded.clinics), "some clinics were not visited"


def test_the_team_is_admitted_at_just_under_half_of_the_visits(loaded):
    visits = loaded.in_year(loaded.visits, "started_at")
    admitted = [v for v in visits if v.outcome == "admitted"]

    assert 0.42 <= len(admitted) / len(visits) < 0.5


def test_a_year_of_conversations_like_the_annual_report(loaded):
    # 2019: 401 conversations.
    assert 340 <= len(loaded.in_year(loaded.conversations, "occurred_at")) <= 470


def test_about_three_hundred_persons_are_talked_to_in_the_year(loaded):
    # 2019: 312 persons.
    talked_to = {c.person_id for c in loaded.in_year(loaded.conversations, "occurred_at")}

    assert 270 <= len(talked_to) <= 360


def test_about_half_of_the_persons_talked_to_are_first_time_contacts(loaded):
    # 2019: 165 of 312; the rest were met before the year.
    talked_to = {c.person_id for c in loaded.in_year(loaded.conversations, "occurred_at")}

    first = queries.first_time_person_ids(loaded.org.id, YEAR_START, TODAY)

    assert 135 <= len(first) <= 200
    assert first <= talked_to
    assert 0.35 <= 1 - len(first) / len(talked_to) <= 0.6


def test_some_persons_were_met_only_before_the_year(loaded):
    talked_to = {c.person_id for c in loaded.in_year(loaded.conversations, "occurred_at")}

    assert len({p.id for p in loaded.persons} - talked_to) >= 20


def test_conversations_reach_back_two_years_and_no_further(loaded):
    times = [c.occurred_at for c in loaded.conversations]

    assert TODAY - timedelta(days=730) <= min(times) < YEAR_START - timedelta(days=300)
    assert max(times) < TODAY


def test_no_visit_lies_in_the_future_or_beyond_two_years(loaded):
    times = [v.started_at for v in loaded.visits]

    assert TODAY - timedelta(days=730) <= min(times) and max(times) < TODAY


# --- persons --------------------------------------------------------------------------------


def test_persons_count_as_themselves(loaded):
    assert all(p.canonical_id == p.id and p.merged_into_id is None for p in loaded.persons)


def test_persons_have_plausible_work_names(loaded):
    names = set(" ".join(demo._ALIASES.values()).split()) | set(demo._VARIANTS.values())

    assert {p.alias for p in loaded.persons} <= names
    assert {"Mai", "Lin", "Nok", "Yasmin", "Natasha", "Cristina", "Ioana"} <= {
        p.alias for p in loaded.persons
    }


def test_persons_come_from_many_countries_thailand_most(loaded):
    nationalities = Counter(p.nationality for p in loaded.persons)

    assert len(nationalities) >= 10
    assert nationalities.most_common(1)[0][0] == "TH"
    assert {"TH", "RO", "NG", "ES", "CN", "VN", "BG", "HU", "BR"} <= set(nationalities)
    assert set(nationalities) - {None} <= country_codes()


def test_persons_are_mostly_women_and_some_trans_women(loaded):
    genders = Counter(p.gender for p in loaded.persons)

    assert genders["woman"] / len(loaded.persons) > 0.8
    assert genders["trans_woman"] >= 10


def test_languages_are_iso_codes_stored_sorted(loaded):
    for person in loaded.persons:
        assert person.languages == sorted(set(person.languages))
        assert set(person.languages) <= language_codes()


def test_birth_years_are_adult_and_sometimes_unknown(loaded):
    years = [p.birth_year for p in loaded.persons]
    known = [y for y in years if y is not None]

    assert all(TODAY.year - 55 <= y <= TODAY.year - 18 for y in known)
    assert 0 < years.count(None) < len(years) / 4


def test_a_few_persons_were_written_down_twice_under_another_spelling(loaded):
    variants = [p for p in loaded.persons if p.alias in set(demo._VARIANTS.values())]

    assert len(variants) >= 3


def test_no_conversation_is_before_its_person_was_first_met(loaded):
    first = {}
    for conversation in loaded.conversations:
        at = conversation.occurred_at
        first[conversation.person_id] = min(first.get(conversation.person_id, at), at)

    assert all(p.created_at == first[p.id] for p in loaded.persons)


def test_every_person_has_a_conversation(loaded):
    assert {c.person_id for c in loaded.conversations} == {p.id for p in loaded.persons}


def test_persons_move_between_clinics_and_some_between_regions(loaded):
    clinics, regions = {}, {}
    for c in loaded.in_year(loaded.conversations, "occurred_at"):
        if c.visit_id:
            clinic = loaded.clinics[loaded.visit(c.visit_id).clinic_id]
            clinics.setdefault(c.person_id, set()).add(clinic.id)
            regions.setdefault(c.person_id, set()).add(clinic.region_slug)

    assert sum(len(s) > 1 for s in clinics.values()) >= 30
    assert sum(len(s) > 1 for s in regions.values()) >= 5


# --- conversations and visits -----------------------------------------------------------------


def test_every_conversation_belongs_to_a_person_of_the_organisation(loaded):
    persons = {p.id for p in loaded.persons}

    assert all(c.person_id in persons for c in loaded.conversations)


def test_conversations_in_visits_are_in_admitted_visits_of_the_organisation(loaded):
    in_visits = [c for c in loaded.conversations if c.visit_id is not None]

    assert in_visits
    for conversation in in_visits:
        visit = loaded.visit(conversation.visit_id)
        assert visit.outcome == "admitted"
        assert visit.organisation_id == loaded.org.id
        assert conversation.channel == "visit"


def test_a_conversation_in_a_visit_occurs_at_the_visits_start(loaded):
    for conversation in (c for c in loaded.conversations if c.visit_id):
        assert conversation.occurred_at == loaded.visit(conversation.visit_id).started_at
        assert conversation.occurred_at_given is False


def test_some_conversations_are_by_phone_or_sms_outside_visits(loaded):
    outside = [c for c in loaded.in_year(loaded.conversations, "occurred_at") if not c.visit_id]

    # Calls and drop-ins, and (SMS outreach) the replies to texts that became conversations.
    assert 20 <= len(outside) <= 110
    assert {c.channel for c in outside} <= {"phone", "sms", "drop_in", "other"}
    assert {"phone", "sms"} <= {c.channel for c in outside}


def test_every_admitted_visit_has_one_to_three_conversations(loaded):
    talks = Counter(c.visit_id for c in loaded.conversations if c.visit_id)

    for visit in loaded.visits:
        if visit.outcome == "admitted":
            assert 1 <= talks[visit.id] <= 3
            assert visit.persons_present >= talks[visit.id]
            assert visit.ended_at > visit.started_at
        else:
            assert talks[visit.id] == 0
            assert visit.not_admitted_reason


def test_visits_to_a_closed_clinic_after_it_closed_are_not_admitted(loaded):
    for visit in loaded.visits:
        clinic = loaded.clinics[visit.clinic_id]
        if clinic.closed_at is not None and visit.started_at >= clinic.closed_at:
            assert visit.not_admitted_reason in ("closed", "moved")


def test_concern_is_mostly_green_with_some_yellow_and_red(loaded):
    levels = Counter(c.concern_level for c in loaded.conversations if c.concern_level)
    total = sum(levels.values())

    assert levels["green"] / total > 0.7
    assert levels["yellow"] >= 20 and levels["red"] >= 10


def test_indicators_go_with_yellow_or_red_and_come_from_the_organisations_list(loaded):
    for conversation in loaded.conversations:
        assert set(conversation.indicators) <= set(demo.INDICATORS)
        if conversation.concern_level in ("yellow", "red"):
            assert conversation.indicators
        else:
            assert conversation.indicators == []


def test_red_concern_always_leads_to_a_referral(loaded):
    red = [c for c in loaded.conversations if c.concern_level == "red"]

    assert all(c.referral for c in red)
    assert any(c.referral == "identification_interview" for c in red)


def test_a_visit_carries_the_worst_concern_of_its_conversations(loaded):
    order = ["green", "yellow", "red"]
    worst = {}
    for c in loaded.conversations:
        if c.visit_id and c.concern_level:
            worst[c.visit_id] = max(
                worst.get(c.visit_id, "green"), c.concern_level, key=order.index
            )

    assert all(loaded.visit(v).concern_level == level for v, level in worst.items())


def test_supplies_come_from_the_organisations_supply_list(loaded):
    handed_out = Counter()
    for visit in loaded.visits:
        assert set(visit.supplies) <= set(loaded.org.settings["supplies"])
        assert all(count > 0 for count in visit.supplies.values())
        handed_out.update(visit.supplies)

    assert {"condoms", "leaflet_th", "sti_test"} <= set(handed_out)


def test_a_couple_of_visits_led_to_informing_the_police(loaded):
    informed = [v for v in loaded.visits if v.police_informed]
    this_year = [v for v in informed if v.started_at >= YEAR_START]

    assert 1 <= len(this_year) <= 4
    assert all(v.concern_level == "red" and v.police_informed_at > v.started_at for v in informed)


# --- consistency with the services and the phone's sync --------------------------------------


def test_every_synced_row_has_its_own_sequence_number(loaded):
    rows = list(loaded.clinics.values()) + loaded.visits + loaded.persons + loaded.conversations
    numbers = [r.sync_seq for r in rows]

    assert all(n > 0 for n in numbers)
    assert len(set(numbers)) == len(numbers)
    assert max(numbers) <= loaded.org.sync_seq


def test_the_second_organisation_has_no_persons_of_the_first(loaded):
    second = find_organisation(demo.SECOND_ORG)

    persons = db.session.scalars(select(Person).where(Person.organisation_id == second.id))

    assert list(persons) == []


def test_visits_refer_to_clinics_and_staff_of_their_organisation(loaded):
    staff = {
        str(u.id)
        for u in db.session.scalars(select(User).where(User.organisation_id == loaded.org.id))
    }

    assert all(v.clinic_id in loaded.clinics for v in loaded.visits)
    assert all(set(v.staff) <= staff and v.staff for v in loaded.visits)


def _as_input(schema_out, schema_in, row, drop: set) -> dict:
    """A row as the phone would send it: dumped, through JSON, loaded by the input schema."""
    dumped = {k: v for k, v in schema_out.dump(row).items() if k not in drop}
    return schema_in.load(json.loads(json.dumps(dumped)))


@pytest.fixture(scope="module")
def demo_nurse(loaded):
    return db.session.scalar(select(User).where(User.email == "nurse@demo.outreach.dk"))


def sample(rows, k=40):
    return random.Random(7).sample(rows, min(k, len(rows)))


def test_demo_visits_are_valid_and_resending_them_changes_nothing(loaded, demo_nurse):
    for visit in sample(loaded.visits):
        data = _as_input(
            VisitOutSchema(), VisitInSchema(), visit, {"id", "created_at", "updated_at"}
        )

        assert not visit_services.put_visit(demo_nurse, visit.id, data).changed


def test_demo_persons_are_valid_and_resending_them_changes_nothing(loaded, demo_nurse):
    drop = {"id", "merged_into_id", "canonical_id", "created_at", "updated_at"}
    for person in sample(loaded.persons):
        data = _as_input(PersonOutSchema(), PersonInSchema(), person, drop)

        assert not person_services.put_person(demo_nurse, person.id, data).changed


def test_demo_conversations_are_valid_and_resending_them_changes_nothing(loaded, demo_nurse):
    for conversation in sample(loaded.conversations):
        drop = {"id", "created_at", "updated_at"}
        if not conversation.occurred_at_given:
            drop.add("occurred_at")  # the phone leaves it out in a visit
        data = _as_input(ConversationOutSchema(), ConversationInSchema(), conversation, drop)

        put = person_services.put_conversation(demo_nurse, conversation.id, data)

        assert not put.changed


def test_saved_route_plans_for_the_next_working_days(loaded):
    # One from each office (Aarhus, Aalborg, Roskilde) on the next three working days after
    # Monday 15 June 2026, saved, each route with a driver and every stop checked.
    plans = sorted((p for p in loaded.plans if not p.is_trip), key=lambda p: p.date)
    assert [p.date.isoformat() for p in plans] == ["2026-06-16", "2026-06-17", "2026-06-18"]
    assert [p.base_name for p in plans] == ["Aarhus", "Aalborg", "Roskilde"]
    for plan in plans:
        assert plan.status == "saved" and plan.routes
        assert all(r.nurse_id and r.stops and not r.violations for r in plan.routes)
        assert all(not s.violations for r in plan.routes for s in r.stops)
        assert all(
            loaded.clinics[s.clinic_id].status != "closed" for r in plan.routes for s in r.stops
        )
    assert len(plans[1].routes) == 2


def test_a_saved_three_day_trip_from_roskilde_with_a_hotel_in_aalborg(loaded):
    """Monday 22 to Wednesday 24 June 2026 in Nordjylland, two nights at the hotel: each
    clinic at most once, on a day when it is open, every route checked and with a driver."""
    from outreach.routing.planner import DayClock

    (trip,) = [p for p in loaded.plans if p.is_trip]
    assert (trip.date.isoformat(), trip.end_date.isoformat()) == ("2026-06-22", "2026-06-24")
    assert trip.status == "saved" and trip.base_name == "Roskilde"
    assert [d["night"]["name"] if d["night"] else None for d in trip.days] == [
        "Hotel in Aalborg",
        "Hotel in Aalborg",
        None,
    ]
    assert sorted({r.day for r in trip.routes}) == [0, 1, 2]
    assert all(r.nurse_id and not r.violations for r in trip.routes)
    visited = [s.clinic_id for r in trip.routes for s in r.stops]
    assert len(visited) == len(set(visited)) > 20
    for route in trip.routes:
        day = DayClock(date.fromisoformat(trip.days[route.day]["date"]))
        for stop in route.stops:
            clinic = loaded.clinics[stop.clinic_id]
            assert clinic.region_slug == "nordjylland" and not stop.violations
            assert clinic.opening_hours.get(day.weekday)
            assert stop.arrival_at.astimezone(day.tz).date() == day.day


# Screening (issue 14): a year of leads, with groups of ads sharing a number.


def test_demo_has_a_year_of_leads_with_groups_of_ads_sharing_a_number(loaded):
    from outreach import phonegroups
    from outreach.leads.models import Lead

    leads = list(db.session.scalars(select(Lead).where(Lead.organisation_id == loaded.org.id)))
    assert len(leads) >= 180
    assert all(YEAR_START <= lead.first_seen <= TODAY for lead in leads)
    assert all(lead.last_seen >= lead.first_seen for lead in leads)
    assert {lead.status for lead in leads} == {"new", "to_verify", "linked", "dismissed"}
    assert {lead.site for lead in leads} <= set(loaded.org.settings["lead_sites"])
    groups = phonegroups.phone_groups(loaded.org.id, limit=100)
    big = [g for g in groups if g.part("leads").count >= 3 and g.part("leads").facts["sites"] >= 2]
    assert len(big) >= 8
    assert any(g.part("clinics").count for g in groups)
    recent_flagged_clinics = [
        lead
        for lead in leads
        if lead.clinic_id and lead.flags and (TODAY - lead.last_seen).days <= 30
    ]
    assert recent_flagged_clinics


def test_the_years_screening_figures_include_clinics_it_found_and_visited(loaded):
    """About ten clinics were found through screening in the year (an ad some weeks before
    the first visit, linked to the clinic), and the visits found them: the report's
    screening section says so, not 0."""
    from outreach.leads.models import Lead
    from outreach.reports.figures import Period
    from outreach.reports.screening import screening

    found = list(
        db.session.scalars(
            select(Clinic).where(
                Clinic.organisation_id == loaded.org.id,
                Clinic.source == "screening",
                Clinic.created_at >= YEAR_START,
            )
        )
    )
    assert 8 <= len(found) <= 12
    for clinic in found:
        first = min(v.started_at for v in loaded.visits if v.clinic_id == clinic.id)
        assert clinic.created_at < first
        lead = db.session.scalar(select(Lead).where(Lead.clinic_id == clinic.id))
        assert lead is not None and lead.first_seen <= clinic.created_at
    years = [screening(loaded.org.id, Period(y)) for y in (TODAY.year - 1, TODAY.year)]
    assert sum(f["new_clinics"] for f in years) == len(found)
    assert sum(f["new_clinics_visited"] for f in years) == len(found)


def test_demo_leads_are_valid_and_resending_them_changes_nothing(loaded):
    from outreach.leads import services as lead_services
    from outreach.leads.models import Lead
    from outreach.leads.schemas import LeadInSchema, LeadOutSchema

    coordinator = db.session.scalar(
        select(User).where(User.email == "coordinator@demo.outreach.dk")
    )
    leads = list(db.session.scalars(select(Lead).where(Lead.organisation_id == loaded.org.id)))
    drop = {"id", "created_at", "updated_at", "region_source"}
    for lead in sample(leads):
        data = _as_input(LeadOutSchema(), LeadInSchema(), lead, drop)
        data["region"] = None  # derived from the postcode, as the demo stored it
        assert not lead_services.put_lead(coordinator, lead.id, data).changed


# --- SMS outreach (issue 14) ------------------------------------------------------------------


def test_a_year_of_texts_with_a_few_opt_outs_and_replies_that_became_conversations(loaded):
    from outreach.sms.models import DoNotContact, SmsContact
    from outreach.tenancy import tenant_select

    contacts = list(db.session.scalars(tenant_select(SmsContact, loaded.org.id)))
    in_year = [c for c in contacts if YEAR_START <= c.sent_at < TODAY]
    assert len(in_year) >= 60
    opted_out = {c.phone_lookup for c in contacts if c.outcome == "opted_out"}
    listed = set(db.session.scalars(tenant_select(DoNotContact, loaded.org.id)).all())
    assert 1 <= len(opted_out) <= 10 and {d.phone_lookup for d in listed} == opted_out
    linked = {c.conversation_id for c in contacts if c.conversation_id}
    by_sms = {c.id for c in loaded.conversations if c.channel == "sms"}
    assert len(linked) >= 5 and linked <= by_sms


def test_no_number_was_texted_twice_within_fourteen_days_nor_after_it_opted_out(loaded):
    from outreach.sms.models import SmsContact
    from outreach.tenancy import tenant_select

    by_number: dict = {}
    for c in db.session.scalars(tenant_select(SmsContact, loaded.org.id)):
        by_number.setdefault(c.phone_lookup, []).append(c)
    for texts in by_number.values():
        texts.sort(key=lambda c: c.sent_at)
        gaps = [b.sent_at - a.sent_at for a, b in zip(texts, texts[1:], strict=False)]
        assert all(gap.days >= 14 for gap in gaps)
        assert all(c.outcome != "opted_out" for c in texts[:-1])
