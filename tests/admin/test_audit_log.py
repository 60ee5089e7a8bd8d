"""The admin's audit log page: the organisation's events, newest first, readable, filtered,
paged, and exported as CSV with the same filters (the export audited too)."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.audit.services import record
from outreach.db import db

MARKER = "Zqx-Marker-Alias-7731"


def page(response) -> str:
    return response.get_data(as_text=True)


def event(org, action, at, user=None, **fields) -> AuditEvent:
    """An event at a chosen time (record() stamps the present)."""
    row = AuditEvent(
        organisation_id=org.id, user_id=user.id if user else None, action=action, at=at, **fields
    )
    db.session.add(row)
    db.session.flush()
    return row


def exports() -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.export")).all()


@pytest.fixture
def nurse_named(factory, org):
    nurse = factory.user(org, "nurse", email="karen@example.org")
    nurse.name = "Karen Holm"
    return nurse


def test_the_page_lists_the_events_newest_first_with_who_what_and_about_what(
    admin_client, org, factory, nurse_named
):
    person = factory.person(org, alias=MARKER)
    event(
        org,
        "person.read",
        datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        nurse_named,
        object_type="persons",
        object_id=str(person.id),
    )
    event(
        org,
        "report.export",
        datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        nurse_named,
        object_type="report",
        object_id="2025",
        details={"format": "csv", "rows": 12},
    )

    html = page(admin_client.get("/admin/audit?since=2026-03-01&until=2026-03-02"))

    assert html.index("Exported the report") < html.index("Read a person&#39;s record")
    assert "Karen Holm" in html and "karen@example.org" in html
    assert f'href="/persons/{person.id}"' in html  # the record the event is about
    assert "<dt>format:</dt> <dd>csv</dd>" in html and "<dt>rows:</dt> <dd>12</dd>" in html
    assert MARKER not in html  # the page shows ids, never what the record holds


def test_the_page_shows_only_the_admins_organisation(admin_client, org, other_org, factory):
    stranger = factory.user(other_org, "coordinator", email="stranger@example.org")
    record("person.list", user=stranger, object_type="persons", count=3)

    html = page(admin_client.get("/admin/audit?action=person.list"))

    assert "stranger@example.org" not in html
    assert "No events match these filters." in html


def test_each_filter_narrows_the_list(admin_client, org, factory, nurse_named):
    other = factory.user(org, "coordinator", email="other@example.org")
    clinic_id = str(uuid.uuid4())
    event(
        org,
        "clinic.close",
        datetime(2026, 5, 10, 8, 0, tzinfo=UTC),
        nurse_named,
        object_type="clinics",
        object_id=clinic_id,
    )
    event(
        org,
        "clinic.reopen",
        datetime(2026, 5, 12, 8, 0, tzinfo=UTC),
        other,
        object_type="clinics",
        object_id=str(uuid.uuid4()),
    )
    event(
        org,
        "route_plan.gpx",
        datetime(2026, 6, 1, 8, 0, tzinfo=UTC),
        other,
        object_type="route_plans",
        object_id=str(uuid.uuid4()),
    )

    def shown(query: str) -> set[str]:
        html = page(admin_client.get("/admin/audit?" + query))
        labels = {"Closed a clinic", "Reopened a clinic", "Exported a route as GPX"}
        return {label for label in labels if label in html.split("<tbody>", 1)[-1]}

    assert shown(f"user={nurse_named.id}") == {"Closed a clinic"}
    assert shown("action=clinic.reopen") == {"Reopened a clinic"}
    assert shown("object_type=route_plans") == {"Exported a route as GPX"}
    assert shown(f"object_id={clinic_id}") == {"Closed a clinic"}
    # Days are the team's days (Copenhagen): 12 May 08:00 UTC is on 12 May, 1 June is not.
    assert shown("since=2026-05-01&until=2026-05-12") == {"Closed a clinic", "Reopened a clinic"}
    assert shown("since=2026-05-11&until=2026-05-31") == {"Reopened a clinic"}


def test_a_date_range_the_wrong_way_round_is_refused_on_its_field(admin_client):
    response = admin_client.get("/admin/audit?since=2026-05-10&until=2026-05-01")

    assert response.status_code == 422
    assert "The end date is before the start date." in page(response)


def test_an_object_id_with_other_characters_is_refused_on_its_field(admin_client):
    response = admin_client.get("/admin/audit?object_id=Anna+M%C3%BCller")

    assert response.status_code == 422
    assert "An id has only letters, digits, - and _" in page(response)


def test_an_unknown_action_or_user_is_refused(admin_client):
    assert admin_client.get("/admin/audit?action=no.such").status_code == 422
    assert admin_client.get(f"/admin/audit?user={uuid.uuid4()}").status_code == 422


def test_the_list_is_paged_fifty_at_a_time_and_the_pager_keeps_the_filters(admin_client, org):
    for minute in range(51):
        event(org, "visit.list", datetime(2026, 4, 1, 9, minute, tzinfo=UTC))

    first = page(admin_client.get("/admin/audit?action=visit.list"))
    second = page(admin_client.get("/admin/audit?action=visit.list&page=2"))

    assert first.count("Listed visits</strong>") == 50
    assert "Page 1 of 2" in first and "action=visit.list" in first.split('rel="next"')[0][-200:]
    assert second.count("Listed visits</strong>") == 1


def test_the_csv_has_the_filtered_events_in_danish_excels_format_and_is_audited(
    admin_client, admin, org, nurse_named
):
    event(
        org,
        "report.export",
        datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        nurse_named,
        object_type="report",
        object_id="2025",
        details={"format": "pdf", "tables": 9},
    )
    event(org, "auth.login", datetime(2026, 3, 2, 8, 0, tzinfo=UTC), nurse_named)
    admin.locale = "da"  # a Danish admin: semicolons, as Danish Excel opens them
    db.session.flush()

    response = admin_client.get("/admin/audit/export.csv?action=report.export")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    lines = text.lstrip("\ufeff").split("\r\n")
    assert lines[0].startswith("Tid;E-mail;Navn;Handling;")
    assert lines[1] == (
        "2026-03-02 10:00:00;karen@example.org;Karen Holm;Eksporterede rapporten;report.export;"
        'Rapport;2025;"format: pdf; tables: 9"'
    )
    assert len([line for line in lines if line]) == 2  # the header and the one export
    (audited,) = exports()
    assert audited.user_id == admin.id and audited.organisation_id == org.id
    assert audited.details == {
        "rows": 1,
        "format": "semicolon",
        "filters": {"action": "report.export"},
    }


def test_the_csv_format_follows_the_language_and_can_be_chosen(admin_client, org):
    event(org, "auth.login", datetime(2026, 3, 2, 8, 0, tzinfo=UTC))

    comma = admin_client.get("/admin/audit/export.csv?format=comma").get_data(as_text=True)
    default = admin_client.get("/admin/audit/export.csv").get_data(as_text=True)

    assert comma.splitlines()[0].count(",") == 7
    assert default.splitlines()[0].count(",") == 7  # the tests' language is English
    assert admin_client.get("/admin/audit/export.csv?format=tab").status_code == 422
    assert len(exports()) == 2  # the refused one exported nothing


def test_admins_find_the_audit_log_in_the_menu_and_others_do_not(admin_client, coordinator_client):
    assert 'href="/admin/audit"' in page(admin_client.get("/account"))
    assert 'href="/admin/audit"' not in page(coordinator_client.get("/account"))
    assert coordinator_client.get("/admin/audit").status_code == 403


def test_a_danish_admin_reads_the_page_in_danish(admin_client, admin, org, nurse_named):
    event(
        org,
        "person.read",
        datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        nurse_named,
        object_type="persons",
        object_id=str(uuid.uuid4()),
    )
    admin.locale = "da"
    db.session.flush()

    html = page(admin_client.get("/admin/audit"))

    assert "Aktivitetslog" in html and "Hvem gjorde hvad i jeres organisation" in html
    assert "Læste en persons oplysninger" in html and "Alle hændelser om den" in html
