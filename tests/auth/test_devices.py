"""Devices and revocation (issue 13 item 3, SECURITY.md 23): the field app's login makes each
phone a device of its user; the user and an admin of her organisation see it and can revoke
it; a revoked phone's sessions answer 401 `device_revoked` (not `session_expired`) while the
user's other devices go on; an admin can undo the revocation for 30 days, which gives the
phone its recovery key back, and after that the key is dropped."""

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from outreach import scheduler
from outreach.audit.models import AuditEvent
from outreach.auth import access, devices, services
from outreach.auth.models import DeviceKey
from outreach.db import db, utcnow
from tests.conftest import ActorClient, login_body

ME = "/api/v1/auth/me"
KEY = "/api/v1/auth/device-key"
ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)


class Phone(ActorClient):
    """The field app on one phone: its JSON login names the phone's own id."""

    def __init__(self, app, user):
        self.user = user
        self.device_id = uuid.uuid4()
        self.client = app.test_client()
        self.client.environ_base["HTTP_USER_AGENT"] = ANDROID_CHROME
        self.login_again()

    def key(self):
        return self.post(KEY, json={"device_id": str(self.device_id)})

    def login_again(self):
        answer = self.client.post(
            "/api/v1/auth/login", json={**login_body(self.user), "device_id": str(self.device_id)}
        )
        assert answer.status_code == 200, answer.get_data(as_text=True)
        self.csrf = answer.json["csrf_token"]
        return answer


@pytest.fixture
def phone(app):
    return lambda user: Phone(app, user)


def device_of(phone) -> DeviceKey:
    db.session.expire_all()
    return db.session.scalar(select(DeviceKey).where(DeviceKey.device_id == phone.device_id))


def revoke_as(admin_client, phone):
    device = device_of(phone)
    return admin_client.form_post(f"/admin/users/{device.user_id}/devices/{device.id}/revoke", {})


# The device list


def test_the_field_login_makes_the_phone_a_device_named_from_its_user_agent(phone, nurse):
    made = phone(nurse)

    device = device_of(made)
    assert device.user_id == nurse.id
    assert device.name == "Chrome · Android"
    assert device.created_at is not None and device.last_seen_at is not None
    assert device.revoked_at is None


def test_a_login_without_a_phone_id_makes_no_device(login, nurse):
    login(nurse)

    assert db.session.scalar(select(DeviceKey).where(DeviceKey.user_id == nurse.id)) is None


def test_the_user_sees_her_phones_on_her_account_page(phone, nurse):
    made = phone(nurse)

    html = made.get("/account").get_data(as_text=True)

    assert "Chrome · Android" in html
    assert f"/account/devices/{device_of(made).id}/revoke" in html


def test_an_admin_sees_the_phones_of_a_user_on_her_page(phone, login, admin, nurse):
    made = phone(nurse)

    html = login(admin).get(f"/admin/users/{nurse.id}").get_data(as_text=True)

    assert "Chrome · Android" in html
    assert f"/devices/{device_of(made).id}/revoke" in html


def test_last_seen_is_saved_at_most_once_in_a_few_minutes(phone, nurse, monkeypatch):
    made = phone(nurse)
    seen = device_of(made).last_seen_at
    made.get(ME)
    assert device_of(made).last_seen_at == seen  # a read stays a read

    later = utcnow() + services.DEVICE_SEEN_RESOLUTION + timedelta(seconds=1)
    monkeypatch.setattr("outreach.auth.services.utcnow", lambda: later)
    made.get(ME)
    assert device_of(made).last_seen_at == later


# Revocation


def test_a_revoked_phone_is_told_device_revoked_not_session_expired(phone, login, admin, nurse):
    made = phone(nurse)
    assert made.get(ME).status_code == 200

    assert revoke_as(login(admin), made).status_code == 303

    for answer in (
        made.get(ME),
        made.get("/api/v1/sync?cursor=0"),
        made.put(f"/api/v1/clinics/{uuid.uuid4()}", json={"name": "Lotus"}),
    ):
        assert answer.status_code == 401
        assert answer.json["reason"] == "device_revoked"


