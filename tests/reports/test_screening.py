"""The report's screening section (issue 14) on a hand-built dataset: leads, clinics found
through screening and visited, numbers texted, replies, opt-outs and SMS conversations, by
Copenhagen month; in the JSON beside the binding keys, the CSV and the paragraph."""

from datetime import UTC, datetime

import pytest

from outreach import phones
from outreach.db import db
from outreach.leads.models import Lead
from outreach.reports import queries, wording
from outreach.reports.figures import Period
from outreach.reports.screening import screening
from outreach.sms.models import SmsContact

A, B, C, D = "+4520123451", "+4520123452", "+4520123453", "+4520123454"


def at(*parts):
    return datetime(*parts, tzinfo=UTC)


def lead(org, first_seen, **fields):
    row = Lead(
        organisation_id=org.id,
        site="Annoncesiden",
        first_seen=first_seen,
        last_seen=first_seen,
        **fields,
    )
    db.session.add(row)
    return row


def text(org, number, sent_at, outcome):
    db.session.add(
        SmsContact(organisation_id=org.id, phone=number, sent_at=sent_at, outcome=outcome)
    )


@pytest.fixture
def data(factory, org, other_org):
    lead(org, at(2026, 1, 5, 10), region_slug="midtjylland")
    lead(org, at(2026, 1, 28, 10), region_slug="nordjylland")
    lead(org, at(2026, 2, 3, 10), region_slug="midtjylland")
    lead(org, at(2025, 12, 31, 22, 30))  # 31 December, 23:30 in Copenhagen: not 2026
    lead(other_org, at(2026, 1, 5, 10))  # another organisation's
    visited = factory.clinic(org, source="screening", created_at=at(2026, 3, 2, 9))
    factory.visit(visited, at(2026, 4, 7, 11))
    factory.clinic(org, source="screening", created_at=at(2026, 5, 2, 9), region_slug="nordjylland")
    factory.clinic(org, source="registry", created_at=at(2026, 3, 2, 9))
    text(org, A, at(2026, 1, 10, 12), "reply")
    text(org, B, at(2026, 1, 20, 12), "no_reply")
    text(org, D, at(2025, 12, 31, 23, 30), "sent")  # 1 January, 00:30 in Copenhagen
    text(org, A, at(2026, 3, 1, 12), "opted_out")
    text(org, C, at(2026, 3, 5, 12), "controller_answered")
    text(other_org, C, at(2026, 3, 5, 12), "reply")
    person = factory.person(org)
    factory.conversation(person, occurred_at=at(2026, 1, 10, 13), channel="sms")
    factory.conversation(person, occurred_at=at(2026, 1, 11, 13), channel="phone")
    db.session.flush()


def test_the_years_screening_figures(data, org):
    figures = screening(org.id, Period(2026))
    assert {k: v for k, v in figures.items() if k != "by_month"} == {
        "leads_recorded": 3,
        "new_clinics": 2,
        "new_clinics_visited": 1,
        "numbers_texted": 4,
        "texts_sent": 5,
        "replies": 2,
        "opt_outs": 1,
        "sms_conversations": 1,
    }


def test_by_month_in_copenhagen_time_all_twelve_months(data, org):
    months = screening(org.id, Period(2026))["by_month"]
    assert [m["month"] for m in months] == list(range(1, 13))
    january, march = months[0], months[2]
    assert january["leads_recorded"] == 2 and january["texts_sent"] == 3
    assert january["numbers_texted"] == 3 and january["replies"] == 1
    assert january["sms_conversations"] == 1
    assert march["opt_outs"] == 1 and march["replies"] == 1 and march["new_clinics"] == 1
    assert march["new_clinics_visited"] == 1
    assert months[11]["texts_sent"] == 0


def test_a_number_texted_in_two_months_counts_once_in_the_year(data, org):
    months = screening(org.id, Period(2026))["by_month"]
    assert sum(m["numbers_texted"] for m in months) == 5
    assert screening(org.id, Period(2026))["numbers_texted"] == 4


def test_a_clinic_found_in_march_counts_as_visited_only_once_its_visit_is_in_the_period(data, org):
    assert screening(org.id, Period(2026, 3))["new_clinics_visited"] == 0
    assert screening(org.id, Period(2026, 4))["new_clinics"] == 0


def test_with_a_region_texts_count_in_no_region(data, org):
    figures = screening(org.id, Period(2026), "midtjylland")
    assert figures["leads_recorded"] == 2 and figures["new_clinics"] == 1
    assert figures["texts_sent"] == figures["numbers_texted"] == figures["sms_conversations"] == 0


def test_the_annual_report_json_carries_screening_beside_the_binding_keys(data, coordinator_client):
    body = coordinator_client.get("/api/v1/reports/annual?year=2026").json
    assert body["screening"]["numbers_texted"] == 4
    assert len(body["screening"]["by_month"]) == 12
    assert body["visits"] == 1 and len(body["by_month"]) == 12


def test_the_screening_table_as_csv(data, coordinator_client):
    answer = coordinator_client.get("/api/v1/reports/annual.csv?year=2026&table=screening")
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    assert "Numbers texted" in text or "Numre" in text
    assert len(text.strip().splitlines()) >= 13


def test_the_paragraph_tells_the_screening_figures(data, org, app):
    data = queries.report_data(org, Period(2026))
    english = wording.paragraph(data.report, "en")
    assert "recorded 3 ads and found 2 new clinics, 1 of which" in english
    assert "texted 4 numbers from escort ads and got 2 replies; 1 asked not to" in english
    assert "1 conversation began by SMS" in english


def test_a_lookup_hash_never_reaches_the_report(data, org):
    figures = screening(org.id, Period(2026))
    assert phones.lookup_hash(A) not in str(figures)
