"""The visit and conversation pages of the back office: every role reads them (audited), only
coordinators correct them, through the same services and ETag rules as the API; another
organisation's record is not found."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.persons.models import Conversation
from outreach.visits.models import Visit
from tests.conftest import csrf_token_from


def page(response) -> str:
    return response.get_data(as_text=True)


def events(action: str, object_id) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == action, AuditEvent.object_id == str(object_id))
    )


def fresh(model, object_id):
    db.session.expire_all()
    return db.session.get(model, object_id)


def form_fields(html: str) -> dict:
    """What a browser would post back from the page's form, unchanged."""
    form = html.split('<form method="post" class="record-form"', 1)[1].split("</form>", 1)[0]
    data: dict = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        kind = re.search(r'type="([^"]+)"', tag)
        kind = kind.group(1) if kind else "text"
        value = re.search(r'value="([^"]*)"', tag)
        value = value.group(1).replace("&#34;", '"').replace("&quot;", '"') if value else ""
        if kind == "checkbox":
            if "checked" in tag:
                data.setdefault(name.group(1), []).append(value or "y")
        else:
            data[name.group(1)] = value
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"', body) or re.search(
            r'<option value="([^"]*)" selected', body
        )
        data[name] = chosen.group(1) if chosen else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        data[name] = body.strip()
    return data


@pytest.fixture
def visit(factory, org, nurse):
    org.settings = {
        "supplies": ["condoms", "lubricant"],
        "supply_labels": {"condoms": "Condoms", "lubricant": "Lubricant"},
        "indicators": ["debt", "lives_at_workplace"],
        "indicator_labels": {"debt": "Debt", "lives_at_workplace": "Lives at the workplace"},
    }
    clinic = factory.clinic(org, name="Pearl Spa")
    return factory.visit(
        clinic,
        datetime(2026, 5, 4, 10, 30, tzinfo=UTC),
        ended_at=datetime(2026, 5, 4, 11, 10, tzinfo=UTC),
        staff=[str(nurse.id)],
        persons_present=3,
        supplies={"condoms": 40, "lubricant": 5},
        concern_level="yellow",
        indicators=["debt"],
        notes="Ny pige, taler kun thai.",
        created_by_id=nurse.id,
    )


@pytest.fixture
def conversation(factory, org, visit):
    person = factory.person(org, "Szandra", nationality="HU", birth_year=1990)
    return factory.conversation(
        person, visit, topics=["health_advice"], concern_level="green", notes="Vil have pjecer."
    )


def edit(client, url: str, **changes):
    """Open the edit form, change some fields, post it back (as a browser would)."""
    data = form_fields(page(client.get(url)))
    data.update(changes)
    return client.client.post(url, data={**data, "csrf_token": client.csrf})


# --- reading ----------------------------------------------------------------------------------


def test_the_visit_page_shows_every_field_and_its_conversations(
    nurse_client, nurse, visit, conversation
):
    response = nurse_client.get(f"/visits/{visit.id}")
    assert response.status_code == 200
    html = page(response)
    for text in ("Pearl Spa", "Condoms", "40", "Lubricant", "Debt", "Ny pige, taler kun thai."):
        assert text in html
    assert nurse.display_name in html  # staff
    assert f'href="/conversations/{conversation.id}"' in html
    assert "Szandra" in html
    assert f'href="/visits/{visit.id}/edit"' not in html  # nurses read
    assert events("visit.read", visit.id) == 1


def test_the_conversation_page_shows_every_field_and_is_audited(nurse_client, visit, conversation):
    response = nurse_client.get(f"/conversations/{conversation.id}")
    assert response.status_code == 200
    html = page(response)
    for text in ("Szandra", "Hungary", "born 1990", "Health advice", "Vil have pjecer."):
        assert text in html
    assert f'href="/visits/{visit.id}"' in html
    assert events("conversation.read", conversation.id) == 1


def test_the_clinic_and_person_pages_link_to_the_visit_and_conversation_pages(
    coordinator_client, visit, conversation
):
    clinic_page = page(coordinator_client.get(f"/clinics/{visit.clinic_id}"))
    assert f'href="/visits/{visit.id}"' in clinic_page
    person_page = page(coordinator_client.get(f"/persons/{conversation.person_id}"))
    assert f'href="/conversations/{conversation.id}"' in person_page


# --- correcting -------------------------------------------------------------------------------


def test_a_coordinator_corrects_a_visit_and_the_change_is_audited(
    coordinator_client, coordinator, visit
):
    url = f"/visits/{visit.id}/edit"
    response = edit(
        coordinator_client,
        url,
        **{"supply-condoms": "50", "supply-lubricant": "", "persons_present": "4"},
        indicators=["debt", "lives_at_workplace"],
        notes="Rettet: to nye piger.",
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/visits/{visit.id}"
    stored = fresh(Visit, visit.id)
    assert stored.supplies == {"condoms": 50}
    assert stored.persons_present == 4
    assert stored.indicators == ["debt", "lives_at_workplace"]
    assert stored.notes == "Rettet: to nye piger."
    assert stored.started_at == datetime(2026, 5, 4, 10, 30, tzinfo=UTC)  # unchanged
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "visit.update", AuditEvent.object_id == str(visit.id)
        )
    )
    assert event.user_id == coordinator.id
    assert "Rettet" not in str(event.details)


