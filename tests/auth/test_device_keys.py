"""The recovery key of a phone (issue 13, SECURITY.md 22): handed out only to a fresh, full
login of the same user on the same phone, once per login; kept encrypted at rest."""

import base64
import uuid

import pytest
from sqlalchemy import select, text

from outreach.audit.models import AuditEvent
from outreach.auth import access, devices
from outreach.auth.models import DeviceKey
from outreach.db import db
from tests.conftest import ActorClient, login_body

URL = "/api/v1/auth/device-key"


def phone_login(app, user, device_id, **extra):
    return ActorClient(app, user, body={**login_body(user), "device_id": str(device_id), **extra})


def fetch(client, device_id):
    return client.post(URL, json={"device_id": str(device_id)})


def test_a_login_that_names_its_phone_gets_the_phones_key_once(app, nurse):
    device = uuid.uuid4()
    client = phone_login(app, nurse, device)
    first = fetch(client, device)
    assert first.status_code == 200
    assert first.json["device_id"] == str(device)
    assert len(base64.b64decode(first.json["recovery_key"])) == 32
    again = fetch(client, device)
    assert again.status_code == 403
    assert again.json["reason"] == "fresh_login_required"
    assert "recovery_key" not in again.json


def test_the_same_phone_gets_the_same_key_at_its_next_full_login(app, nurse):
    device = uuid.uuid4()
    first = fetch(phone_login(app, nurse, device), device).json["recovery_key"]
    second = fetch(phone_login(app, nurse, device), device).json["recovery_key"]
    other_phone = uuid.uuid4()
    third = fetch(phone_login(app, nurse, other_phone), other_phone).json["recovery_key"]
    assert first == second
    assert third != first


def test_another_phone_id_than_the_logins_gets_nothing(app, nurse):
    device = uuid.uuid4()
    client = phone_login(app, nurse, device)
    response = fetch(client, uuid.uuid4())
    assert response.status_code == 403
    assert response.json["reason"] == "fresh_login_required"
    # The grant is used up by the wrong try: the right id needs a new login too.
    assert fetch(client, device).status_code == 403


def test_a_login_that_named_no_phone_gets_no_key(app, nurse):
    client = ActorClient(app, nurse)
    assert fetch(client, uuid.uuid4()).status_code == 403


def test_the_key_is_not_handed_out_long_after_the_login(app, nurse, monkeypatch):
    device = uuid.uuid4()
    now = [1_000_000.0]
    monkeypatch.setattr(access, "clock", lambda: now[0])
    monkeypatch.setattr(devices, "clock", lambda: now[0])
    client = phone_login(app, nurse, device)
    now[0] += devices.FRESH_SECONDS + 1
    assert fetch(client, device).status_code == 403


def test_another_user_never_gets_the_key_of_a_phone(app, nurse, factory, org):
    device = uuid.uuid4()
    mine = fetch(phone_login(app, nurse, device), device).json["recovery_key"]
    colleague = factory.user(org, "nurse")
    theirs = fetch(phone_login(app, colleague, device), device).json["recovery_key"]
    assert theirs != mine


def test_a_coordinator_gets_the_key_only_after_the_second_factor(app, coordinator):
    device = uuid.uuid4()
    body = {"email": coordinator.email, "password": login_body(coordinator)["password"]}
    client = app.test_client()
    half = client.post("/api/v1/auth/login", json={**body, "device_id": str(device)})
    assert half.status_code == 401
    assert half.json["reason"] == "second_factor_required"
    assert client.post(URL, json={"device_id": str(device)}).status_code == 401
    whole = phone_login(app, coordinator, device)
    assert fetch(whole, device).status_code == 200


def test_a_bearer_token_gets_no_key(app, nurse):
    from outreach.auth.services import create_token

    _, token = create_token(nurse, "script")
    db.session.commit()
    response = app.test_client().post(
        URL, json={"device_id": str(uuid.uuid4())}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403


def test_the_key_is_stored_encrypted_and_each_hand_out_is_audited(app, nurse):
    device = uuid.uuid4()
    key = fetch(phone_login(app, nurse, device), device).json["recovery_key"]
    stored = db.session.execute(text("SELECT recovery_key FROM device_keys")).scalar_one()
    assert key not in stored
    row = db.session.scalar(select(DeviceKey).where(DeviceKey.device_id == device))
    assert row.recovery_key == key
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.device_key")
    ).all()
    assert len(events) == 1
    assert key not in str(events[0].details)


@pytest.mark.parametrize("body", [{}, {"device_id": "not-a-uuid"}, {"device_id": None}])
def test_a_request_without_a_valid_device_id_is_refused_naming_the_field(app, nurse, body):
    client = phone_login(app, nurse, uuid.uuid4())
    response = client.post(URL, json=body)
    assert response.status_code == 422
    assert "device_id" in response.json["errors"]
