"""The second factor (SECURITY.md 5): TOTP codes with a controlled clock, replay refusal (also
across two app servers on one database), recovery codes, throttling, enrolment, the admin's
reset, the organisation setting for nurses, tokens, and the JSON login's reasons."""

import base64
import json
import os
import re
import uuid

import pyotp
import pytest
from flask_migrate import upgrade
from sqlalchemy import delete, select

from outreach import crypto
from outreach.audit.models import AuditEvent
from outreach.auth import access, second_factor
from outreach.auth.models import RecoveryCode, SecondFactor
from outreach.auth.services import create_token, create_user
from outreach.db import db
from outreach.orgs.services import create_organisation, set_nurse_second_factor
from outreach.throttle import ThrottleCount
from tests.conftest import PASSWORD, csrf_token_from, database_url, make_app

LOGIN = "/api/v1/auth/login"
T = 1_800_000_000.0  # a moment at the start of a time step (60_000_000 * 30)


@pytest.fixture
def clock(monkeypatch):
    """The codes' clock, held still unless a test moves it."""
    now = {"t": T}
    monkeypatch.setattr(second_factor, "clock", lambda: now["t"])
    return now


def code(user, at: float) -> str:
    return second_factor.code_at(second_factor.enrolled_factor(user), at)


def off_by_one(right: str) -> str:
    """A code that is surely not `right` (nor, for a held clock, any other of the window's
    three, but for a one-in-a-million chance)."""
    return f"{(int(right) + 1) % 1_000_000:06d}"


def page(response) -> str:
    return response.get_data(as_text=True)


def events(action: str, user=None) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.action == action)
    if user is not None:
        stmt = stmt.where(AuditEvent.user_id == user.id)
    return list(db.session.scalars(stmt))