def test_a_revoked_phone_whose_session_also_timed_out_is_told_it_was_revoked(
    app, phone, login, admin, nurse, monkeypatch
):
    made = phone(nurse)
    revoke_as(login(admin), made)
    now = access.clock()
    monkeypatch.setattr(access, "clock", lambda: now + app.config["SESSION_IDLE_MINUTES"] * 61)

    answer = made.get(ME)

    assert answer.status_code == 401
    assert answer.json["reason"] == "device_revoked"


def test_the_sessions_of_a_revoked_phone_leave_the_admins_list_of_sessions(
    phone, login, admin, nurse
):
    lost = phone(nurse)
    admin_client = login(admin)
    session_end = f"/admin/users/{nurse.id}/sessions/"
    assert admin_client.get(f"/admin/users/{nurse.id}").get_data(as_text=True).count(session_end)

    revoke_as(admin_client, lost)

    page = admin_client.get(f"/admin/users/{nurse.id}").get_data(as_text=True)
    assert session_end not in page


def test_the_users_other_phones_and_browsers_keep_working(phone, login, admin, nurse):
    lost, other = phone(nurse), phone(nurse)
    laptop = login(nurse)

    revoke_as(login(admin), lost)

    assert lost.get(ME).status_code == 401
    assert other.get(ME).status_code == 200
    assert laptop.get(ME).status_code == 200
    assert device_of(other).revoked_at is None


def test_an_expired_session_of_a_phone_that_is_not_revoked_still_says_session_expired(
    app, phone, nurse, monkeypatch
):
    made = phone(nurse)
    now = access.clock()
    monkeypatch.setattr(access, "clock", lambda: now + app.config["SESSION_IDLE_MINUTES"] * 61)

    assert made.get(ME).json["reason"] == "session_expired"


def test_the_user_revokes_her_own_phone_from_her_account_page(phone, login, nurse):
    lost = phone(nurse)
    laptop = login(nurse)

    answer = laptop.form_post(f"/account/devices/{device_of(lost).id}/revoke", {})

    assert answer.status_code == 303
    assert lost.get(ME).json["reason"] == "device_revoked"
    assert laptop.get(ME).status_code == 200


def test_a_revoked_phone_gets_no_recovery_key_and_its_key_is_kept_sealed(
    phone, login, admin, nurse
):
    made = phone(nurse)
    revoke_as(login(admin), made)

    assert made.key().status_code == 401
    stored = db.session.execute(
        text("SELECT recovery_key FROM device_keys WHERE id = :id"),
        {"id": device_of(made).id.hex},
    ).scalar_one()
    assert stored is not None and device_of(made).recovery_key not in stored


def test_revoking_is_a_csrf_protected_post(phone, login, admin, nurse):
    made = phone(nurse)
    device = device_of(made)
    url = f"/admin/users/{nurse.id}/devices/{device.id}/revoke"
    admin_client = login(admin)

    assert admin_client.client.post(url, data={}).status_code == 400
    assert admin_client.get(url).status_code == 405
    assert device_of(made).revoked_at is None


def test_revoking_writes_an_audit_event_with_nothing_personal(phone, login, admin, nurse):
    made = phone(nurse)
    revoke_as(login(admin), made)

    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "device.revoke"))
    assert event.user_id == admin.id
    assert event.object_type == "device_keys"
    assert event.object_id == str(device_of(made).id)
    details = json.dumps(event.details)
    assert nurse.email not in details and "Android" not in details


def test_a_new_login_on_the_revoked_phone_registers_it_again_with_a_new_key(
    phone, login, admin, nurse
):
    made = phone(nurse)
    old_key = made.key().json["recovery_key"]
    revoke_as(login(admin), made)

    made.login_again()

    assert made.get(ME).status_code == 200
    new_key = made.key().json["recovery_key"]
    assert new_key != old_key
    assert device_of(made).revoked_at is None
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.at)).all()
    assert "device.reregister" in actions


# Tenant isolation


