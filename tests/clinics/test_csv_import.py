"""CSV import of clinics: the preview names every problem, the confirm imports valid rows."""

import html
import io
import re

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from outreach.audit.models import AuditEvent
from outreach.clinics import csv_import
from outreach.clinics.models import Clinic, ClinicImport
from outreach.db import db
from outreach.geo import LocalGeocoder

HEADER = "name,kind,address,postcode,city,lat,lon,region,opening_hours,status,notes"


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode("utf-8")


def upload(client, content: bytes, filename: str = "clinics.csv"):
    """Post the file as the upload form does (the body built in memory: werkzeug's test
    client would spool a large one to a temporary file that it never closes)."""
    boundary, body = encode_multipart(
        {"csrf_token": client.csrf, "file": FileStorage(io.BytesIO(content), filename)}
    )
    return client.client.post(
        "/clinics/import", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def sealed_upload(response) -> str:
    match = re.search(
        r'name="upload" type="hidden" value="([^"]+)"', response.get_data(as_text=True)
    )
    assert match, "no confirm form in the preview"
    return html.unescape(match[1])


def problems_by_row(response) -> dict[int, set[str]]:
    """{row number: the fields named in that row's problems} from the preview table."""
    page = response.get_data(as_text=True)
    found = {}
    for number, body in re.findall(r'<tr id="row-(\d+)"(.*?)</tr>', page, re.S):
        found[int(number)] = set(re.findall(r'<li class="error" data-field="([^"]+)"', body))
    return found


def org_clinics(org) -> list[Clinic]:
    return db.session.scalars(
        select(Clinic).where(Clinic.organisation_id == org.id).order_by(Clinic.name)
    ).all()


GOOD = "Lotus Massage,massage_clinic,Vestergade 3,8000,Aarhus C,56.157,10.204,,mon-fri 10-22,,"


# Preview


def test_the_preview_names_every_bad_row_and_the_fields_at_fault(coordinator_client):
    content = csv_bytes(
        GOOD,
        ",massage_clinic,Algade 1,9000,Aalborg,,,,,,",  # 3: no name
        "Castle Spa,castle,Algade 2,9000,Aalborg,,,,,,",  # 4: unknown kind
        "Postcode Spa,apartment,Algade 3,12345,Aalborg,,,,,,",  # 5: bad postcode
        "Malmo Spa,apartment,,,,55.605,13.0,,,,",  # 6: coordinates outside Denmark
        'Hours Spa,apartment,,9000,,,,,"mon-fri ten to six",,',  # 7: hours not parseable
        "Region Spa,apartment,,9000,,,,norway,,,",  # 8: unknown region
        "Half Spa,apartment,,9000,,57.04,,,,,",  # 9: lat without lon
        "Wordy Spa,apartment,,9000,,north,9.9,,,,",  # 10: lat not a number
        "Many Faults,castle,,12345,,57.04,,atlantis,mon-sun 25-26,open,",  # 11: everything
    )

    response = upload(coordinator_client, content)

    assert response.status_code == 200
    assert problems_by_row(response) == {
        2: set(),
        3: {"name"},
        4: {"kind"},
        5: {"postcode"},
        6: {"lat"},
        7: {"opening_hours"},
        8: {"region"},
        9: {"lat"},
        10: {"lat"},
        11: {"kind", "postcode", "lat", "region", "opening_hours", "status"},
    }
    page = response.get_data(as_text=True)
    assert "Import the 1 valid row" in page
    assert "The coordinates are outside Denmark." in page
    assert "Give both lat and lon, or neither." in page


def test_nothing_is_stored_before_the_import_is_confirmed(coordinator_client, org):
    response = upload(coordinator_client, csv_bytes(GOOD))

    assert response.status_code == 200
    assert org_clinics(org) == []
    assert not db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "clinic.import")
    )


def test_confirming_imports_only_the_valid_rows(coordinator_client, org):
    preview = upload(
        coordinator_client,
        csv_bytes(
            GOOD, "Broken,castle,,,,,,,,,", "Flat Algade,apartment,Algade 10,9000,Aalborg,,,,,,"
        ),
    )

    response = coordinator_client.form_post(
        "/clinics/import/confirm", {"upload": sealed_upload(preview)}
    )

    assert response.status_code == 302
    clinics = org_clinics(org)
    assert [c.name for c in clinics] == ["Flat Algade", "Lotus Massage"]
    assert {c.source for c in clinics} == {"import"}
    lotus = clinics[1]
    assert lotus.opening_hours["mon"] == [["10:00", "22:00"]] and lotus.opening_hours["sat"] == []
    assert (lotus.region_slug, lotus.region_source) == ("midtjylland", "postcode")


def test_the_import_is_audited_with_counts_only(coordinator_client, coordinator, org):
    preview = upload(coordinator_client, csv_bytes(GOOD, "Broken,castle,,,,,,,,,"))
    coordinator_client.form_post("/clinics/import/confirm", {"upload": sealed_upload(preview)})

    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "clinic.import"))

    assert event.user_id == coordinator.id and event.organisation_id == org.id
    assert event.details == {"rows": 2, "imported": 1, "skipped": 1, "possible_duplicates": 0}