def password_step(client, email, password=PASSWORD, next_url=None, ip="192.0.2.1"):
    url = "/login" + (f"?next={next_url}" if next_url else "")
    token = csrf_token_from(page(client.get(url, environ_base={"REMOTE_ADDR": ip})))
    return client.post(
        url,
        data={"csrf_token": token, "email": email, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def code_step(client, given: str, ip="192.0.2.1", url="/login/code"):
    token = csrf_token_from(page(client.get(url, environ_base={"REMOTE_ADDR": ip})))
    return client.post(
        url, data={"csrf_token": token, "code": given}, environ_base={"REMOTE_ADDR": ip}
    )


def me(client):
    return client.get("/api/v1/auth/me")


def json_login(client, email, ip="192.0.2.1", **extra):
    body = {"email": email, "password": PASSWORD, **extra}
    return client.post(LOGIN, json=body, environ_base={"REMOTE_ADDR": ip})


# --- the login form -------------------------------------------------------------------------------


def test_a_coordinator_cannot_log_in_with_her_password_alone(client, coordinator, clock):
    response = password_step(client, coordinator.email)

    assert response.status_code == 302
    assert response.headers["Location"] == "/login/code"
    assert me(client).status_code == 401  # no session yet
    assert client.get("/reports/").status_code == 302
    assert events("auth.login", coordinator) == []


def test_the_right_code_finishes_the_login_and_keeps_the_page_asked_for(client, coordinator, clock):
    password_step(client, coordinator.email, next_url="/reports/")
    response = code_step(client, code(coordinator, T), url="/login/code?next=/reports/")

    assert response.status_code == 302
    assert response.headers["Location"] == "/reports/"
    assert me(client).json["email"] == coordinator.email
    (login,) = events("auth.login", coordinator)
    assert login.details == {"second_factor": "totp"}
    assert len(events("auth.second_factor", coordinator)) == 1


def test_a_wrong_code_is_refused_and_audited_without_the_code(client, coordinator, clock):
    password_step(client, coordinator.email)
    wrong = off_by_one(code(coordinator, T))
    response = code_step(client, wrong)

    assert response.status_code == 401
    assert "The code is wrong or was used already." in page(response)
    assert me(client).status_code == 401
    (failed,) = events("auth.second_factor_failed", coordinator)
    assert wrong not in json.dumps(failed.details)


def test_a_replayed_code_is_refused(app, coordinator, clock):
    used = code(coordinator, T)
    first, second = app.test_client(), app.test_client()
    password_step(first, coordinator.email)
    assert code_step(first, used).status_code == 302

    clock["t"] = T + 10  # the same 30 s step: the code on the phone is still this one
    password_step(second, coordinator.email)
    response = code_step(second, used)

    assert response.status_code == 401
    assert me(second).status_code == 401
    assert len(events("auth.second_factor_replay", coordinator)) == 1


def test_a_code_of_an_earlier_step_than_the_last_accepted_is_refused(client, coordinator, clock):
    clock["t"] = T + 30
    earlier = code(coordinator, T)  # still inside the window of one step back
    assert (
        json_login(client, coordinator.email, totp_code=code(coordinator, T + 30)).status_code
        == 200
    )

    response = json_login(client, coordinator.email, totp_code=earlier)

    assert response.status_code == 401
    assert response.json["reason"] == "second_factor_wrong"


@pytest.mark.parametrize(
    ("offset", "accepted"), [(-30, True), (30, True), (-60, False), (60, False)]
)
def test_a_code_one_step_off_is_accepted_two_steps_off_is_not(
    client, coordinator, clock, offset, accepted
):
    response = json_login(client, coordinator.email, totp_code=code(coordinator, T + offset))
    assert (response.status_code == 200) is accepted


def test_the_code_step_lasts_five_minutes(client, coordinator, clock, monkeypatch):
    started = {"t": 1000.0}
    monkeypatch.setattr(access, "clock", lambda: started["t"])
    password_step(client, coordinator.email)
    token = csrf_token_from(page(client.get("/login/code")))
    started["t"] += 301

    response = client.post("/login/code", data={"csrf_token": token, "code": code(coordinator, T)})

    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert me(client).status_code == 401


def test_the_code_step_without_a_password_sends_to_the_login(client, coordinator):
    response = client.get("/login/code")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"


def test_a_password_change_elsewhere_ends_the_code_step(client, coordinator, clock):
    password_step(client, coordinator.email)
    coordinator.session_version += 1  # a logout, a password change or a deactivation
    db.session.flush()

    assert client.get("/login/code").headers["Location"] == "/login"


def test_wrong_codes_are_throttled_with_the_password_guesses(client, coordinator, clock):
    password_step(client, coordinator.email)
    for n in range(5):
        wrong = off_by_one(code(coordinator, T))
        assert code_step(client, wrong, ip=f"198.51.100.{n + 1}").status_code == 401

    right = code_step(client, code(coordinator, T), ip="198.51.100.99")
    assert right.status_code == 429
    assert me(client).status_code == 401


def test_being_asked_for_the_code_is_no_failed_attempt(client, coordinator, clock):
    for n in range(7):
        response = json_login(client, coordinator.email, ip=f"198.51.100.{n + 1}")
        assert response.status_code == 401
        assert response.json["reason"] == "second_factor_required"
    assert json_login(client, coordinator.email, totp_code=code(coordinator, T)).status_code == 200


# --- the JSON login (the field app) ---------------------------------------------------------------


def test_the_json_login_asks_for_the_code(client, coordinator, clock):
    response = json_login(client, coordinator.email)

    assert response.status_code == 401
    assert response.json["reason"] == "second_factor_required"
    assert me(client).status_code == 401
    ok = json_login(client, coordinator.email, totp_code=code(coordinator, T))
    assert ok.status_code == 200
    assert ok.json["email"] == coordinator.email


def test_the_json_login_refuses_a_wrong_password_before_any_code(client, coordinator, clock):
    response = client.post(
        LOGIN, json={"email": coordinator.email, "password": "not it", "totp_code": "123456"}
    )
    assert response.status_code == 401
    assert response.json.get("reason") == "login_required"
    assert events("auth.second_factor_failed", coordinator) == []


def test_the_json_login_refuses_a_replayed_code(client, app, coordinator, clock):
    given = code(coordinator, T)
    assert json_login(client, coordinator.email, totp_code=given).status_code == 200

    again = json_login(app.test_client(), coordinator.email, totp_code=given)

    assert again.status_code == 401
    assert again.json["reason"] == "second_factor_wrong"


def test_a_nurse_without_the_setting_logs_in_as_before(client, nurse):
    response = client.post(LOGIN, json={"email": nurse.email, "password": PASSWORD})
    assert response.status_code == 200


def test_nurses_must_enrol_when_their_organisation_asks(client, org, nurse, admin):
    set_nurse_second_factor(org, True, admin)
    db.session.flush()

    response = client.post(LOGIN, json={"email": nurse.email, "password": PASSWORD})

    assert response.status_code == 401
    assert response.json["reason"] == "second_factor_enrolment_required"
    assert "browser" in response.json["message"]
    assert me(client).status_code == 401
    form = password_step(client, nurse.email)
    assert form.headers["Location"] == "/login/second-factor"


@pytest.mark.parametrize(
    "given", ["١٢٣٤٥٦", "12 34 5\u00e9", "\u2460\u2461\u2462\u2463\u2464\u2465"]
)
def test_codes_of_other_characters_are_refused_not_an_error(client, coordinator, clock, given):
    for field in ("totp_code", "recovery_code"):
        response = json_login(client, coordinator.email, **{field: given})
        assert response.status_code == 401
        assert response.json["reason"] == "second_factor_wrong"


def test_the_openapi_document_describes_the_code_fields(client):
    schema = client.get("/api/v1/openapi.json").json["components"]["schemas"]["Login"]
    assert {"totp_code", "recovery_code"} <= set(schema["properties"])
    assert set(schema["required"]) == {"email", "password"}


# --- enrolment ------------------------------------------------------------------------------------


def enrol_page(client, url="/login/second-factor"):
    response = client.get(url)
    assert response.status_code == 200, page(response)
    html = page(response)
    shown = re.search(r'<code class="secret-once">([A-Z2-7 ]+)</code>', html).group(1)
    secret = shown.replace(" ", "")
    return html, secret


def test_a_coordinator_without_a_factor_is_sent_to_enrolment_first(client, factory, org, clock):
    fresh = factory.user(org, "coordinator", second_factor_on=False)
    response = password_step(client, fresh.email, next_url="/reports/")
    assert response.headers["Location"] == "/login/second-factor?next=/reports/"
    assert me(client).status_code == 401
    assert client.get("/clinics/").status_code == 302  # nothing else before it

    html, secret = enrol_page(client, "/login/second-factor?next=/reports/")
    assert 'src="/login/second-factor/qr.svg"' in html
    qr = client.get("/login/second-factor/qr.svg")
    assert qr.mimetype == "image/svg+xml"
    assert qr.headers["Cache-Control"] == "no-store"
    assert b"<script" not in qr.data and b"style=" not in qr.data
    first = pyotp.TOTP(secret).at(T)
    done = code_step(client, first, url="/login/second-factor?next=/reports/")

    assert done.status_code == 200
    codes = re.findall(r"<li><code>([A-Z0-9]{5}-[A-Z0-9]{5})</code></li>", page(done))
    assert len(set(codes)) == 10
    assert 'href="/reports/"' in page(done)
    assert me(client).json["email"] == fresh.email
    (enrolled,) = events("auth.second_factor_enrol", fresh)
    assert secret not in json.dumps(enrolled.details)
    # The first code cannot be used again to log in.
    assert json_login(app_client(client), fresh.email, totp_code=first).status_code == 401


def app_client(client):
    return client.application.test_client()


def test_the_enrolment_keeps_its_secret_when_reloaded_and_refuses_a_wrong_first_code(
    client, factory, org, clock
):
    fresh = factory.user(org, "admin", second_factor_on=False)
    password_step(client, fresh.email)
    _, secret = enrol_page(client)
    assert enrol_page(client)[1] == secret

    response = code_step(client, off_by_one(pyotp.TOTP(secret).at(T)), url="/login/second-factor")

    assert response.status_code == 422
    assert "does not match" in page(response)
    assert not second_factor.is_enrolled(fresh)
    assert me(client).status_code == 401


def stored_secret(factor) -> str:
    table = SecondFactor.__table__
    return db.session.execute(
        select(table.c.totp_secret).where(table.c.id == factor.id)
    ).scalar_one()


def test_the_secret_is_encrypted_at_rest_and_read_through_one_function(coordinator):
    factor = second_factor.enrolled_factor(coordinator)
    secret = second_factor.secret_of(factor)
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    stored = stored_secret(factor)
    assert crypto.is_sealed(stored) and secret not in stored
    assert any(c.name == "second_factors.totp_secret" for c in crypto.sealed_columns(db.metadata))


def test_a_secret_that_cannot_be_decrypted_refuses_codes_and_a_recovery_code_still_works(
    app, client, coordinator, clock, caplog
):
    factor = second_factor.enrolled_factor(coordinator)
    right = second_factor.code_at(factor, T)
    gone, lookup = (base64.b64encode(os.urandom(32)).decode() for _ in range(2))
    ring = crypto.KeyRing.from_text(f"gone:{gone}", lookup)  # a key no longer in the ring
    table = SecondFactor.__table__
    db.session.execute(
        table.update()
        .where(table.c.id == factor.id)
        .values(
            totp_secret=ring.seal(
                "JBSWY3DPEHPK3PXP", crypto.context("second_factors", "totp_secret", factor.id)
            )
        )
    )
    db.session.commit()
    db.session.expire_all()
    codes = second_factor.new_recovery_codes(coordinator)
    db.session.commit()

    refused = json_login(client, coordinator.email, totp_code=right)
    assert refused.status_code == 401 and refused.json["reason"] == "second_factor_wrong"
    assert "JBSWY3DP" not in caplog.text
    assert json_login(client, coordinator.email, recovery_code=codes[0]).status_code == 200


def test_the_qr_code_and_the_enrolment_answer_nobody_without_a_password(client, coordinator):
    assert client.get("/login/second-factor/qr.svg").status_code == 404
    assert client.get("/login/second-factor").headers["Location"] == "/login"


def test_a_nurse_can_set_up_a_factor_from_her_account_page_and_then_needs_it(
    app, login, nurse, clock
):
    nurse_client = login(nurse)
    assert "Set up a second factor" in page(nurse_client.get("/account"))
    _, secret = enrol_page(nurse_client.client)
    response = nurse_client.form_post("/login/second-factor", {"code": pyotp.TOTP(secret).at(T)})
    assert response.status_code == 200
    assert second_factor.is_enrolled(nurse)

    fresh = app.test_client()
    asked = json_login(fresh, nurse.email)
    assert asked.json["reason"] == "second_factor_required"
    clock["t"] = T + 30
    assert (
        json_login(fresh, nurse.email, totp_code=pyotp.TOTP(secret).at(T + 30)).status_code == 200
    )


# --- recovery codes -------------------------------------------------------------------------------


@pytest.fixture
def recovery(coordinator):
    return second_factor.new_recovery_codes(coordinator)


def test_a_recovery_code_logs_in_once(app, coordinator, recovery, clock):
    first = app.test_client()
    password_step(first, coordinator.email)
    response = code_step(first, recovery[3].lower().replace("-", " "))  # as people type it
    assert response.status_code == 302
    assert me(first).json["email"] == coordinator.email
    (used,) = events("auth.recovery_code_used", coordinator)
    assert used.details == {"remaining": 9}
    assert recovery[3] not in json.dumps(used.details)

    second = app.test_client()
    password_step(second, coordinator.email)
    assert code_step(second, recovery[3]).status_code == 401
    again = json_login(app.test_client(), coordinator.email, recovery_code=recovery[3])
    assert again.json["reason"] == "second_factor_wrong"
    assert (
        json_login(app.test_client(), coordinator.email, recovery_code=recovery[4]).status_code
        == 200
    )


def test_recovery_codes_are_stored_as_argon2id_hashes(coordinator, recovery):
    rows = db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == coordinator.id))
    hashes = [row.code_hash for row in rows]
    assert len(hashes) == 10
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert not any(c.replace("-", "") in h for c in recovery for h in hashes)


