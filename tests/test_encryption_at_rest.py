"""The checklist's marker test (SECURITY.md 17, 19; issue 12 item 1): a marker written through
every API and form that takes free text about a person or a visit is found in no database
file (SQLite's file and its WAL, or a pg_dump of PostgreSQL), no log record and no audit
event, an export's included; the API and the pages still show it to the organisation's
coordinator. The app has a database of its own, so that its commits reach the files."""

import glob
import json
import logging
import subprocess  # nosec B404  # pg_dump with our own argv
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask_migrate import upgrade
from sqlalchemy import select
from sqlalchemy.engine import make_url

from outreach.audit.models import AuditEvent
from outreach.auth import second_factor
from outreach.auth.services import create_user
from outreach.db import db
from outreach.orgs.services import create_organisation
from tests.clinics.test_api import body as clinic_body
from tests.clinics.test_csv_import import csv_bytes, sealed_upload, upload
from tests.clinics.test_pages import form_data as clinic_form
from tests.conftest import PASSWORD, ActorClient, database_url, make_app
from tests.fieldwork.test_pages import edit
from tests.leads.test_api import body as lead_body
from tests.leads.test_csv_import import csv_bytes as lead_csv
from tests.leads.test_csv_import import upload as lead_upload
from tests.leads.test_pages import form as lead_form
from tests.persons.test_api_conversations import body as conversation_body
from tests.persons.test_api_persons import body as person_body
from tests.test_privacy import capture_everything, logged_lines
from tests.visits.test_api import body as visit_body

EMAIL = "coordinator@at-rest.example"
PHONE = "+45 28 85 52 13"  # a lead's and a clinic's number: its digits are in no file either
PHONE_DIGITS = b"28855213"


@pytest.fixture(scope="module")
def own_app(tmp_path_factory):
    app = make_app(database_url(tmp_path_factory, "at_rest"))
    with app.app_context():
        upgrade()
        org = create_organisation("At rest", ["midtjylland"])
        org.settings = {
            "supplies": ["condoms", "leaflet_th"],
            "indicators": ["debt"],
            "lead_sites": ["Annoncesiden"],
        }
        user = create_user(org, EMAIL, PASSWORD, "coordinator")
        second_factor.enrol_directly(user, actor_note="test")
        db.session.commit()
        app.config["TEST_COORDINATOR"] = SimpleNamespace(email=EMAIL, id=user.id)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class Ref:
    def __init__(self, id):
        self.id = id


def write_everywhere(c, marker: str) -> dict:
    """The marker through every API and form that takes free text; the ids written."""
    ids = {name: uuid.uuid4() for name in ("clinic", "visit", "person", "conversation", "lead")}
    # The API (the field app writes through these).
    assert (
        c.put(f"/api/v1/clinics/{ids['clinic']}", json=clinic_body(notes=marker)).status_code == 201
    )
    visit = visit_body(Ref(ids["clinic"]), notes=marker, police_informed=True, police_note=marker)
    assert c.put(f"/api/v1/visits/{ids['visit']}", json=visit).status_code == 201
    assert (
        c.put(f"/api/v1/persons/{ids['person']}", json=person_body(alias=marker)).status_code == 201
    )
    talk = conversation_body(Ref(ids["person"]), ids["visit"], notes=marker)
    assert c.put(f"/api/v1/conversations/{ids['conversation']}", json=talk).status_code == 201
    assert c.post("/api/v1/persons/suggestions", json={"alias": marker}).status_code == 200
    # The pages: a clinic made and corrected, a CSV import, a visit and a conversation
    # corrected, a person searched for (the search is kept on the server).
    made = c.form_post("/clinics/new", clinic_form(name="Form Spa", notes=f"{marker} new"))
    assert made.status_code in (302, 303)
    edited = edit_clinic(c, ids["clinic"], f"{marker} edited")
    assert edited.status_code in (302, 303)
    preview = upload(
        c, csv_bytes(f"Import Spa,massage_clinic,Algade 10,9000,Aalborg,,,,,active,{marker} csv")
    )
    confirmed = c.form_post("/clinics/import/confirm", {"upload": sealed_upload(preview)})
    assert confirmed.status_code in (302, 303)
    assert edit(c, f"/visits/{ids['visit']}/edit", notes=f"{marker} visit").status_code in (
        302,
        303,
    )
    saved = edit(c, f"/conversations/{ids['conversation']}/edit", notes=f"{marker} talk")
    assert saved.status_code in (302, 303)
    search = c.form_post("/persons/", {"q": marker})
    assert search.status_code in (302, 303)
    ids["search"] = search.headers["Location"]
    # Leads (issue 14): the ad's address, number, alias and notes, by the API, the form and
    # the CSV import; and a clinic's number.
    lead = lead_body(
        url=f"https://annoncer.example/{marker}",
        phone=PHONE,
        alias=marker,
        notes=marker,
        flag_note=marker,
    )
    assert c.put(f"/api/v1/leads/{ids['lead']}", json=lead).status_code == 201
    made = c.form_post(
        "/leads/new",
        lead_form(url=f"https://annoncer.example/{marker}-form", alias=marker, notes=marker),
    )
    assert made.status_code in (302, 303)
    preview = lead_upload(
        c,
        lead_csv(f"Annoncesiden;https://annoncer.example/{marker}-csv;;{marker};;;;;;2026-03-02;"),
    )
    assert c.form_post("/leads/import/confirm", {"upload": sealed_upload(preview)}).status_code in (
        302,
        303,
    )
    numbered = clinic_body(name="Numbered Spa", phone=PHONE)
    assert c.put(f"/api/v1/clinics/{uuid.uuid4()}", json=numbered).status_code == 201
    assert c.get("/leads/groups").status_code == 200
    # Reads that are audited, an export among them.
    assert c.get("/api/v1/sync?cursor=0").status_code == 200
    assert c.get("/api/v1/reports/annual.csv?year=2025").status_code == 200
    return ids