def test_an_admin_of_another_organisation_gets_404_and_changes_nothing(
    phone, factory, other_org, nurse, app
):
    made = phone(nurse)
    device = device_of(made)
    foreign_admin = ActorClient(app, factory.user(other_org, "admin"))

    for action in ("revoke", "restore"):
        answer = foreign_admin.form_post(
            f"/admin/users/{nurse.id}/devices/{device.id}/{action}", {}
        )
        assert answer.status_code == 404

    assert device_of(made).revoked_at is None
    assert made.get(ME).status_code == 200


def test_a_device_id_under_another_user_of_the_same_organisation_is_404(
    phone, login, admin, nurse, factory, org
):
    made = phone(nurse)
    colleague = factory.user(org, "nurse")

    answer = login(admin).form_post(
        f"/admin/users/{colleague.id}/devices/{device_of(made).id}/revoke", {}
    )

    assert answer.status_code == 404
    assert device_of(made).revoked_at is None


def test_a_user_cannot_revoke_a_colleagues_phone_from_her_account_page(
    phone, login, nurse, factory, org
):
    made = phone(nurse)
    colleague = login(factory.user(org, "nurse"))

    answer = colleague.form_post(f"/account/devices/{device_of(made).id}/revoke", {})

    assert answer.status_code == 404
    assert made.get(ME).status_code == 200


# Undo within 30 days


def test_an_undo_within_30_days_restores_the_phone_and_its_recovery_key(phone, login, admin, nurse):
    made = phone(nurse)
    key = made.key().json["recovery_key"]
    admin_client = login(admin)
    revoke_as(admin_client, made)
    device = device_of(made)
    device.revoked_at = utcnow() - timedelta(days=29)  # a month ago, nearly
    db.session.commit()

    answer = admin_client.form_post(f"/admin/users/{nurse.id}/devices/{device.id}/restore", {})

    assert answer.status_code == 303
    assert device_of(made).revoked_at is None
    assert made.get(ME).status_code == 200  # the session made before goes on
    made.login_again()
    assert made.key().json["recovery_key"] == key  # the same key as before
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "device.restore"))
    assert event.user_id == admin.id and event.object_id == str(device.id)


def test_after_30_days_the_key_is_dropped_and_the_undo_is_refused(phone, login, admin, nurse):
    made = phone(nurse)
    made.key()
    admin_client = login(admin)
    revoke_as(admin_client, made)
    device = device_of(made)
    device.revoked_at = utcnow() - timedelta(days=devices.REVOCATION_UNDO_DAYS, minutes=1)
    db.session.commit()

    assert scheduler.JOBS["revoked-devices"]() == 1
    assert scheduler.JOBS["revoked-devices"]() == 0  # a second run finds nothing

    assert device_of(made).recovery_key is None
    stored = db.session.execute(
        text("SELECT recovery_key FROM device_keys WHERE id = :id"), {"id": device.id.hex}
    ).scalar_one()
    assert stored is None
    answer = admin_client.form_post(f"/admin/users/{nurse.id}/devices/{device.id}/restore", {})
    assert answer.status_code == 303
    assert device_of(made).revoked_at is not None
    assert made.get(ME).json["reason"] == "device_revoked"
    page = admin_client.get(f"/admin/users/{nurse.id}").get_data(as_text=True)
    assert f"/devices/{device.id}/restore" not in page


def test_the_job_keeps_the_keys_of_recent_revocations_and_of_phones_in_use(
    phone, login, admin, nurse
):
    recent, in_use = phone(nurse), phone(nurse)
    revoke_as(login(admin), recent)
    device = device_of(recent)
    device.revoked_at = utcnow() - timedelta(days=devices.REVOCATION_UNDO_DAYS - 1)
    db.session.commit()

    assert devices.drop_revoked_keys() == 0
    assert device_of(recent).recovery_key is not None
    assert device_of(in_use).recovery_key is not None


def test_the_scheduler_runs_the_key_drop_daily(app):
    job = scheduler.build_scheduler(app).get_job("revoked-devices")
    assert job is not None and str(job.trigger).startswith("cron")