# --- the admin's reset, and tokens ----------------------------------------------------------------


def test_an_admin_resets_a_coordinators_factor_and_it_is_audited(
    app, admin_client, admin, coordinator, clock
):
    response = admin_client.form_post(f"/admin/users/{coordinator.id}/second-factor/reset", {})

    assert response.status_code == 303
    assert not second_factor.is_enrolled(coordinator)
    assert (
        db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == coordinator.id)).all()
        == []
    )
    (reset,) = events("auth.second_factor_reset", admin)
    assert reset.object_id == str(coordinator.id)
    client = app.test_client()
    assert password_step(client, coordinator.email).headers["Location"] == "/login/second-factor"


def test_an_admin_cannot_reset_another_organisations_user_or_her_own(
    admin_client, admin, factory, other_org
):
    theirs = factory.user(other_org, "coordinator")
    assert (
        admin_client.form_post(f"/admin/users/{theirs.id}/second-factor/reset", {}).status_code
        == 404
    )
    assert (
        admin_client.form_post(f"/admin/users/{admin.id}/second-factor/reset", {}).status_code
        == 403
    )
    assert second_factor.is_enrolled(theirs) and second_factor.is_enrolled(admin)
    assert events("auth.second_factor_reset") == []


def test_the_admins_user_page_offers_the_reset(admin_client, coordinator):
    html = page(admin_client.get(f"/admin/users/{coordinator.id}"))
    assert f"/admin/users/{coordinator.id}/second-factor/reset" in html


