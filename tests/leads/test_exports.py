"""The lead list as CSV and XLSX for coordinators (outreach/leads/exports.py): the filtered
leads with what a coordinator works from, formula starts neutralised, a file name and an
audit event without personal data; nurses are refused."""

import io
import re
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.leads.models import LeadSighting
from outreach.orgs.services import set_lead_sites
from outreach.sms.models import SmsContact

NUMBER = "+4520123456"
FORMULA = '=HYPERLINK("http://evil.example","Mai")'


@pytest.fixture(autouse=True)
def sites(org):
    set_lead_sites(org, ["Annoncesiden", "Escortguiden"])


@pytest.fixture
def leads(factory, org, other_org):
    clinic = factory.clinic(org, name="Lotus Massage", phone=NUMBER)
    seen = datetime(2026, 11, 5, 13, 30, tzinfo=UTC)
    linked = factory.lead(
        org,
        site="Escortguiden",
        url="https://escort.example/ad/7",
        phone=NUMBER,
        alias=FORMULA,
        kind="apartment",
        address="Vestergade 3",
        postcode="8000",
        city="Aarhus C",
        region_slug="midtjylland",
        languages=["th", "en"],
        flags=["appears_very_young", "moved"],
        status="linked",
        clinic_id=clinic.id,
        last_seen=seen,
    )
    db.session.add(
        LeadSighting(organisation_id=org.id, lead_id=linked.id, seen_at=seen, site="Annoncesiden")
    )
    db.session.add(SmsContact(organisation_id=org.id, phone=NUMBER, sent_at=seen, outcome="sent"))
    dismissed = factory.lead(org, status="dismissed", dismissed_reason="gone", city="Odense")
    factory.lead(other_org, phone=NUMBER, city="Aalborg")  # another organisation's
    db.session.flush()
    return linked, dismissed


def csv_rows(response) -> list[list[str]]:
    import csv

    text = response.get_data().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=","))


def test_the_csv_holds_the_filtered_leads_with_what_a_coordinator_works_from(
    coordinator_client, leads
):
    response = coordinator_client.get("/leads/export.csv?format=comma")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    header, *rows = csv_rows(response)
    assert header == [
        "Site",
        "Ad address",
        "Phone number (E.164)",
        "Ad name",
        "Kind",
        "Address",
        "Postcode",
        "Town",
        "Region",
        "Languages",
        "Flags",
        "Status",
        "Dismissed because",
        "Linked clinic",
        "First seen",
        "Last seen",
        "Sightings",
        "Records with this number",
    ]
    assert len(rows) == 2  # not another organisation's; last seen first
    dismissed, linked = (dict(zip(header, row, strict=True)) for row in rows)
    assert linked["Site"] == "Escortguiden"
    assert linked["Ad address"] == "https://escort.example/ad/7"
    assert linked["Phone number (E.164)"] == "'" + NUMBER  # a leading + is a formula start
    assert linked["Kind"] == "Apartment"
    assert (linked["Postcode"], linked["Town"]) == ("8000", "Aarhus C")
    assert linked["Region"] == "Region Midtjylland"
    assert linked["Languages"] == "Thai, English"
    assert linked["Flags"] == "appears very young, moved"
    assert (linked["Status"], linked["Linked clinic"]) == ("Linked to a clinic", "Lotus Massage")
    assert linked["Last seen"] == "2026-11-05 14:30"  # Danish time
    assert linked["Sightings"] == "2"
    assert linked["Records with this number"] == "3"  # the lead, the clinic and the text
    assert (dismissed["Status"], dismissed["Dismissed because"]) == ("Dismissed", "The ad is gone")
    assert dismissed["Records with this number"] == ""

    only = csv_rows(coordinator_client.get("/leads/export.csv?format=comma&status=dismissed"))
    assert [row[7] for row in only[1:]] == ["Odense"]


def test_a_formula_in_a_cell_is_neutralised_in_the_csv_and_text_in_the_workbook(
    coordinator_client, leads
):
    header, *rows = csv_rows(coordinator_client.get("/leads/export.csv?format=comma"))
    assert rows[1][header.index("Ad name")] == "'" + FORMULA

    response = coordinator_client.get("/leads/export.xlsx")

    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    workbook = load_workbook(io.BytesIO(response.get_data()))
    assert workbook.sheetnames == ["About", "Leads"]
    sheet = workbook["Leads"]
    assert sheet.cell(1, 3).value == "Phone number (E.164)"
    assert sheet.cell(3, 3).value == NUMBER
    cell = sheet.cell(3, 4)
    assert (cell.value, cell.data_type) == (FORMULA, "s")  # text, never a formula
    assert sheet.cell(3, 17).value == 2 and sheet.cell(3, 18).value == 3
    assert sheet.max_row == 3


def test_the_file_name_and_the_audit_event_say_nothing_personal(coordinator_client, leads):
    for path in ("/leads/export.csv?flag=moved&format=semicolon", "/leads/export.xlsx?flag=moved"):
        response = coordinator_client.get(path)
        disposition = response.headers["Content-Disposition"]
        assert re.fullmatch(
            r'attachment; filename="leads-\d{4}-\d{2}-\d{2}\.(csv|xlsx)"', disposition
        )

    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "lead.export")).all()
    assert sorted((e.details for e in events), key=lambda d: d["format"]) == [
        {"rows": 1, "format": "semicolon", "flag": "moved"},
        {"rows": 1, "format": "xlsx", "flag": "moved"},
    ]
    for event in events:
        assert event.object_type == "leads" and event.object_id is None


def test_nurses_may_not_export_and_a_bad_filter_is_named_not_left_out(
    nurse_client, coordinator_client, admin_client, leads
):
    assert nurse_client.get("/leads/export.csv").status_code == 403
    assert nurse_client.get("/leads/export.xlsx").status_code == 403
    assert admin_client.get("/leads/export.xlsx").status_code == 200

    bad = coordinator_client.get("/leads/export.csv?status=gone")
    assert bad.status_code == 422
    assert "Not a valid choice" in bad.get_data(as_text=True)
    tab = coordinator_client.get("/leads/export.csv?format=tab")
    assert tab.status_code == 422
    assert "semicolon or comma" in tab.get_data(as_text=True)
    exported = select(AuditEvent).where(AuditEvent.action == "lead.export")
    assert [e.details["format"] for e in db.session.scalars(exported)] == ["xlsx"]


def test_the_list_links_its_files_with_its_filters_for_coordinators_only(
    nurse_client, coordinator_client, leads
):
    page = coordinator_client.get("/leads/?status=linked").get_data(as_text=True)
    assert re.search(r'href="/leads/export\.csv\?format=(comma|semicolon)&amp;status=linked"', page)
    assert 'href="/leads/export.xlsx?status=linked"' in page
    assert "/leads/export" not in nurse_client.get("/leads/").get_data(as_text=True)
