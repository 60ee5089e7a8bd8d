"""The logs of a day's work carry no personal data: a marker written into every field a nurse
or coordinator fills in (aliases, notes, a search, a failed login, an invalid field, an error)
appears in no log record and no line written; each request is one line with its route
template, status, duration and request id."""

import json
import logging
import uuid

import pytest

from outreach import logs
from outreach.db import db
from outreach.persons import queries as person_queries
from tests.clinics.test_api import body as clinic_body
from tests.persons.test_api_conversations import body as conversation_body
from tests.persons.test_api_persons import body as person_body
from tests.visits.test_api import body as visit_body


@pytest.fixture
def marker():
    return f"MARKER-{uuid.uuid4()}"


def a_days_work(coordinator_client, client, org, marker, monkeypatch):
    org.settings = {"supplies": ["condoms", "leaflet_th"], "indicators": ["debt"]}
    db.session.flush()
    clinic_id, visit_id, person_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    c = coordinator_client
    assert c.put(f"/api/v1/clinics/{clinic_id}", json=clinic_body(notes=marker)).status_code == 201

    class Clinic:
        id = clinic_id

    visit = visit_body(Clinic, notes=marker)
    assert c.put(f"/api/v1/visits/{visit_id}", json=visit).status_code == 201
    person = person_body(alias=marker)
    assert c.put(f"/api/v1/persons/{person_id}", json=person).status_code == 201

    class Person:
        id = person_id

    talk = conversation_body(Person, visit_id, notes=marker)
    assert c.put(f"/api/v1/conversations/{uuid.uuid4()}", json=talk).status_code == 201
    assert c.get(f"/api/v1/persons/{person_id}").status_code == 200
    assert c.get(f"/api/v1/persons?alias={marker}").status_code in (200, 422)
    assert c.form_post("/persons/", {"q": marker}, follow_redirects=True).status_code == 200
    invalid = person_body(gender=marker)
    assert c.put(f"/api/v1/persons/{uuid.uuid4()}", json=invalid).status_code == 422
    failed = client.post("/api/v1/auth/login", json={"email": marker, "password": marker})
    assert failed.status_code in (401, 422)
    form = client.post("/login", data={"email": f"{marker}@example.org", "password": marker})
    assert form.status_code in (200, 400)

    def broken(*args, **kwargs):
        raise RuntimeError(f"the row ({marker}) was refused")

    monkeypatch.setattr(person_queries, "read_person", broken)
    assert c.get(f"/api/v1/persons/{person_id}").status_code == 500


def test_a_days_work_leaves_no_personal_data_in_the_logs(
    coordinator_client, client, org, marker, monkeypatch, caplog, capsys
):
    caplog.set_level(logging.DEBUG)  # the root logger: every logger without a level of its own
    for name in ("outreach", "flask.app", "werkzeug", "alembic"):
        caplog.set_level(logging.DEBUG, logger=name)

    a_days_work(coordinator_client, client, org, marker, monkeypatch)

    records = caplog.records
    formatted = [logs.JsonFormatter().format(r) for r in records]
    formatted += [logs.TextFormatter().format(r) for r in records]
    assert not [line for line in formatted if marker in line]
    assert marker not in capsys.readouterr().err
    requests = [json.loads(line) for line in formatted if '"logger": "outreach.request"' in line]
    routes = {(r["method"], r["route"], r["status"]) for r in requests}
    assert ("PUT", "/api/v1/persons/<uuid:person_id>", 201) in routes
    assert ("GET", "/api/v1/persons", 200) in routes or ("GET", "/api/v1/persons", 422) in routes
    assert ("GET", "/api/v1/persons/<uuid:person_id>", 500) in routes
    assert ("PUT", "/api/v1/persons/<uuid:person_id>", 422) in routes
    assert all("?" not in (r["route"] or "") for r in requests)
    error = next(r for r in records if r.levelno == logging.ERROR)
    assert error.exc_info[0] is RuntimeError  # the type and frames are kept, the message not
    assert "exc_frames" in json.loads(logs.JsonFormatter().format(error))


def test_a_request_line_has_the_request_id_route_status_duration_and_user(
    coordinator_client, coordinator, caplog
):
    caplog.set_level(logging.INFO, logger=logs.REQUEST_LOGGER)
    person_id = uuid.uuid4()

    response = coordinator_client.get(
        f"/api/v1/persons/{person_id}", headers={"X-Request-ID": "req-0123456789"}
    )

    assert response.status_code == 404
    assert response.headers["X-Request-ID"] == "req-0123456789"
    (line,) = [json.loads(logs.JsonFormatter().format(r)) for r in caplog.records]
    assert line["request_id"] == "req-0123456789"
    assert line["method"] == "GET"
    assert line["route"] == "/api/v1/persons/<uuid:person_id>"
    assert line["status"] == 404
    assert line["duration_ms"] >= 0
    assert line["user_id"] == str(coordinator.id)
    assert str(person_id) not in json.dumps(line)


@pytest.mark.parametrize("incoming", ["", "short", "has spaces in it", "x" * 65, "a/b/c/d/e/f"])
def test_an_odd_incoming_request_id_is_replaced_by_a_fresh_one(client, incoming):
    response = client.get("/healthz", headers={"X-Request-ID": incoming})

    assert response.headers["X-Request-ID"] != incoming
    assert len(response.headers["X-Request-ID"]) == 32
