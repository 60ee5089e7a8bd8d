"""Users make, see and revoke their own API tokens on the account page; tokens may expire and
show their last use; a refused token is audited (issue 11 item 7)."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from outreach.audit.models import AuditEvent
from outreach.auth import services
from outreach.auth.models import ApiToken
from outreach.auth.services import create_token
from outreach.db import db, utcnow
from tests.conftest import ActorClient


def page(response) -> str:
    return response.get_data(as_text=True)


def bearer(plain: str) -> dict:
    return {"Authorization": f"Bearer {plain}"}


def token_from(response) -> str:
    assert response.status_code == 200, page(response)
    match = re.search(r'class="token-once">([^<]+)<', page(response))
    assert match, "the new token is not on the page"
    return match.group(1)


def make_own_token(app, user, name="report script", **fields) -> str:
    """`user` logs in and makes a token on her account page; the plain token."""
    me = ActorClient(app, user)
    return token_from(me.form_post("/account/tokens", {"name": name, **fields}))


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_user_makes_her_own_token_and_it_acts_as_her(nurse_client, client, nurse):
    plain = token_from(nurse_client.form_post("/account/tokens", {"name": "my script"}))
    me = client.get("/api/v1/auth/me", headers=bearer(plain))
    assert me.json["email"] == nurse.email


def test_the_new_token_is_shown_once_and_never_cached(nurse_client):
    response = nurse_client.form_post("/account/tokens", {"name": "x"})
    plain = token_from(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert plain not in page(nurse_client.get("/account"))


def test_the_account_page_lists_her_tokens_with_last_use_and_expiry(nurse_client, client):
    plain = token_from(
        nurse_client.form_post("/account/tokens", {"name": "nightly", "expires_days": "30"})
    )
    client.get("/api/v1/auth/me", headers=bearer(plain))
    html = page(nurse_client.get("/account"))
    tokens = html.split('class="list tokens"', 1)[1].split("</table>", 1)[0]
    assert "nightly" in tokens and plain[:8] in tokens and plain[8:] not in tokens
    assert "Never" not in tokens  # used, and it expires
    assert "No expiry" not in tokens


def test_a_token_needs_a_name_and_a_sane_expiry(nurse_client):
    for data in (
        {"name": " "},
        {"name": "x", "expires_days": "0"},
        {"name": "x", "expires_days": "a"},
    ):
        assert nurse_client.form_post("/account/tokens", data).status_code == 422, data
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_a_token_with_an_expiry_stops_working_when_it_expires(client, nurse):
    token, plain = create_token(nurse, "x", expires_days=1)
    assert client.get("/api/v1/auth/me", headers=bearer(plain)).status_code == 200
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.flush()
    assert client.get("/api/v1/auth/me", headers=bearer(plain)).status_code == 401


def test_a_user_revokes_her_own_token(nurse_client, client, nurse):
    token, plain = create_token(nurse, "x")
    response = nurse_client.form_post(f"/account/tokens/{token.id}/revoke", {})
    assert response.status_code == 303
    assert client.get("/api/v1/auth/me", headers=bearer(plain)).status_code == 401


def test_a_user_cannot_revoke_a_colleagues_token(nurse_client, client, factory, org):
    token, plain = create_token(factory.user(org, "nurse"), "x")
    assert nurse_client.form_post(f"/account/tokens/{token.id}/revoke", {}).status_code == 404
    assert client.get("/api/v1/auth/me", headers=bearer(plain)).status_code == 200


def test_the_cli_makes_a_token_with_an_expiry(runner, nurse):
    result = runner.invoke(args=["create-token", nurse.email, "--expires-days", "7"])
    assert result.exit_code == 0, result.output
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == nurse.id))
    assert timedelta(days=6) < token.expires_at - utcnow() <= timedelta(days=7)


def test_an_unknown_token_is_audited_without_any_part_of_it(client):
    plain = "otk_" + "Zq7" * 14
    assert client.get("/api/v1/auth/me", headers=bearer(plain)).status_code == 401
    [event] = events("auth.token_failed")
    assert event.details == {"reason": "unknown"}
    assert "Zq7" not in repr((event.object_id, event.details))


def test_a_revoked_token_used_again_is_audited_in_its_organisation(client, nurse, admin):
    token, plain = create_token(nurse, "x")
    services.revoke_token(token, actor=admin)
    client.get("/api/v1/auth/me", headers=bearer(plain))
    [event] = events("auth.token_failed")
    assert (event.organisation_id, event.object_id) == (nurse.organisation_id, str(token.id))
    assert event.details["reason"] == "revoked"
