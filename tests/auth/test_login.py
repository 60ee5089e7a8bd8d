"""Logging in and out, the language switch, the account page, and the account services."""

import re
import uuid

import pytest
from argon2 import PasswordHasher
from flask_babel.speaklater import LazyString
from sqlalchemy import select

from outreach.auth import queries, services
from outreach.auth.models import User
from outreach.auth.passwords import verify_password
from outreach.db import db
from tests.conftest import PASSWORD, csrf_token_from, second_step

NEW_PASSWORD = "a long and unusual passphrase 42"


def page(response) -> str:
    return response.get_data(as_text=True)


def reload(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def login_form(client, email, password, next_url=None):
    url = "/login" + (f"?next={next_url}" if next_url else "")
    token = csrf_token_from(page(client.get(url)))
    response = client.post(url, data={"csrf_token": token, "email": email, "password": password})
    return second_step(client, response, email)


# --- the login form ---------------------------------------------------------------------------


def test_the_login_form_logs_in_and_goes_to_the_start_page(client, nurse):
    response = login_form(client, nurse.email, PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/api/v1/auth/me").json["email"] == nurse.email


def test_the_login_form_accepts_the_email_in_any_case_and_with_spaces(client, nurse):
    response = login_form(client, f"  {nurse.email.upper()} ", PASSWORD)
    assert response.status_code == 302


def test_the_login_form_returns_to_the_page_asked_for(client, nurse):
    response = login_form(client, nurse.email, PASSWORD, next_url="/clinics/")
    assert response.headers["Location"] == "/clinics/"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "/%09/evil.example",
        "javascript:alert(1)",
        "evil.example",
    ],
)
def test_the_login_form_never_redirects_off_site(client, nurse, target):
    from urllib.parse import quote

    response = login_form(client, nurse.email, PASSWORD, next_url=quote(target, safe="%"))
    assert response.headers["Location"] == "/"


def test_an_admin_lands_on_the_user_list_after_login(client, admin):
    response = login_form(client, admin.email, PASSWORD)
    assert response.headers["Location"] == "/admin/users"


def test_an_admin_asking_for_a_page_goes_there_after_login(client, admin):
    response = login_form(client, admin.email, PASSWORD, next_url="/reports/")
    assert response.headers["Location"] == "/reports/"


def test_an_admin_with_an_off_site_next_lands_on_the_user_list(client, admin):
    response = login_form(client, admin.email, PASSWORD, next_url="//evil.example/")
    assert response.headers["Location"] == "/admin/users"


def test_a_logged_in_admin_opening_the_login_page_is_sent_to_the_user_list(admin_client):
    assert admin_client.get("/login").headers["Location"] == "/admin/users"


def test_a_coordinator_still_lands_on_the_start_page(client, coordinator):
    assert login_form(client, coordinator.email, PASSWORD).headers["Location"] == "/"


def test_a_failed_login_keeps_the_email_and_never_echoes_the_password(client, nurse):
    response = login_form(client, nurse.email, "the-echo-marker-password")
    assert response.status_code == 401
    assert f'value="{nurse.email}"' in page(response)
    assert "the-echo-marker-password" not in page(response)


def test_a_logged_in_user_opening_the_login_page_is_sent_on(nurse_client):
    response = nurse_client.get("/login")
    assert response.status_code == 302


def test_a_successful_login_records_the_time(client, nurse):
    assert nurse.last_login_at is None
    login_form(client, nurse.email, PASSWORD)
    assert reload(nurse).last_login_at is not None


# --- the JSON login ---------------------------------------------------------------------------


def test_the_json_login_answers_the_user_and_a_csrf_token(client, nurse, org):
    response = client.post("/api/v1/auth/login", json={"email": nurse.email, "password": PASSWORD})
    assert response.status_code == 200
    body = response.json
    assert body["email"] == nurse.email
    assert body["role"] == "nurse"
    assert body["organisation_id"] == str(org.id)
    assert body["csrf_token"]


def test_the_json_login_answer_holds_no_password_hash(client, nurse):
    response = client.post("/api/v1/auth/login", json={"email": nurse.email, "password": PASSWORD})
    text = page(response)
    assert "argon2" not in text
    assert "password" not in response.json
    assert "session_version" not in response.json


def test_the_json_login_refuses_unknown_fields(client, nurse):
    response = client.post(
        "/api/v1/auth/login",
        json={"email": nurse.email, "password": PASSWORD, "role": "admin"},
    )
    assert response.status_code == 422