def test_rows_without_coordinates_are_left_to_the_geocoding_retry_job(app, coordinator_client, org):
    geocoder = LocalGeocoder()
    app.extensions["geocoder"] = geocoder
    preview = upload(coordinator_client, csv_bytes("Flat,apartment,Algade 10,9000,Aalborg,,,,,,"))

    coordinator_client.form_post("/clinics/import/confirm", {"upload": sealed_upload(preview)})

    (clinic,) = org_clinics(org)
    assert clinic.geocode_status == "pending"
    assert geocoder.calls == []


def test_a_semicolon_csv_from_danish_excel_with_a_bom_and_decimal_commas_is_read(
    coordinator_client, org
):
    content = "\ufeff" + (
        "name;kind;address;postcode;city;lat;lon;region;opening_hours;status;notes\r\n"
        "Søster Spa;massage_clinic;Østergade 1;8000;Århus;56,157;10,204;Region Midtjylland;"
        '"man-fre 10-22; lør 12-16";aktiv;\r\n'
    ).replace("aktiv", "active")

    preview = upload(coordinator_client, content.encode("utf-8"))

    assert problems_by_row(preview) == {2: set()}
    coordinator_client.form_post("/clinics/import/confirm", {"upload": sealed_upload(preview)})
    (clinic,) = org_clinics(org)
    assert (clinic.name, clinic.city, clinic.lat) == ("Søster Spa", "Århus", 56.157)
    assert clinic.opening_hours["sat"] == [["12:00", "16:00"]]
    assert (clinic.region_slug, clinic.region_source) == ("midtjylland", "manual")


def test_a_windows_1252_file_is_read_and_the_encoding_is_pointed_out(coordinator_client):
    content = ("name;kind;city\nSøster Spa;massage_clinic;Århus\n").encode("cp1252")

    response = upload(coordinator_client, content)

    page = response.get_data(as_text=True)
    assert "Søster Spa" in page
    assert "read as Windows-1252" in page


def test_an_upload_over_2_mb_is_refused_with_a_clear_message(coordinator_client, org):
    content = csv_bytes(*[GOOD] * (2 * 1024 * 1024 // len(GOOD) + 10))

    response = upload(coordinator_client, content)

    assert response.status_code == 422
    assert "The file is larger than 2 MB" in response.get_data(as_text=True)
    assert 'name="upload"' not in response.get_data(as_text=True)


def test_a_file_with_more_than_5000_rows_is_refused(coordinator_client):
    content = csv_bytes(*[f"Clinic {n},apartment" for n in range(5001)], header="name,kind")

    response = upload(coordinator_client, content)

    assert response.status_code == 422
    assert "more than 5000 rows" in response.get_data(as_text=True)


def test_a_file_without_a_name_column_is_refused(coordinator_client):
    response = upload(coordinator_client, csv_bytes("Lotus,massage_clinic", header="navn,kind"))

    assert response.status_code == 422
    assert "name must be among them" in response.get_data(as_text=True)


def test_a_binary_file_is_refused(coordinator_client):
    response = upload(coordinator_client, b"PK\x03\x04\x00\x00binary", filename="clinics.xlsx")

    assert response.status_code == 422
    assert "This is not a CSV text file." in response.get_data(as_text=True)


def test_a_row_like_a_registered_clinic_is_a_possible_duplicate_and_still_imported(
    coordinator_client, factory, org
):
    factory.clinic(org, name="Lotus  massage", postcode="8000")
    preview = upload(coordinator_client, csv_bytes(GOOD))

    page = preview.get_data(as_text=True)
    assert "Possible duplicate" in page
    assert "Import 1 clinic" in page
    coordinator_client.form_post("/clinics/import/confirm", {"upload": sealed_upload(preview)})
    assert len(org_clinics(org)) == 2


def test_a_row_repeated_in_the_file_is_a_possible_duplicate(coordinator_client):
    preview = upload(coordinator_client, csv_bytes(GOOD, GOOD))

    assert "Possible duplicate of row 2" in preview.get_data(as_text=True)


def test_a_clinic_of_another_organisation_is_no_duplicate(coordinator_client, factory, other_org):
    factory.clinic(other_org, name="Lotus Massage", postcode="8000", region_slug="syddanmark")

    preview = upload(coordinator_client, csv_bytes(GOOD))

    assert "Possible duplicate" not in preview.get_data(as_text=True)


# Confirm


def test_the_same_preview_cannot_be_imported_twice(coordinator_client, org):
    token = sealed_upload(upload(coordinator_client, csv_bytes(GOOD)))
    coordinator_client.form_post("/clinics/import/confirm", {"upload": token})

    again = coordinator_client.form_post("/clinics/import/confirm", {"upload": token})

    assert again.status_code == 422
    assert "already been imported" in again.get_data(as_text=True)
    assert len(org_clinics(org)) == 1


def test_a_confirmed_import_is_recorded_with_its_upload_and_counts_only(
    coordinator_client, coordinator, org
):
    token = sealed_upload(upload(coordinator_client, csv_bytes(GOOD, "Broken,castle,,,,,,,,,")))
    coordinator_client.form_post("/clinics/import/confirm", {"upload": token})

    (done,) = db.session.scalars(select(ClinicImport)).all()

    assert done.organisation_id == org.id and done.imported_by_id == coordinator.id
    assert done.upload_id == csv_import.unseal(token, coordinator)[1]
    assert (done.rows, done.imported, done.skipped, done.possible_duplicates) == (2, 1, 1, 0)


def test_a_second_confirm_is_refused_without_reading_the_audit_log(
    coordinator_client, org, monkeypatch
):
    token = sealed_upload(upload(coordinator_client, csv_bytes(GOOD)))
    # The first import leaves no audit event (the log is append-only: none can be deleted).
    monkeypatch.setattr(csv_import, "record", lambda *args, **kwargs: None)
    coordinator_client.form_post("/clinics/import/confirm", {"upload": token})
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "clinic.import")
        )
        == 0
    )

    again = coordinator_client.form_post("/clinics/import/confirm", {"upload": token})

    assert again.status_code == 422
    assert "already been imported" in again.get_data(as_text=True)
    assert len(org_clinics(org)) == 1


