"""CSV import of leads: the same preview and per-row errors as the clinic import; the valid
rows are recorded, an ad seen before becomes a sighting, one upload is imported once."""

import html
import io
import re

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.leads.models import Lead, LeadImport, LeadSighting
from outreach.orgs.services import set_lead_sites

HEADER = "site;url;phone;alias;kind;postcode;city;languages;flags;first_seen;last_seen"


@pytest.fixture(autouse=True)
def sites(org):
    set_lead_sites(org, ["Annoncesiden", "Escortguiden"])


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode("utf-8")


def upload(client, content: bytes):
    boundary, body = encode_multipart(
        {"csrf_token": client.csrf, "file": FileStorage(io.BytesIO(content), "leads.csv")}
    )
    return client.client.post(
        "/leads/import", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def sealed_upload(response) -> str:
    match = re.search(
        r'name="upload" type="hidden" value="([^"]+)"', response.get_data(as_text=True)
    )
    assert match, "no confirm form in the preview"
    return html.unescape(match[1])


def problems_by_row(response) -> dict[int, set[str]]:
    page = response.get_data(as_text=True)
    found = {}
    for number, body in re.findall(r'<tr id="row-(\d+)"(.*?)</tr>', page, re.S):
        found[int(number)] = set(re.findall(r'<li class="error" data-field="([^"]+)"', body))
    return found


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


ROWS = [
    # 2: good
    "Annoncesiden;https://annoncer.example/ad/1;20 12 34 56;Mai;apartment;8000;Aarhus C;th;"
    "appears_very_young;2026-03-02;2026-03-09",
    # 3: a bad number, an unknown flag and an unknown site
    "Nowhere;https://annoncer.example/ad/2;12 34;Lin;apartment;8000;Aarhus C;th;very_old;"
    "2026-03-02;",
    # 4: neither address nor number, a bad date
    "Annoncesiden;;;Ana;;;;;;March 2nd;",
    # 5: the same number on the same site as row 2, written otherwise: a sighting of it
    "Annoncesiden;https://annoncer.example/ad/77;+45 20-12-34-56;Mai;apartment;8000;Aarhus C;"
    "th;moved;2026-04-01;",
    # 6: the same number on another site: an ad of its own
    "Escortguiden;;0045 20123456;May;;8000;Aarhus C;en;;2.4.2026;",
]


def test_the_preview_names_every_bad_row_and_field_and_stores_nothing(coordinator_client):
    response = upload(coordinator_client, csv_bytes(*ROWS))

    assert response.status_code == 200
    found = problems_by_row(response)
    assert found[2] == set() and found[5] == set() and found[6] == set()
    assert found[3] == {"phone", "flags", "site"}
    assert found[4] >= {"url", "first_seen"}
    page = response.get_data(as_text=True)
    assert "The same ad as row 2" in page
    assert count(Lead) == 0


def test_confirm_records_the_valid_rows_with_the_same_ad_as_a_sighting(coordinator_client):
    preview = upload(coordinator_client, csv_bytes(*ROWS))
    token = sealed_upload(preview)

    response = coordinator_client.form_post("/leads/import/confirm", {"upload": token})

    assert response.status_code == 302
    leads = db.session.scalars(select(Lead).order_by(Lead.site)).all()
    assert [lead.site for lead in leads] == ["Annoncesiden", "Escortguiden"]
    first = leads[0]
    assert first.flags == ["appears_very_young", "moved"]
    assert first.phone == leads[1].phone == "+4520123456"
    assert count(LeadSighting) == 3
    (record,) = db.session.scalars(select(LeadImport)).all()
    assert (record.rows, record.created, record.sightings, record.skipped) == (5, 2, 1, 2)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "lead.import")).one()
    assert event.details == {"rows": 5, "created": 2, "sightings": 1, "skipped": 2}

    again = coordinator_client.form_post("/leads/import/confirm", {"upload": token})
    assert again.status_code == 422
    assert "already been imported" in again.get_data(as_text=True)
    assert count(Lead) == 2


def test_a_file_without_the_required_columns_is_refused_as_a_whole(coordinator_client):
    response = upload(coordinator_client, csv_bytes("x;y", header="url;phone"))

    assert response.status_code == 422
    assert "site, first_seen" in response.get_data(as_text=True)


def test_nurses_cannot_import_and_the_example_file_opens(coordinator_client, nurse_client):
    assert nurse_client.get("/leads/import").status_code == 403
    example = coordinator_client.get("/leads/import/example.csv")
    assert example.status_code == 200
    preview = upload(coordinator_client, example.data)
    assert preview.status_code == 200
    assert all(not problems for problems in problems_by_row(preview).values())
