"""Least privilege for bulk reads, and the audit of every read of notes (issue 11 item 4).

A nurse's phone gets what it needs from the pull; lists of visits and conversations (every
note and police note at once) are for coordinators, and every read and list is audited, with
counts and ids, never the notes or an alias."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.auth.services import create_token
from outreach.db import db

NOTE = "Zq7-note-marker"
WHEN = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def assert_no_marker(event: AuditEvent) -> None:
    assert NOTE not in repr((event.object_id, event.details))
    assert "Mai" not in repr(event.details)


@pytest.fixture
def records(factory, org):
    clinic = factory.clinic(org)
    visit = factory.visit(clinic, WHEN, notes=NOTE, police_informed=True, police_note=NOTE)
    person = factory.person(org, "Mai")
    conversation = factory.conversation(person, visit, notes=NOTE)
    return visit, conversation


@pytest.mark.parametrize("path", ["/api/v1/visits", "/api/v1/conversations"])
def test_a_nurse_gets_no_bulk_list_of_notes(nurse_client, records, path):
    response = nurse_client.get(path, query_string={"per_page": 100})
    assert response.status_code == 403
    assert NOTE not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/api/v1/visits", "/api/v1/conversations"])
def test_a_nurses_token_gets_no_bulk_list_of_notes(client, nurse, records, path):
    _, plain = create_token(nurse, "script")
    response = client.get(path, headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 403


def test_the_nurses_pull_still_carries_her_visits(nurse_client, records):
    visit, _ = records
    answer = nurse_client.get("/api/v1/sync").json
    assert [v["id"] for v in answer["visits"]] == [str(visit.id)]


@pytest.mark.parametrize(
    ("path", "action"),
    [("/api/v1/visits", "visit.list"), ("/api/v1/conversations", "conversation.list")],
)
def test_a_coordinators_list_is_audited_with_its_count(
    coordinator_client, coordinator, records, path, action
):
    assert coordinator_client.get(path).status_code == 200
    [event] = events(action)
    assert (event.user_id, event.details) == (coordinator.id, {"count": 1, "page": 1})
    assert_no_marker(event)


def test_reading_one_visit_or_conversation_is_audited(nurse_client, nurse, records):
    visit, conversation = records
    assert nurse_client.get(f"/api/v1/visits/{visit.id}").status_code == 200
    assert nurse_client.get(f"/api/v1/conversations/{conversation.id}").status_code == 200
    [read_visit] = events("visit.read")
    [read_conversation] = events("conversation.read")
    assert (read_visit.user_id, read_visit.object_id) == (nurse.id, str(visit.id))
    assert read_conversation.object_id == str(conversation.id)
    assert_no_marker(read_visit)


def test_a_pull_that_carries_visits_is_audited_with_how_many(nurse_client, nurse, factory, org):
    factory.visit(factory.clinic(org), WHEN, notes=NOTE)
    nurse_client.get("/api/v1/sync")
    [event] = events("sync.pull")
    assert (event.user_id, event.details) == (nurse.id, {"count": 0, "visits": 1})


def test_the_person_list_page_and_a_search_are_audited_without_the_query(
    coordinator_client, coordinator, records
):
    assert coordinator_client.get("/persons/").status_code == 200
    response = coordinator_client.form_post("/persons/", {"q": "Mai"})
    assert response.status_code == 303  # to the results, kept under an id: no alias in the URL
    assert "Mai" not in response.headers["Location"]
    assert coordinator_client.get(response.headers["Location"]).status_code == 200
    [listed] = events("person.list")
    [searched] = events("person.search")
    assert listed.details == {"count": 1, "page": 1}
    assert (searched.user_id, searched.details) == (coordinator.id, {"count": 1, "page": 1})
    assert_no_marker(searched)


def test_the_gpx_and_the_day_sheet_are_audited(coordinator_client, coordinator, factory, org):
    clinic = factory.clinic(org)
    plan = factory.route_plan(org, [(coordinator, [clinic])])
    assert coordinator_client.get(f"/routes/{plan.id}/plan.gpx").status_code == 200
    assert coordinator_client.get(f"/routes/{plan.id}/sheet").status_code == 200
    assert [e.object_id for e in events("route_plan.gpx")] == [str(plan.id)]
    assert [e.object_id for e in events("route_plan.sheet")] == [str(plan.id)]


def test_a_refused_csrf_token_is_audited(nurse_client, nurse, factory, org):
    clinic = factory.clinic(org)
    response = nurse_client.client.post(f"/clinics/{clinic.id}/reopen", data={})
    assert response.status_code == 400
    [event] = events("csrf.refused")
    assert event.user_id == nurse.id
    assert event.details == {"endpoint": "clinics.reopen", "method": "POST"}