def test_the_json_login_needs_no_csrf_token(client, nurse):
    client.get("/login")  # a session cookie exists, yet no token is sent
    response = client.post("/api/v1/auth/login", json={"email": nurse.email, "password": PASSWORD})
    assert response.status_code == 200


# --- logging out ------------------------------------------------------------------------------


def test_logging_out_goes_to_the_login_page_with_a_message(nurse_client):
    response = nurse_client.form_post("/logout", {}, follow_redirects=True)
    assert response.request.path == "/login"
    assert "You are logged out." in page(response)


def test_logging_out_keeps_the_chosen_language(nurse_client):
    nurse_client.form_post("/language", {"lang": "da", "next": "/clinics/"})
    nurse_client.form_post("/logout", {})
    with nurse_client.client.session_transaction() as session:
        assert session.get("locale") == "da"
        assert "_user_id" not in session


def test_the_json_logout_answers_204_and_ends_the_session(nurse_client):
    assert nurse_client.post("/api/v1/auth/logout").status_code == 204
    assert nurse_client.get("/api/v1/auth/me").status_code == 401


# --- the language switch ----------------------------------------------------------------------


def test_the_language_switch_works_before_login(client):
    token = csrf_token_from(page(client.get("/login")))
    response = client.post("/language", data={"csrf_token": token, "lang": "da", "next": "/login"})
    assert response.headers["Location"] == "/login"
    with client.session_transaction() as session:
        assert session["locale"] == "da"


def test_the_language_switch_remembers_the_choice_for_a_logged_in_user(nurse_client):
    nurse_client.form_post("/language", {"lang": "da"})
    assert reload(nurse_client.user).locale == "da"


def test_the_language_switch_refuses_an_unknown_language(nurse_client):
    assert nurse_client.form_post("/language", {"lang": "xx"}).status_code == 400


def test_the_language_switch_never_redirects_off_site(nurse_client):
    response = nurse_client.form_post("/language", {"lang": "en", "next": "//evil.example"})
    assert response.headers["Location"] == "/"


# --- the account page -------------------------------------------------------------------------


def test_the_account_page_shows_the_users_own_details(nurse_client):
    html = page(nurse_client.get("/account"))
    assert nurse_client.user.email in html
    assert 'name="current"' in html and 'name="new"' in html


def test_a_user_changes_her_password_and_logs_in_with_the_new_one(nurse_client, client):
    me = nurse_client.user
    response = nurse_client.form_post("/account", {"current": PASSWORD, "new": NEW_PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    assert verify_password(reload(me).password_hash, NEW_PASSWORD)
    old = client.post("/api/v1/auth/login", json={"email": me.email, "password": PASSWORD})
    assert old.status_code == 401
    new = client.post("/api/v1/auth/login", json={"email": me.email, "password": NEW_PASSWORD})
    assert new.status_code == 200


def test_after_a_password_change_the_login_page_says_so(nurse_client):
    response = nurse_client.form_post(
        "/account", {"current": PASSWORD, "new": NEW_PASSWORD}, follow_redirects=True
    )
    assert "Password changed. Log in again with the new password." in page(response)


def test_a_wrong_current_password_changes_nothing(nurse_client):
    me = nurse_client.user
    response = nurse_client.form_post(
        "/account", {"current": "not my password at all", "new": NEW_PASSWORD}
    )
    assert response.status_code == 422
    assert "The current password is wrong." in page(response)
    assert verify_password(reload(me).password_hash, PASSWORD)
    assert nurse_client.get("/api/v1/auth/me").status_code == 200


@pytest.mark.parametrize("new", ["short", "x" * 129, "password1234"])
def test_a_new_password_that_breaks_the_policy_is_refused(nurse_client, new):
    me = nurse_client.user
    response = nurse_client.form_post("/account", {"current": PASSWORD, "new": new})
    assert response.status_code == 422
    new_field = page(response).split('name="new"', 1)[1]
    assert 'class="error"' in new_field
    assert verify_password(reload(me).password_hash, PASSWORD)


def test_guessing_the_current_password_on_the_account_page_is_throttled(nurse_client):
    for _ in range(5):
        response = nurse_client.form_post(
            "/account", {"current": "a wrong guess here", "new": NEW_PASSWORD}
        )
        assert response.status_code == 422
    response = nurse_client.form_post("/account", {"current": PASSWORD, "new": NEW_PASSWORD})
    assert response.status_code == 429


def test_the_account_page_needs_a_login(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


# --- services ---------------------------------------------------------------------------------


def test_create_user_stores_the_email_trimmed_and_in_lower_case(org):
    user = services.create_user(org, "  Anna.Nurse@Example.ORG ", PASSWORD, "nurse")
    assert user.email == "anna.nurse@example.org"


def test_create_user_refuses_an_email_that_exists_in_another_case(org, nurse):
    # In the same organisation; another organisation may have it (tests/auth/test_shared_email.py).
    with pytest.raises(services.AccountError) as refused:
        services.create_user(org, nurse.email.upper(), PASSWORD, "nurse")
    assert refused.value.field == "email"


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        (("x@example.org", PASSWORD, "root"), "role"),
        (("not-an-email", PASSWORD, "nurse"), "email"),
        (("x@example.org", "short", "nurse"), "password"),
    ],
)
def test_create_user_says_which_field_is_wrong(org, arguments, field):
    with pytest.raises(services.AccountError) as refused:
        services.create_user(org, *arguments)
    assert refused.value.field == field


def test_create_user_writes_the_actor_into_the_audit_event(org, admin):
    from outreach.audit.models import AuditEvent

    user = services.create_user(org, "x@example.org", PASSWORD, "nurse", actor=admin)
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "user.create", AuditEvent.object_id == str(user.id)
        )
    )
    assert event.user_id == admin.id
    assert event.details == {"role": "nurse"}


