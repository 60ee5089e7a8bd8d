"""Personal API tokens: created by the CLI or an admin, used as Bearer, stored hashed, revocable."""

import hashlib
import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from outreach.auth import queries, services
from outreach.auth.models import ApiToken
from outreach.auth.services import create_token, revoke_token, set_active
from outreach.clinics.models import Clinic
from outreach.db import db, utcnow

TOKEN_PATTERN = re.compile(r"otk_[A-Za-z0-9_-]{43}")


def bearer(plain: str) -> dict:
    return {"Authorization": f"Bearer {plain}"}


def cli_token(runner, email: str) -> str:
    result = runner.invoke(args=["create-token", email, "--name", "report script"])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def assert_401_envelope(response) -> None:
    assert response.status_code == 401
    assert response.json["code"] == 401
    assert isinstance(response.json["message"], str) and response.json["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


# --- the command line -------------------------------------------------------------------------


def test_create_token_prints_the_token_alone_on_the_last_line(runner, nurse):
    assert TOKEN_PATTERN.fullmatch(cli_token(runner, nurse.email))


def test_the_printed_token_works_as_a_bearer_token(runner, client, nurse):
    plain = cli_token(runner, nurse.email)
    response = client.get("/api/v1/auth/me", headers=bearer(plain))
    assert response.status_code == 200
    assert response.json["email"] == nurse.email


def test_create_token_finds_the_user_whatever_the_case_of_the_email(runner, client, nurse):
    plain = cli_token(runner, nurse.email.upper())
    assert client.get("/api/v1/auth/me", headers=bearer(plain)).status_code == 200


def test_create_token_refuses_an_unknown_email(runner):
    result = runner.invoke(args=["create-token", "nobody@example.org"])
    assert result.exit_code != 0
    assert "otk_" not in result.output


def test_create_token_refuses_a_deactivated_user(runner, nurse):
    nurse.active = False
    db.session.flush()
    result = runner.invoke(args=["create-token", nurse.email])
    assert result.exit_code != 0
    assert "otk_" not in result.output


def test_every_token_is_new(nurse):
    tokens = {create_token(nurse, "x")[1] for _ in range(20)}
    assert len(tokens) == 20


# --- storage ----------------------------------------------------------------------------------


def test_a_token_is_stored_only_as_its_hash(runner, nurse):
    plain = cli_token(runner, nurse.email)
    rows = db.session.execute(text("SELECT * FROM api_tokens")).mappings().all()
    assert len(rows) == 1
    stored = " ".join(str(value) for value in rows[0].values())
    assert plain not in stored
    assert plain[8:] not in stored  # not even the part after the visible prefix
    assert rows[0]["token_hash"] == hashlib.sha256(plain.encode()).hexdigest()


def test_only_a_short_prefix_of_the_token_is_kept_for_recognising_it(nurse):
    token, plain = create_token(nurse, "x")
    assert token.prefix == plain[:8]


# --- using a token ----------------------------------------------------------------------------


def test_a_token_acts_with_its_users_role_and_organisation(client, coordinator, org):
    _, plain = create_token(coordinator, "x")
    me = client.get("/api/v1/auth/me", headers=bearer(plain)).json
    assert me["role"] == "coordinator"
    assert me["organisation_id"] == str(org.id)


def test_a_token_request_gets_no_session_cookie(client, nurse):
    _, plain = create_token(nurse, "x")
    response = client.get("/api/v1/auth/me", headers=bearer(plain))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_a_token_opens_no_html_page(client, admin):
    _, plain = create_token(admin, "x")
    response = client.get("/admin/users", headers=bearer(plain))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_a_token_does_not_skip_csrf_on_html_forms(admin_client, admin):
    _, plain = create_token(admin, "x")
    response = admin_client.client.post(
        "/admin/users/new",
        data={"email": "x@example.org", "role": "admin", "password": "a long passphrase 42"},
        headers=bearer(plain),
    )
    assert response.status_code == 400


def test_a_revoked_token_gets_401(client, nurse, admin):
    token, plain = create_token(nurse, "x")
    revoke_token(token, actor=admin)
    assert_401_envelope(client.get("/api/v1/auth/me", headers=bearer(plain)))


def test_a_deactivated_users_token_gets_401(client, nurse, admin):
    _, plain = create_token(nurse, "x")
    set_active(nurse, False, actor=admin)
    assert_401_envelope(client.get("/api/v1/auth/me", headers=bearer(plain)))


def test_a_reactivated_users_token_works_again(client, nurse, admin):
    _, plain = create_token(nurse, "x")
    set_active(nurse, False, actor=admin)
    set_active(nurse, True, actor=admin)
    assert client.get("/api/v1/auth/me", headers=bearer(plain)).status_code == 200


def test_a_token_of_another_organisation_cannot_read_a_clinic(client, factory, org, other_org):
    clinic = factory.clinic(org, name="Lotus Massage")
    _, plain = create_token(factory.user(other_org, "admin"), "x")
    response = client.get(f"/api/v1/clinics/{clinic.id}", headers=bearer(plain))
    assert response.status_code == 404
    assert "Lotus" not in response.get_data(as_text=True)


def test_a_token_of_another_organisation_cannot_change_a_clinic(client, factory, org, other_org):
    clinic = factory.clinic(org, name="Lotus Massage")
    _, plain = create_token(factory.user(other_org, "admin"), "x")
    response = client.put(
        f"/api/v1/clinics/{clinic.id}",
        json={"name": "Taken over", "kind": "massage_clinic"},
        headers=bearer(plain),
    )
    assert response.status_code == 404
    db.session.expire_all()
    stored = db.session.get(Clinic, clinic.id)
    assert (stored.name, stored.organisation_id) == ("Lotus Massage", org.id)


def test_a_token_of_the_same_organisation_reads_the_clinic(client, factory, org, nurse):
    clinic = factory.clinic(org)
    _, plain = create_token(nurse, "x")
    assert client.get(f"/api/v1/clinics/{clinic.id}", headers=bearer(plain)).status_code == 200


def test_a_request_without_a_token_or_session_gets_401_with_the_envelope(client):
    assert_401_envelope(client.get("/api/v1/clinics"))


@pytest.mark.parametrize(
    "header",
    [
        "Bearer otk_" + "A" * 43,
        "Bearer not-even-the-prefix",
        "Bearer ",
        "Bearer",
        "Basic dXNlcjpwYXNzd29yZA==",
        "otk_" + "A" * 43,
    ],
    ids=["unknown", "no prefix", "empty", "bare scheme", "basic", "no scheme"],
)
def test_a_bad_authorization_header_gets_401_with_the_envelope(client, header):
    assert_401_envelope(client.get("/api/v1/clinics", headers={"Authorization": header}))


def test_a_token_with_a_changed_character_gets_401(client, nurse):
    _, plain = create_token(nurse, "x")
    tampered = plain[:-1] + ("A" if plain[-1] != "A" else "B")
    assert_401_envelope(client.get("/api/v1/auth/me", headers=bearer(tampered)))


# --- last use ---------------------------------------------------------------------------------


def test_using_a_token_records_when_it_was_last_used(client, nurse):
    token, plain = create_token(nurse, "x")
    client.get("/api/v1/auth/me", headers=bearer(plain))
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at is not None


def test_a_refused_write_still_counts_as_a_use_of_the_token(client, coordinator):
    token, plain = create_token(coordinator, "x")
    response = client.put(
        f"/api/v1/clinics/{uuid.uuid4()}", json={"kind": "nonsense"}, headers=bearer(plain)
    )
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at is not None


def test_last_use_is_written_at_most_once_a_minute(monkeypatch, nurse):
    token, _ = create_token(nurse, "x")
    start = utcnow()
    monkeypatch.setattr(services, "utcnow", lambda: start)
    assert services.token_use_is_due(token)
    services.note_token_use(token)
    monkeypatch.setattr(services, "utcnow", lambda: start + timedelta(seconds=30))
    assert not services.token_use_is_due(token)
    monkeypatch.setattr(services, "utcnow", lambda: start + timedelta(minutes=2))
    assert services.token_use_is_due(token)
    services.note_token_use(token)
    assert token.last_used_at == start + timedelta(minutes=2)


def test_a_token_is_looked_up_by_its_owner_only(nurse, coordinator):
    token, _ = create_token(nurse, "x")
    assert queries.find_token(nurse, token.id) == token
    assert queries.find_token(coordinator, token.id) is None


def test_tokens_are_listed_newest_first(nurse):
    first, _ = create_token(nurse, "first")
    first.created_at = utcnow() - timedelta(days=1)
    second, _ = create_token(nurse, "second")
    db.session.flush()
    assert [t.name for t in queries.list_tokens(nurse)] == ["second", "first"]


def test_revoking_twice_keeps_the_first_revocation_time(nurse, admin):
    token, _ = create_token(nurse, "x")
    revoke_token(token, actor=admin)
    first = token.revoked_at
    revoke_token(token, actor=admin)
    assert token.revoked_at == first
    assert db.session.scalars(select(ApiToken)).all() == [token]
