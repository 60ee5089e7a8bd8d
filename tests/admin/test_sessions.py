"""Each session of a user: listed for admins with its device, ended one at a time, audited."""

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.auth import services
from outreach.auth.models import UserSession
from outreach.db import db
from tests.conftest import ActorClient, login_body

PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0"


def page(response) -> str:
    return response.get_data(as_text=True)


class DeviceClient(ActorClient):
    """A logged-in client whose every request says which browser it is."""

    def __init__(self, app, user, user_agent):
        self.user = user
        self.client = app.test_client()
        self.client.environ_base["HTTP_USER_AGENT"] = user_agent
        response = self.client.post("/api/v1/auth/login", json=login_body(user))
        assert response.status_code == 200
        self.csrf = response.json["csrf_token"]


@pytest.fixture
def colleague(factory, org):
    return factory.user(org, "nurse", email="colleague@example.org")


@pytest.fixture
def phone(app, colleague):
    return DeviceClient(app, colleague, PHONE)


@pytest.fixture
def desktop(app, colleague):
    return DeviceClient(app, colleague, DESKTOP)


def rows(user) -> list[UserSession]:
    db.session.expire_all()
    return list(db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)))


def session_forms(html: str) -> list[str]:
    return re.findall(r'action="(/admin/users/[^"]+/sessions/[^"]+/end)"', html)


def test_the_user_page_lists_each_session_with_its_device(admin_client, colleague, phone, desktop):
    html = page(admin_client.get(f"/admin/users/{colleague.id}"))
    assert "Chrome · Android" in html
    assert "Firefox · Windows" in html
    assert len(session_forms(html)) == 2
    assert "Mozilla/5.0" not in html  # a summary, not the header
    assert "This session" not in html  # none of them is the admin's own


def test_the_admins_own_page_marks_the_session_she_is_using(app, admin):
    me = DeviceClient(app, admin, DESKTOP)
    DeviceClient(app, admin, PHONE)
    html = page(me.get(f"/admin/users/{admin.id}"))
    assert len(session_forms(html)) == 2
    current = [row for row in html.split("<tr>") if "This session" in row]
    assert len(current) == 1 and "Firefox · Windows" in current[0]


def test_ending_one_session_logs_out_that_device_only(admin_client, colleague, phone, desktop):
    lost = next(r for r in rows(colleague) if r.device == "Chrome · Android")
    response = admin_client.form_post(f"/admin/users/{colleague.id}/sessions/{lost.id}/end", {})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/users/{colleague.id}"
    assert phone.get("/api/v1/auth/me").status_code == 401
    assert desktop.get("/api/v1/auth/me").status_code == 200
    html = page(admin_client.get(f"/admin/users/{colleague.id}"))
    assert "Chrome · Android" not in html and "Firefox · Windows" in html


def test_ending_a_session_writes_one_audit_event_without_personal_data(
    admin_client, admin, colleague, phone
):
    (row,) = rows(colleague)
    admin_client.form_post(f"/admin/users/{colleague.id}/sessions/{row.id}/end", {})
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.session_end")
    ).all()
    assert len(events) == 1
    event = events[0]
    assert (event.user_id, event.object_type, event.object_id) == (
        admin.id,
        "user_sessions",
        str(row.id),
    )
    assert event.details == {"owner": str(colleague.id)}


def test_ending_a_session_twice_changes_nothing_the_second_time(admin_client, colleague, phone):
    (row,) = rows(colleague)
    url = f"/admin/users/{colleague.id}/sessions/{row.id}/end"
    admin_client.form_post(url, {})
    ended_at = rows(colleague)[0].ended_at
    assert admin_client.form_post(url, {}).status_code == 303
    assert rows(colleague)[0].ended_at == ended_at
    count = db.session.scalar(
        select(db.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "auth.session_end")
    )
    assert count == 1


def test_another_users_session_answers_404_under_this_user(
    admin_client, factory, org, colleague, phone
):
    (row,) = rows(colleague)
    someone = factory.user(org, "nurse")
    response = admin_client.form_post(f"/admin/users/{someone.id}/sessions/{row.id}/end", {})
    assert response.status_code == 404
    assert phone.get("/api/v1/auth/me").status_code == 200
    unknown = admin_client.form_post(f"/admin/users/{colleague.id}/sessions/{uuid.uuid4()}/end", {})
    assert unknown.status_code == 404


def test_an_admin_ending_her_current_session_is_sent_to_the_login_page(app, admin):
    me = DeviceClient(app, admin, DESKTOP)
    (row,) = rows(admin)
    response = me.form_post(f"/admin/users/{admin.id}/sessions/{row.id}/end", {})
    assert response.headers["Location"] == "/login"
    assert me.get("/api/v1/auth/me").status_code == 401


def test_only_admins_end_a_session(login, factory, org, colleague, phone):
    (row,) = rows(colleague)
    coordinator = login(factory.user(org, "coordinator"))
    url = f"/admin/users/{colleague.id}/sessions/{row.id}/end"
    assert coordinator.form_post(url, {}).status_code == 403
    assert phone.get("/api/v1/auth/me").status_code == 200


def test_logout_and_end_all_sessions_take_every_session_off_the_list(
    admin_client, colleague, phone, desktop
):
    admin_client.form_post(f"/admin/users/{colleague.id}/end-sessions", {})
    assert all(r.ended_at is not None for r in rows(colleague))
    html = page(admin_client.get(f"/admin/users/{colleague.id}"))
    assert session_forms(html) == []
    assert "No active sessions." in html


def test_a_session_past_the_idle_timeout_is_not_listed(app, admin_client, colleague, phone):
    (row,) = rows(colleague)
    row.last_seen_at -= timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 5)
    db.session.flush()
    assert session_forms(page(admin_client.get(f"/admin/users/{colleague.id}"))) == []


def test_last_seen_is_saved_on_a_later_request_also_a_read(colleague, phone):
    (row,) = rows(colleague)
    row.last_seen_at -= timedelta(minutes=10)
    db.session.commit()
    earlier = row.last_seen_at
    assert phone.get("/api/v1/auth/me").status_code == 200
    assert rows(colleague)[0].last_seen_at > earlier + timedelta(minutes=9)


def test_a_login_removes_the_users_sessions_past_the_absolute_timeout(app, colleague, phone):
    (old,) = rows(colleague)
    old.created_at -= timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"] + 1)
    db.session.flush()
    DeviceClient(app, colleague, DESKTOP)
    assert [r.device for r in rows(colleague)] == ["Firefox · Windows"]


@pytest.mark.parametrize(
    ("user_agent", "summary"),
    [
        (PHONE, "Chrome · Android"),
        (DESKTOP, "Firefox · Windows"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari · iOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
            "Edge · Windows",
        ),
        ("", ""),
        ("curl/8.5.0", ""),
    ],
)
def test_the_device_is_summarised_as_browser_and_system(user_agent, summary):
    assert services.device_summary(user_agent) == summary