def test_a_coordinator_corrects_a_conversation_and_its_person(
    coordinator_client, coordinator, factory, org, conversation
):
    other = factory.person(org, "Sandra", nationality="HU", birth_year=1991)
    response = edit(
        coordinator_client,
        f"/conversations/{conversation.id}/edit",
        person_id=str(other.id),
        topics=["health_advice", "rights_information"],
        referral="health_care",
        notes="",
    )
    assert response.status_code == 303
    stored = fresh(Conversation, conversation.id)
    assert stored.person_id == other.id
    assert stored.topics == ["health_advice", "rights_information"]
    assert stored.referral == "health_care"
    assert stored.notes is None
    assert events("conversation.update", conversation.id) == 1


def test_a_bad_supply_count_marks_only_that_supply_and_keeps_what_was_typed(
    coordinator_client, visit
):
    response = edit(
        coordinator_client,
        f"/visits/{visit.id}/edit",
        **{"supply-condoms": "-5", "supply-lubricant": "7"},
        notes="Rettet.",
    )
    assert response.status_code == 422
    html = page(response)
    assert html.count('aria-invalid="true"') == 1
    assert re.search(r'name="supply-condoms"[^>]*value="-5"', html)
    assert re.search(r'name="supply-lubricant"[^>]*value="7"', html)
    assert "Rettet." in html
    assert fresh(Visit, visit.id).supplies == {"condoms": 40, "lubricant": 5}


def test_the_apis_rules_apply_a_not_admitted_visit_needs_a_reason(coordinator_client, visit):
    response = edit(coordinator_client, f"/visits/{visit.id}/edit", outcome="not_admitted")
    assert response.status_code == 422
    assert "Say why the team was not let in." in page(response)
    assert fresh(Visit, visit.id).outcome == "admitted"


def test_a_save_over_someone_elses_change_is_refused_and_shows_the_current_values(
    coordinator_client, coordinator, visit
):
    url = f"/visits/{visit.id}/edit"
    opened = form_fields(page(coordinator_client.get(url)))
    # Meanwhile a nurse's phone sends a change of the same visit.
    visit.notes = "Ændret fra telefonen."
    visit.supplies = {"condoms": 45}
    db.session.flush()
    response = coordinator_client.client.post(
        url,
        data={**opened, "notes": "Min rettelse.", "csrf_token": coordinator_client.csrf},
    )
    assert response.status_code == 409
    html = page(response)
    assert "Someone else changed this record after you opened it" in html
    assert "Ændret fra telefonen." in html  # the current values
    assert "What you typed differs from the current values in: " in html and "Notes" in html
    stored = fresh(Visit, visit.id)
    assert stored.notes == "Ændret fra telefonen."  # nothing overwritten
    assert events("visit.update", visit.id) == 0
    # The form now carries the current version: saving again is a deliberate overwrite.
    again = edit(coordinator_client, url, notes="Min rettelse.")
    assert again.status_code == 303
    assert fresh(Visit, visit.id).notes == "Min rettelse."


def test_a_stale_conversation_form_is_refused_too(coordinator_client, conversation):
    url = f"/conversations/{conversation.id}/edit"
    opened = form_fields(page(coordinator_client.get(url)))
    conversation.notes = "Ændret."
    db.session.flush()
    response = coordinator_client.client.post(
        url, data={**opened, "notes": "Min.", "csrf_token": coordinator_client.csrf}
    )
    assert response.status_code == 409
    assert fresh(Conversation, conversation.id).notes == "Ændret."


# --- who may ----------------------------------------------------------------------------------


def test_a_nurse_cannot_edit(nurse_client, visit, conversation):
    for url in (f"/visits/{visit.id}/edit", f"/conversations/{conversation.id}/edit"):
        assert nurse_client.get(url).status_code == 403
        html = page(nurse_client.get(f"/visits/{visit.id}"))
        response = nurse_client.client.post(
            url, data={"notes": "x", "csrf_token": csrf_token_from(html)}
        )
        assert response.status_code == 403
    assert fresh(Visit, visit.id).notes == "Ny pige, taler kun thai."
    assert fresh(Conversation, conversation.id).notes == "Vil have pjecer."


def test_another_organisations_records_are_not_found(
    factory, other_org, login, visit, conversation
):
    outsider = login(factory.user(other_org, "coordinator"))
    for url in (
        f"/visits/{visit.id}",
        f"/visits/{visit.id}/edit",
        f"/conversations/{conversation.id}",
        f"/conversations/{conversation.id}/edit",
    ):
        assert outsider.get(url).status_code == 404, url
    response = outsider.form_post(f"/visits/{visit.id}/edit", {"notes": "x"})
    assert response.status_code == 404
    assert fresh(Visit, visit.id).notes == "Ny pige, taler kun thai."
    assert events("visit.read", visit.id) == 0
