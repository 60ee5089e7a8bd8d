"""The user administration pages: list, add, role, deactivate, end sessions, revoking API
tokens (users make their own: tests/auth/test_account_tokens.py)."""

import re
import uuid

import pytest
from sqlalchemy import func, select

from outreach.audit.models import AuditEvent
from outreach.auth.models import ApiToken, User
from outreach.db import db
from tests.auth.test_account_tokens import make_own_token

NEW_PASSWORD = "a long and unusual passphrase 42"


def page(response) -> str:
    return response.get_data(as_text=True)


def add_user_form(**fields):
    data = {
        "email": "new.nurse@example.org",
        "name": "New Nurse",
        "role": "nurse",
        "password": NEW_PASSWORD,
    }
    data.update(fields)
    return data


def reload(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def events(action: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    )


@pytest.fixture
def colleague(factory, org):
    return factory.user(org, "nurse", email="colleague@example.org")


def create_token_on_page(admin_client, user, name="report script") -> str:
    """The user makes a token on her account page (an admin cannot make one for her)."""
    return make_own_token(admin_client.client.application, user, name)


# --- the list ---------------------------------------------------------------------------------


def test_user_list_shows_email_name_role_status_and_last_login(admin_client, factory, org):
    factory.user(org, "coordinator", email="coord@example.org")
    inactive = factory.user(org, "nurse", email="gone@example.org")
    inactive.active = False
    db.session.flush()
    html = page(admin_client.get("/admin/users"))
    assert "coord@example.org" in html
    assert "Coordinator" in html
    assert "gone@example.org" in html
    assert 'class="inactive"' in html
    # The admin logged in through the fixture, so one last login is shown, the others "never".
    assert admin_client.user.email in html


def test_user_list_leaves_out_users_of_other_organisations(admin_client, factory, other_org):
    factory.user(other_org, "nurse", email="someone.else@example.org")
    html = page(admin_client.get("/admin/users"))
    assert "someone.else@example.org" not in html


def test_user_list_links_to_each_users_page(admin_client, colleague):
    html = page(admin_client.get("/admin/users"))
    assert f'href="/admin/users/{colleague.id}"' in html


def test_admin_pages_load_their_stylesheet_and_carry_no_inline_style_or_script(
    admin_client, colleague
):
    for url in ("/admin/users", "/admin/users/new", f"/admin/users/{colleague.id}"):
        html = page(admin_client.get(url))
        assert "/static/css/admin.css" in html, url
        assert "style=" not in html, url
        assert re.search(r"<script(?![^>]*\bsrc=)", html) is None, url


# --- adding a user ----------------------------------------------------------------------------


def test_admin_adds_a_user_who_can_then_log_in(admin_client, org, client):
    response = admin_client.form_post("/admin/users/new", add_user_form())
    assert response.status_code == 303
    user = db.session.scalar(select(User).where(User.email == "new.nurse@example.org"))
    assert user.organisation_id == org.id
    assert (user.name, user.role, user.active) == ("New Nurse", "nurse", True)
    assert response.headers["Location"] == f"/admin/users/{user.id}"
    login = client.post(
        "/api/v1/auth/login", json={"email": "new.nurse@example.org", "password": NEW_PASSWORD}
    )
    assert login.status_code == 200


def test_added_user_belongs_to_the_admins_organisation_whatever_the_form_says(
    admin_client, org, other_org
):
    admin_client.form_post(
        "/admin/users/new", add_user_form(organisation_id=str(other_org.id), active="n")
    )
    user = db.session.scalar(select(User).where(User.email == "new.nurse@example.org"))
    assert user.organisation_id == org.id
    assert user.active is True


def test_adding_a_user_normalises_the_email(admin_client):
    admin_client.form_post("/admin/users/new", add_user_form(email="  New.Nurse@Example.ORG "))
    assert db.session.scalar(select(User).where(User.email == "new.nurse@example.org"))


def test_adding_a_user_with_a_short_password_keeps_the_other_fields(admin_client):
    response = admin_client.form_post("/admin/users/new", add_user_form(password="too short"))
    assert response.status_code == 422
    html = page(response)
    assert "Use at least 12 characters." in html
    assert 'value="new.nurse@example.org"' in html
    assert 'value="New Nurse"' in html
    assert re.search(r'<option selected value="nurse">|<option value="nurse" selected>', html)
    assert db.session.scalar(select(User).where(User.email == "new.nurse@example.org")) is None


def test_adding_a_user_never_echoes_the_password_back(admin_client):
    response = admin_client.form_post(
        "/admin/users/new", add_user_form(email="not-an-email", password="secret-echo-marker-1")
    )
    assert response.status_code == 422
    assert "secret-echo-marker-1" not in page(response)


def test_adding_a_user_with_a_common_password_is_refused(admin_client):
    response = admin_client.form_post("/admin/users/new", add_user_form(password="password1234"))
    assert response.status_code == 422
    assert db.session.scalar(select(User).where(User.email == "new.nurse@example.org")) is None


def test_adding_a_user_with_a_taken_email_shows_the_error_at_the_email(admin_client, colleague):
    response = admin_client.form_post("/admin/users/new", add_user_form(email=colleague.email))
    assert response.status_code == 422
    html = page(response)
    email_field = html.split('name="email"', 1)[1].split('name="name"', 1)[0]
    assert "already exists" in email_field


@pytest.mark.parametrize("email", ["", "no-at-sign", "two@@example", "a@b"])
def test_adding_a_user_with_an_invalid_email_is_refused(admin_client, email):
    response = admin_client.form_post("/admin/users/new", add_user_form(email=email))
    assert response.status_code == 422
    assert 'class="error"' in page(response)


def test_adding_a_user_with_an_unknown_role_is_refused(admin_client):
    response = admin_client.form_post("/admin/users/new", add_user_form(role="superuser"))
    assert response.status_code == 422
    assert db.session.scalar(select(User).where(User.email == "new.nurse@example.org")) is None


def test_adding_a_user_with_an_overlong_name_is_refused(admin_client):
    response = admin_client.form_post("/admin/users/new", add_user_form(name="x" * 121))
    assert response.status_code == 422


# --- one user's page --------------------------------------------------------------------------


def test_users_page_shows_the_account_and_its_actions(admin_client, colleague):
    html = page(admin_client.get(f"/admin/users/{colleague.id}"))
    assert colleague.email in html
    for action in ("role", "deactivate", "end-sessions"):
        assert f'action="/admin/users/{colleague.id}/{action}"' in html
    assert f'action="/admin/users/{colleague.id}/tokens"' not in html


def test_admin_changes_a_users_role(admin_client, colleague):
    response = admin_client.form_post(f"/admin/users/{colleague.id}/role", {"role": "coordinator"})
    assert response.status_code == 303
    assert reload(colleague).role == "coordinator"


def test_a_role_change_ends_the_users_sessions(admin_client, login, colleague):
    phone = login(colleague)
    admin_client.form_post(f"/admin/users/{colleague.id}/role", {"role": "coordinator"})
    assert phone.get("/api/v1/auth/me").status_code == 401


def test_setting_the_same_role_again_changes_nothing(admin_client, login, colleague):
    phone = login(colleague)
    admin_client.form_post(f"/admin/users/{colleague.id}/role", {"role": "nurse"})
    assert phone.get("/api/v1/auth/me").status_code == 200
    assert events("user.role_change") == 0


def test_a_role_outside_the_list_is_refused(admin_client, colleague):
    response = admin_client.form_post(f"/admin/users/{colleague.id}/role", {"role": "root"})
    assert response.status_code == 422
    assert reload(colleague).role == "nurse"


def test_admin_cannot_take_the_admin_role_from_herself(admin_client):
    me = admin_client.user
    response = admin_client.form_post(f"/admin/users/{me.id}/role", {"role": "nurse"})
    assert response.status_code == 422
    assert "You cannot take the admin role from yourself." in page(response)
    assert reload(me).role == "admin"


def test_admin_deactivates_a_user(admin_client, colleague):
    response = admin_client.form_post(f"/admin/users/{colleague.id}/deactivate", {})
    assert response.status_code == 303
    assert reload(colleague).active is False


def test_admin_reactivates_a_user(admin_client, colleague):
    admin_client.form_post(f"/admin/users/{colleague.id}/deactivate", {})
    admin_client.form_post(f"/admin/users/{colleague.id}/reactivate", {})
    assert reload(colleague).active is True


def test_admin_cannot_deactivate_herself_and_is_told_why(admin_client):
    me = admin_client.user
    response = admin_client.form_post(f"/admin/users/{me.id}/deactivate", {}, follow_redirects=True)
    assert "You cannot deactivate yourself." in page(response)
    assert reload(me).active is True


def test_the_users_page_of_a_deactivated_user_offers_reactivation(admin_client, colleague):
    admin_client.form_post(f"/admin/users/{colleague.id}/deactivate", {})
    html = page(admin_client.get(f"/admin/users/{colleague.id}"))
    assert f'action="/admin/users/{colleague.id}/reactivate"' in html
    assert f'action="/admin/users/{colleague.id}/deactivate"' not in html


def test_end_all_sessions_confirms_and_returns_to_the_users_page(admin_client, colleague):
    response = admin_client.form_post(f"/admin/users/{colleague.id}/end-sessions", {})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/users/{colleague.id}"


def test_admin_ending_her_own_sessions_is_sent_to_the_login_page(admin_client):
    me = admin_client.user
    response = admin_client.form_post(f"/admin/users/{me.id}/end-sessions", {})
    assert response.headers["Location"] == "/login"
    assert admin_client.get("/api/v1/auth/me").status_code == 401


def test_an_unknown_user_id_answers_404(admin_client):
    assert admin_client.get(f"/admin/users/{uuid.uuid4()}").status_code == 404


# --- API tokens -------------------------------------------------------------------------------


def test_an_admin_cannot_make_a_token_for_another_user(admin_client, colleague):
    response = admin_client.form_post(f"/admin/users/{colleague.id}/tokens", {"name": "x"})
    assert response.status_code in (404, 405)
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_an_admin_sees_a_users_tokens_with_last_use_and_expiry(admin_client, client, colleague):
    plain = create_token_on_page(admin_client, colleague, name="nightly export")
    client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {plain}"})
    html = page(admin_client.get(f"/admin/users/{colleague.id}"))
    tokens = html.split('class="list tokens"', 1)[1]
    assert "nightly export" in tokens
    assert plain[:8] in tokens
    assert plain[8:] not in tokens
    assert "Never" not in tokens.split("</tbody>", 1)[0]  # it has been used
    assert "No expiry" in tokens
    assert "/tokens/" in tokens and "/revoke" in tokens


def test_admin_revokes_a_token(admin_client, client, colleague):
    plain = create_token_on_page(admin_client, colleague)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == colleague.id))
    response = admin_client.form_post(f"/admin/users/{colleague.id}/tokens/{token.id}/revoke", {})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is not None
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {plain}"})
    assert me.status_code == 401


def test_a_revoked_token_is_listed_as_revoked_without_a_revoke_button(admin_client, colleague):
    create_token_on_page(admin_client, colleague)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == colleague.id))
    admin_client.form_post(f"/admin/users/{colleague.id}/tokens/{token.id}/revoke", {})
    html = page(admin_client.get(f"/admin/users/{colleague.id}"))
    assert f"/tokens/{token.id}/revoke" not in html
    assert "Revoked" in html


def test_a_token_cannot_be_revoked_through_another_users_page(admin_client, factory, org):
    owner = factory.user(org, "nurse")
    bystander = factory.user(org, "nurse")
    create_token_on_page(admin_client, owner)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == owner.id))
    response = admin_client.form_post(f"/admin/users/{bystander.id}/tokens/{token.id}/revoke", {})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is None