def test_an_import_of_another_organisation_does_not_count_as_this_ones(org, other_org):
    upload_id = csv_import.new_upload_id()
    db.session.add(
        ClinicImport(
            organisation_id=other_org.id,
            upload_id=upload_id,
            rows=1,
            imported=1,
            skipped=0,
            possible_duplicates=0,
        )
    )
    db.session.flush()

    assert csv_import.already_imported(other_org.id, upload_id)
    assert not csv_import.already_imported(org.id, upload_id)


def test_an_altered_upload_is_refused(coordinator_client, org):
    token = sealed_upload(upload(coordinator_client, csv_bytes(GOOD)))
    value, timestamp, signature = token.rsplit(".", 2)
    forged = csv_import.seal.__module__  # any other content: the signature no longer fits
    altered = f"{value[:-4]}{forged[:4]}.{timestamp}.{signature}"

    response = coordinator_client.form_post("/clinics/import/confirm", {"upload": altered})

    assert response.status_code == 422
    assert "could not be read back" in response.get_data(as_text=True)
    assert org_clinics(org) == []


def test_another_users_upload_is_refused(coordinator_client, login, factory, org):
    token = sealed_upload(upload(coordinator_client, csv_bytes(GOOD)))
    colleague = login(factory.user(org, "coordinator"))

    response = colleague.form_post("/clinics/import/confirm", {"upload": token})

    assert response.status_code == 422
    assert org_clinics(org) == []


def test_a_confirm_without_the_csrf_token_is_refused(coordinator_client, org):
    token = sealed_upload(upload(coordinator_client, csv_bytes(GOOD)))

    response = coordinator_client.client.post("/clinics/import/confirm", data={"upload": token})

    assert response.status_code == 400
    assert org_clinics(org) == []


# Who may import, and the example file


def test_a_nurse_cannot_import(nurse_client, org):
    assert nurse_client.get("/clinics/import").status_code == 403
    assert upload(nurse_client, csv_bytes(GOOD)).status_code == 403
    assert org_clinics(org) == []


def test_the_import_page_documents_every_column(coordinator_client):
    page = coordinator_client.get("/clinics/import").get_data(as_text=True)

    for column in csv_import.COLUMNS:
        assert f"<code>{column}</code>" in page


@pytest.mark.parametrize("separator", ["semicolon", "comma"])
def test_the_example_file_previews_without_a_problem(coordinator_client, separator):
    example = coordinator_client.get(f"/clinics/import/example.csv?separator={separator}")
    assert example.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in example.headers["Content-Disposition"]

    preview = upload(coordinator_client, example.data)

    assert problems_by_row(preview) == {2: set(), 3: set(), 4: set()}


# Reading, without HTTP


def test_the_separator_is_the_one_that_splits_the_header_into_known_columns(org):
    content = b"name;kind;notes\nLotus, the big one;massage_clinic;a, b\n"

    preview = csv_import.read(content, org.id)

    assert preview.delimiter == ";"
    assert preview.rows[0].data["name"] == "Lotus, the big one"


def test_unknown_columns_are_ignored_and_reported(org):
    preview = csv_import.read(b"name,kind,phone\nLotus,massage_clinic,12345678\n", org.id)

    assert preview.ignored_columns == ["phone"]
    assert preview.rows[0].valid


def test_blank_lines_are_skipped_and_rows_keep_their_spreadsheet_numbers(org):
    preview = csv_import.read(b"name,kind\nA,apartment\n\n,,\nB,castle\n", org.id)

    assert [(row.number, row.valid) for row in preview.rows] == [(2, True), (5, False)]


def test_the_preview_gives_schema_messages_in_the_users_language(app, coordinator_client):
    from outreach.db import db

    coordinator_client.user.locale = "da"
    db.session.flush()
    response = upload(coordinator_client, b"name;kind;postcode\nLotus;castle;8000\n")
    assert "Skal være en af:" in response.get_data(as_text=True)
