"""Screening feeds planning: a clinic with a recent flagged lead gets the flag as a reason of
its route priority, within the organisation's window; clinics to verify are candidates."""

from datetime import UTC, datetime, time, timedelta

from flask import current_app
from flask_babel import force_locale

from outreach import phones
from outreach.leads import services
from outreach.orgs.services import set_screening_window
from outreach.routing import candidates
from outreach.routing.planner import LOCAL_TZ

DAY = datetime.now(LOCAL_TZ).date() + timedelta(days=1)  # tomorrow's plan


def days_before(days: int) -> datetime:
    return datetime.combine(DAY - timedelta(days=days), time(20), LOCAL_TZ).astimezone(UTC)


def reasons(org, clinics) -> dict:
    """{clinic id: (score, reasons in English)}: the reasons are translated, which needs a
    request (the user's language)."""
    with current_app.test_request_context(), force_locale("en"):
        ranked = candidates.priorities(org, clinics, DAY)
        return {
            c.id: (ranked[c.id].score, [str(r.text) for r in ranked[c.id].reasons]) for c in clinics
        }


def test_a_clinic_with_a_recent_flagged_lead_rises_and_says_why(app, factory, org):
    flagged, plain = factory.clinic(org, name="Flagged"), factory.clinic(org, name="Plain")
    factory.lead(
        org,
        clinic_id=flagged.id,
        status="linked",
        flags=["appears_very_young", "controller_answers"],
        last_seen=days_before(2),
    )
    factory.lead(org, clinic_id=plain.id, status="linked", flags=[], last_seen=days_before(1))

    found = reasons(org, [flagged, plain])

    assert found[flagged.id][0] == found[plain.id][0] + 25
    assert (
        "Screening: appears very young, a controller answers the phone, 2 days ago."
        in found[flagged.id][1]
    )
    assert not any("Screening" in text for text in found[plain.id][1])
    top = candidates.top_choice(org, [plain, flagged], DAY, 1)
    assert top == [flagged]


def test_the_window_is_a_setting_and_dismissed_leads_do_not_count(app, factory, org):
    clinic = factory.clinic(org, phone="+4520123456")
    factory.lead(
        org, clinic_id=clinic.id, status="linked", flags=["moved"], last_seen=days_before(40)
    )
    factory.lead(
        org,
        clinic_id=None,
        status="dismissed",
        dismissed_reason="gone",
        flags=["extreme_services"],
        phone="+4520123456",
        last_seen=days_before(1),
    )

    assert not any("Screening" in t for t in reasons(org, [clinic])[clinic.id][1])
    set_screening_window(org, 60)
    assert "Screening: moved, 40 days ago." in reasons(org, [clinic])[clinic.id][1]


def test_a_lead_with_the_clinics_number_counts_without_being_linked(app, factory, org):
    clinic = factory.clinic(org, phone=phones.normalise("20 12 34 56"))
    factory.lead(org, phone=phones.normalise("0045 20123456"), flags=["pressure_unprotected"])

    texts = reasons(org, [clinic])[clinic.id][1]

    assert any(t.startswith("Screening: pressure to offer sex without protection") for t in texts)


def test_a_clinic_to_verify_made_from_a_lead_is_a_candidate_with_its_flags(app, factory, org):
    coordinator = factory.user(org, "coordinator")
    lead = factory.lead(
        org,
        flags=["appears_very_young"],
        kind="apartment",
        postcode="8000",
        city="Aarhus C",
        lat=56.157,
        lon=10.204,
    )
    clinic = services.create_clinic(coordinator, lead)

    pool = candidates.candidate_pool(org.id, ["midtjylland"], None)
    assert clinic in pool
    assert any(
        t.startswith("Screening: appears very young") for t in reasons(org, [clinic])[clinic.id][1]
    )