def test_account_errors_are_translated_when_shown(app, admin):
    with pytest.raises(services.AccountError) as refused:
        services.set_active(admin, False, actor=admin)
    assert isinstance(refused.value.message, LazyString)
    with app.test_request_context():
        assert str(refused.value) == "You cannot deactivate yourself."


def test_account_errors_read_in_english_outside_a_request(admin):
    with pytest.raises(services.AccountError) as refused:
        services.set_active(admin, False, actor=admin)
    assert str(refused.value) == "You cannot deactivate yourself."


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "Use at least 12 characters."),
        ("password1234", "This password is too common; choose another."),
    ],
)
def test_the_command_line_explains_a_refused_password(runner, org, password, message):
    result = runner.invoke(
        args=["create-user", "new@example.org", "--org", org.name, "--role", "nurse"],
        input=password + "\n",
    )
    assert result.exit_code == 1
    assert message in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_the_command_line_explains_a_taken_email(runner, org, nurse):
    result = runner.invoke(
        args=["create-user", nurse.email, "--org", org.name, "--role", "nurse"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 1
    assert f"A user with the email {nurse.email} already exists." in result.output


def test_account_error_messages_fill_in_their_placeholders(org, nurse):
    with pytest.raises(services.AccountError) as refused:
        services.create_user(org, nurse.email, PASSWORD, "nurse")
    assert str(refused.value) == f"A user with the email {nurse.email} already exists."


def test_authenticate_upgrades_a_hash_made_with_weaker_settings(nurse):
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    nurse.password_hash = weak.hash(PASSWORD)
    assert services.authenticate(nurse.email, PASSWORD) == nurse
    assert nurse.password_hash.startswith("$argon2id$")
    assert not re.search(r"m=8,t=1,p=1", nurse.password_hash)


def test_set_role_refuses_a_role_outside_the_list(nurse, admin):
    with pytest.raises(services.AccountError):
        services.set_role(nurse, "superuser", actor=admin)
    assert nurse.role == "nurse"


def test_an_admin_may_make_another_user_admin(nurse, admin):
    services.set_role(nurse, "admin", actor=admin)
    assert nurse.role == "admin"


@pytest.mark.parametrize("session_id", ["", "garbage", f"{uuid.uuid4()}:1", "not-a-uuid:1"])
def test_a_session_id_that_names_no_user_loads_nobody(app, session_id):
    assert queries.load_session_user(session_id, None) is None
    assert queries.load_session_user(session_id, uuid.uuid4()) is None


def test_users_are_listed_by_email_within_their_organisation(factory, org, other_org):
    factory.user(org, email="b@example.org")
    factory.user(org, email="a@example.org")
    factory.user(other_org, email="c@example.org")
    assert [u.email for u in queries.list_users(org.id)] == ["a@example.org", "b@example.org"]
