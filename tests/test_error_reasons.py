"""The error envelope's machine-readable `reason` (DESIGN.md §4): every 401 says whether a
session ended or none was there, a refused CSRF token says so, and other errors carry none."""

import uuid

import pytest

from outreach.auth import access, devices
from outreach.auth.services import set_active
from outreach.db import db
from tests.conftest import ActorClient, login_body

ME = "/api/v1/auth/me"
CSRF_MESSAGE = "The CSRF token is missing or invalid; send it in the X-CSRFToken header."


def clinic_body() -> dict:
    return {"name": "Lotus Massage", "kind": "massage_clinic", "postcode": "8000"}


@pytest.fixture
def clock(monkeypatch):
    now = [1_700_000_000.0]
    monkeypatch.setattr(access, "clock", lambda: now[0])

    def advance(minutes: float) -> None:
        now[0] += minutes * 60

    return advance


def assert_reason(response, status: int, reason: str) -> None:
    assert response.status_code == status
    assert response.json["code"] == status
    assert response.json["reason"] == reason


# login_required


def test_a_request_without_a_session_is_told_to_log_in(client):
    assert_reason(client.get("/api/v1/clinics"), 401, "login_required")


def test_a_request_with_an_unknown_token_is_told_to_log_in(client):
    response = client.get(ME, headers={"Authorization": "Bearer otk_" + "A" * 43})

    assert_reason(response, 401, "login_required")


def test_a_wrong_password_at_the_json_login_is_told_to_log_in(client, nurse):
    response = client.post("/api/v1/auth/login", json={"email": nurse.email, "password": "wrong"})

    assert_reason(response, 401, "login_required")


def test_a_phone_that_logged_itself_out_is_told_to_log_in(nurse_client):
    assert nurse_client.post("/api/v1/auth/logout").status_code == 204

    assert_reason(nurse_client.get(ME), 401, "login_required")


def test_a_junk_token_beside_a_live_session_cookie_is_judged_as_a_token(nurse_client):
    response = nurse_client.get(ME, headers={"Authorization": "Bearer otk_not-a-real-token"})

    assert_reason(response, 401, "login_required")


# session_expired


def test_an_idle_session_is_told_it_expired(app, clock, login, nurse):
    phone = login(nurse)
    clock(app.config["SESSION_IDLE_MINUTES"] + 1)

    assert_reason(phone.get(ME), 401, "session_expired")


def test_a_session_past_the_absolute_limit_is_told_it_expired(app, clock, login, nurse):
    phone = login(nurse)
    step = app.config["SESSION_IDLE_MINUTES"] / 2
    for _ in range(int(app.config["SESSION_ABSOLUTE_HOURS"] * 60 / step)):
        clock(step)
        phone.get(ME)
    clock(step)

    assert_reason(phone.get(ME), 401, "session_expired")


def test_a_session_ended_by_a_logout_on_another_device_is_told_it_expired(login, nurse):
    laptop, phone = login(nurse), login(nurse)
    laptop.form_post("/logout", {})

    assert_reason(phone.get(ME), 401, "session_expired")


def test_a_session_of_a_deactivated_user_is_told_it_expired(login, admin, nurse):
    phone = login(nurse)
    set_active(nurse, False, actor=admin)

    assert_reason(phone.get(ME), 401, "session_expired")


def test_a_write_of_an_expired_session_is_told_it_expired_before_any_csrf_check(login, nurse, org):
    laptop, phone = login(nurse), login(nurse)
    laptop.form_post("/logout", {})

    response = phone.put(f"/api/v1/clinics/{uuid.uuid4()}", json=clinic_body())

    assert_reason(response, 401, "session_expired")


# device_revoked (tests/auth/test_devices.py has the rest)


def test_a_session_of_a_revoked_phone_is_told_the_phone_was_revoked(app, login, admin, nurse):
    device_id = uuid.uuid4()
    phone = ActorClient(app, nurse, body={**login_body(nurse), "device_id": str(device_id)})
    device = devices.find(nurse, device_id)
    devices.revoke(device, actor=admin)
    db.session.commit()

    assert_reason(phone.get(ME), 401, "device_revoked")
    assert login(nurse).get(ME).status_code == 200  # her other sessions go on


# csrf


def test_a_json_write_without_the_csrf_header_is_told_why(coordinator_client):
    response = coordinator_client.client.put(f"/api/v1/clinics/{uuid.uuid4()}", json=clinic_body())

    assert_reason(response, 400, "csrf")
    assert response.json["message"] == CSRF_MESSAGE


def test_a_json_write_with_a_forged_csrf_header_is_told_why(coordinator_client):
    response = coordinator_client.put(
        f"/api/v1/clinics/{uuid.uuid4()}",
        json=clinic_body(),
        headers={"X-CSRFToken": "forged-token"},
    )

    assert_reason(response, 400, "csrf")


# no reason


def test_errors_that_need_no_other_action_carry_no_reason(nurse_client, coordinator_client):
    answers = {
        404: coordinator_client.get(f"/api/v1/clinics/{uuid.uuid4()}"),
        422: coordinator_client.put(f"/api/v1/clinics/{uuid.uuid4()}", json={"kind": "castle"}),
        403: nurse_client.get("/api/v1/reports/annual?year=2024"),
    }

    assert {code: answer.status_code for code, answer in answers.items()} == {
        code: code for code in answers
    }
    assert [answer.json for answer in answers.values() if "reason" in answer.json] == []


def test_the_openapi_error_schema_documents_the_reasons(client):
    schema = client.get("/api/v1/openapi.json").json["components"]["schemas"]["Error"]

    assert schema["properties"]["reason"]["enum"] == [
        "csrf",
        "session_expired",
        "login_required",
        "device_revoked",
        "account_deactivated",
        "second_factor_required",
        "second_factor_wrong",
        "second_factor_enrolment_required",
        "fresh_login_required",
    ]
    assert set(schema["properties"]) == {"code", "message", "errors", "reason"}


def test_a_database_error_inside_a_request_answers_the_json_500_envelope(
    nurse_client, nurse, monkeypatch
):
    """The failed flush leaves the session's transaction unusable; the handler rolls it back
    before anything (the envelope, the hooks that ask who is logged in) reads again."""
    from outreach.db import db
    from outreach.persons.models import Person
    from outreach.sync import queries

    def failing_pull(user, cursor, limit):
        db.session.add(Person(id=uuid.uuid4(), organisation_id=user.organisation_id))
        db.session.flush()  # alias and canonical id are required: the insert fails

    monkeypatch.setattr(queries, "pull", failing_pull)
    response = nurse_client.get("/api/v1/sync")
    assert response.status_code == 500
    assert response.json == {"code": 500, "message": response.json["message"]}
    assert response.json["message"]
    assert nurse_client.get("/api/v1/auth/me").status_code == 200