def edit_clinic(c, clinic_id, notes):
    return c.form_post(f"/clinics/{clinic_id}/edit", clinic_form(name="Lotus Massage", notes=notes))


def shown_to_the_coordinator(c, ids: dict, marker: str) -> None:
    assert c.get(f"/api/v1/persons/{ids['person']}").json["alias"] == marker
    lead = c.get(f"/api/v1/leads/{ids['lead']}").json
    assert (lead["alias"], lead["notes"], lead["phone"]) == (marker, marker, "+4528855213")
    assert "28 85 52 13" in c.get("/leads/groups").get_data(as_text=True)
    assert c.get(f"/api/v1/clinics/{ids['clinic']}").json["notes"] == f"{marker} edited"
    visit = c.get(f"/api/v1/visits/{ids['visit']}").json
    assert (visit["notes"], visit["police_note"]) == (f"{marker} visit", marker)
    talk = c.get(f"/api/v1/conversations/{ids['conversation']}").json
    assert talk["notes"] == f"{marker} talk"
    for url in (
        f"/persons/{ids['person']}",
        f"/clinics/{ids['clinic']}",
        f"/visits/{ids['visit']}",
        f"/conversations/{ids['conversation']}",
        f"/leads/{ids['lead']}",
        ids["search"],
    ):
        answer = c.get(url)
        assert answer.status_code == 200 and marker in answer.get_data(as_text=True), url
    assert marker in c.get(f"/visits/{ids['visit']}/edit").get_data(as_text=True)


def database_files(url: str) -> list[Path]:
    path = Path(make_url(url).database)
    return [p for p in (path, Path(f"{path}-wal")) if p.exists()]


def pg_dump(url: str) -> bytes:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"))
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    return subprocess.run(  # nosec B603  # our own argv, no shell
        [found[-1] if found else "pg_dump", "--no-owner", libpq],
        check=True,
        capture_output=True,
    ).stdout


def test_a_marker_written_everywhere_is_in_no_file_dump_log_or_audit_event(own_app, caplog, capsys):
    capture_everything(caplog)
    marker = f"MARKER-{uuid.uuid4()}"
    c = ActorClient(own_app, own_app.config["TEST_COORDINATOR"])
    ids = write_everywhere(c, marker)

    shown_to_the_coordinator(c, ids, marker)

    url = own_app.config["SQLALCHEMY_DATABASE_URI"]
    needle = marker.encode("utf-8")
    with own_app.app_context():
        events = db.session.scalars(select(AuditEvent)).all()
        assert {"report.export", "sync.pull"} <= {e.action for e in events}
        assert not [e for e in events if marker in json.dumps(e.details)]
        if db.engine.dialect.name == "sqlite":
            files = database_files(url)
            assert any(f.name.endswith("-wal") for f in files)  # read while it is there
            assert any(b"Form Spa" in f.read_bytes() for f in files)  # clinic names are clear
            assert not [f for f in files if needle in f.read_bytes()]
            assert not [f for f in files if PHONE_DIGITS in f.read_bytes()]
            db.session.remove()
            db.engine.dispose()  # the last connection checkpoints the WAL into the file
            stored = Path(make_url(url).database).read_bytes()
            assert needle not in stored and PHONE_DIGITS not in stored
        else:
            dump = pg_dump(url)
            assert b"COPY public.persons" in dump and b"Form Spa" in dump
            assert needle not in dump and PHONE_DIGITS not in dump
    assert not [e for e in events if "28855213" in json.dumps(e.details)]
    logged = logged_lines(caplog.records)
    assert not [line for line in logged if marker in line or "28855213" in line]
    assert marker not in capsys.readouterr().err
    assert caplog.records  # the capture works
    logging.getLogger(__name__).debug("done")