def test_a_coordinators_token_works_without_a_code(client, coordinator):
    _, token = create_token(coordinator, "report script")
    response = client.get(
        "/api/v1/reports/annual?year=2026", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200


# --- the organisation setting ---------------------------------------------------------------------


def test_an_admin_asks_nurses_for_a_second_factor(admin_client, org):
    response = admin_client.form_post(
        "/settings/second-factor", {"second_factor-choice": "required"}
    )
    assert response.status_code == 303
    db.session.refresh(org)
    assert org.settings["nurse_second_factor"] is True
    (saved,) = [
        e for e in events("organisation.settings") if e.details.get("part") == "nurse_second_factor"
    ]
    assert saved.details["required"] is True


def test_a_post_without_the_choice_changes_nothing(admin_client, org):
    response = admin_client.form_post("/settings/second-factor", {})
    assert response.status_code == 422
    db.session.refresh(org)
    assert "nurse_second_factor" not in (org.settings or {})


def test_a_coordinator_cannot_change_the_nurses_setting(coordinator_client):
    response = coordinator_client.form_post(
        "/settings/second-factor", {"second_factor-choice": "required"}
    )
    assert response.status_code == 403


# --- two app servers on one database --------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_url(tmp_path_factory):
    url = database_url(tmp_path_factory, "second_factor")
    migrator = make_app(url)
    with migrator.app_context():
        upgrade()
        db.engine.dispose()
    return url


@pytest.fixture
def servers(shared_url):
    """Two app servers on one database, each with its own engine; the throttle counts in the
    database, as in production."""
    first, second = (make_app(shared_url, RATELIMIT_STORAGE_URI="outreach+db://") for _ in "12")
    yield first, second
    for server in (first, second):
        with server.app_context():
            db.session.execute(delete(ThrottleCount))
            db.session.commit()
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def shared_coordinator(servers):
    first, _ = servers
    email = f"coordinator-{uuid.uuid4().hex[:8]}@example.org"
    with first.app_context():
        org = create_organisation(f"Second factor org {uuid.uuid4().hex[:6]}", ["midtjylland"])
        user = create_user(org, email, PASSWORD, "coordinator")
        factor, _ = second_factor.enrol_directly(user, actor_note="test")
        secret = second_factor.secret_of(factor)
        db.session.commit()
        db.session.remove()
    return email, secret


def test_a_code_used_on_one_server_is_refused_by_the_other(servers, shared_coordinator, clock):
    email, secret = shared_coordinator
    given = pyotp.TOTP(secret).at(T)

    answers = [json_login(server.test_client(), email, totp_code=given) for server in servers]

    assert [a.status_code for a in answers] == [200, 401]
    assert answers[1].json["reason"] == "second_factor_wrong"
    with servers[0].app_context():
        stored = db.session.scalar(select(SecondFactor.last_step))
        db.session.remove()
    assert stored == int(T // 30)


def test_wrong_codes_on_two_servers_are_throttled_together(servers, shared_coordinator, clock):
    email, secret = shared_coordinator
    for n in range(5):
        wrong = off_by_one(pyotp.TOTP(secret).at(T))
        answer = json_login(
            servers[n % 2].test_client(), email, f"198.51.100.{n + 1}", totp_code=wrong
        )
        assert answer.status_code == 401

    right = json_login(
        servers[1].test_client(), email, "198.51.100.99", totp_code=pyotp.TOTP(secret).at(T)
    )
    assert right.status_code == 429
