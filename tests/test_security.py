"""The controls of SECURITY.md that exist today, one behaviour per test (numbers: the items)."""

import json
import re
import uuid
from importlib import resources

import pytest
from flask_migrate import upgrade
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from outreach import create_app, permissions
from outreach.audit.models import AuditEvent
from outreach.auth import access, passwords, second_factor
from outreach.auth.models import ApiToken, User
from outreach.auth.queries import find_users_by_email
from outreach.auth.services import (
    LOGIN_VERIFICATIONS_FLOOR,
    create_token,
    end_all_sessions,
    set_active,
)
from outreach.clinics.models import Clinic
from outreach.config import DEFAULT_SECRET_KEY, ConfigurationError
from outreach.db import db
from outreach.orgs.services import create_organisation
from tests.conftest import (
    PASSWORD,
    csrf_token_from,
    database_url,
    login_body,
    make_app,
    second_step,
)

NEW_PASSWORD = "a long and unusual passphrase 42"
PRODUCTION_KEY = "x" * 16 + uuid.uuid4().hex  # 48 characters
PASSWORD_SETTINGS = settings(
    max_examples=300,
    deadline=None,
    database=None,  # no .hypothesis folder in the shared tree
    suppress_health_check=[HealthCheck.too_slow],
)

# Item 9: the short list of endpoints anyone may reach without logging in.
PUBLIC_ENDPOINTS = {
    "static",
    "main.health",
    "main.ready",  # the load balancer's probe: a status and a reason, no data
    "auth.login",
    "auth.set_language",
    # The login's second step and setting up a second factor: they answer only the user whose
    # password was right a moment ago (or a logged-in user), and redirect anyone else to the
    # login (tests/auth/test_second_factor.py).
    "auth.login_code",
    "auth.enrol",
    "auth.enrol_qr",
    "auth_api.Login",
    "api-docs.openapi_json",
    # The field app's shell, service worker, manifest and phone catalogues: the phone loads
    # and caches them before (and without) a session; they carry no personal data.
    "field.shell",
    "field.service_worker",
    "field.manifest",
    "field.catalogue",
    "field.code_names",
}


def page(response) -> str:
    return response.get_data(as_text=True)


def reload(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def count_events(action: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    )


def set_cookies(response) -> dict[str, dict[str, str | bool]]:
    """Set-Cookie headers as {name: {"value": ..., "httponly": True, "samesite": "Lax", ...}}."""
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        first, *attributes = (part.strip() for part in header.split(";"))
        name, _, value = first.partition("=")
        parsed: dict[str, str | bool] = {"value": value}
        for attribute in attributes:
            key, has_value, attr_value = attribute.partition("=")
            parsed[key.lower()] = attr_value if has_value else True
        cookies[name] = parsed
    return cookies


def session_cookie(app, client) -> str | None:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return cookie.value if cookie else None


def copy_session(app, source, target) -> None:
    target.set_cookie(app.config["SESSION_COOKIE_NAME"], session_cookie(app, source))


def clinic_body(**fields):
    body = {"name": "Lotus Massage", "kind": "massage_clinic", "postcode": "8000"}
    body.update(fields)
    return body


def clinics_in(org) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Clinic).where(Clinic.organisation_id == org.id)
    )


def form_login(client, email, password, ip="192.0.2.1"):
    """The login form, and its second step when the account has a second factor."""
    token = csrf_token_from(page(client.get("/login", environ_base={"REMOTE_ADDR": ip})))
    response = client.post(
        "/login",
        data={"csrf_token": token, "email": email, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )
    return second_step(client, response, email)


def json_login(client, email, password, ip="192.0.2.1"):
    """The JSON login, with the account's next code when it has a second factor."""
    body = {"email": email, "password": password}
    enrolled = [u for u in find_users_by_email(email) if second_factor.is_enrolled(u)]
    if password == PASSWORD and len(enrolled) == 1:
        body = login_body(enrolled[0])
    return client.post("/api/v1/auth/login", json=body, environ_base={"REMOTE_ADDR": ip})


# --- 1. Argon2id ------------------------------------------------------------------------------


def test_a_stored_password_hash_is_argon2id(factory, org):
    user = factory.user(org)
    assert user.password_hash.startswith("$argon2id$")


def test_a_changed_password_is_stored_as_argon2id(nurse_client):
    nurse_client.form_post("/account", {"current": PASSWORD, "new": NEW_PASSWORD})
    assert reload(nurse_client.user).password_hash.startswith("$argon2id$")


# --- 2. Password policy -----------------------------------------------------------------------


def common_passwords() -> list[str]:
    text = resources.files("outreach").joinpath("data/common-passwords.txt").read_text("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


@PASSWORD_SETTINGS
@given(st.text(max_size=passwords.MIN_LENGTH - 1))
@example("")
@example("x" * 11)
def test_a_password_shorter_than_12_characters_is_refused(password):
    assert passwords.password_problem(password) is not None


@PASSWORD_SETTINGS
@given(st.text(min_size=passwords.MAX_LENGTH + 1, max_size=400))
@example("x" * 129)
def test_a_password_longer_than_128_characters_is_refused(password):
    assert passwords.password_problem(password) is not None


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",  # no composition rules: lower-case words
        "rødgrød med fløde og jordbær",
        "kh3#Lq9!vZ2@",  # 12 random characters
        "G5WRPDLFaqKdysOq5gFqtxqDb0oreoA85QU4eI7FaDd9vb3GKhOzX0ebp6aZlsck"
        "dcr1PKuvzfNA8kcxpVzBsM6NAV71YFZNYQipv7qXEYSNOYVr5giEgxKKymVZUsvB",  # 128 random characters
    ],
)
def test_a_password_hard_to_guess_is_accepted_without_composition_rules(password):
    assert passwords.password_problem(password, ("nurse@example.org", "Gadeteam")) is None


@pytest.mark.parametrize(
    "password",
    [
        "Sommer2026!!",  # a Danish word and a year: not on the short list of common passwords
        "x" * 12,
        "qwertzuiopasdf",  # a keyboard row
        "Gadeteam2026!!",  # the organisation's name
        "nurse.jensen2026",  # the email's local part
        "ææææøøøøåååå",
    ],
)
def test_a_password_easy_to_guess_is_refused_saying_why(app, password):
    with app.test_request_context():
        problem = passwords.password_problem(password, ("nurse.jensen@example.org", "Gadeteam"))
        assert problem is not None
        assert "easy to guess" in str(problem) or "too common" in str(problem)


def test_the_reason_is_given_in_danish_too(app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("da"):
        problem = str(passwords.password_problem("Gadeteam2026!!", ("a@b.dk", "Gadeteam")))
    assert "nem at gætte" in problem and "organisationens navn" in problem


def test_every_password_on_the_common_list_is_refused():
    listed = common_passwords()
    assert len(listed) > 50
    refused = [p for p in listed if passwords.password_problem(p) is not None]
    assert refused == listed


@PASSWORD_SETTINGS
@given(st.sampled_from(common_passwords()), st.randoms(use_true_random=False))
def test_a_common_password_in_any_mix_of_upper_and_lower_case_is_refused(password, rnd):
    mixed = "".join(c.upper() if rnd.random() < 0.5 else c.lower() for c in password)
    assert passwords.password_problem(mixed) is not None


# --- 3. Login throttling ----------------------------------------------------------------------


LOGINS = {"form": form_login, "json": json_login}


@pytest.mark.parametrize("channel", LOGINS)
def test_the_sixth_bad_login_for_one_account_from_different_addresses_gets_429(
    channel, client, nurse
):
    attempt = LOGINS[channel]
    for n in range(5):
        response = attempt(client, nurse.email, "wrong password!", ip=f"198.51.100.{n + 1}")
        assert response.status_code == 401
    response = attempt(client, nurse.email, "wrong password!", ip="198.51.100.99")
    assert response.status_code == 429


@pytest.mark.parametrize("channel", LOGINS)
def test_the_sixth_bad_login_from_one_address_for_different_accounts_gets_429(channel, client):
    attempt = LOGINS[channel]
    for n in range(5):
        response = attempt(client, f"guess{n}@example.org", "wrong password!", ip="203.0.113.7")
        assert response.status_code == 401
    response = attempt(client, "guess99@example.org", "wrong password!", ip="203.0.113.7")
    assert response.status_code == 429


@pytest.mark.parametrize("channel", LOGINS)
def test_a_throttled_account_is_refused_even_with_the_right_password(channel, client, nurse):
    attempt = LOGINS[channel]
    for n in range(5):
        attempt(client, nurse.email, "wrong password!", ip=f"198.51.100.{n + 1}")
    response = attempt(client, nurse.email, PASSWORD, ip="198.51.100.99")
    assert response.status_code == 429


def test_bad_logins_for_one_account_do_not_throttle_another_from_another_address(
    client, nurse, coordinator
):
    for n in range(6):
        json_login(client, nurse.email, "wrong password!", ip=f"198.51.100.{n + 1}")
    response = json_login(client, coordinator.email, PASSWORD, ip="192.0.2.200")
    assert response.status_code == 200


def test_successful_logins_are_not_counted_against_the_limit(client, nurse):
    for _ in range(7):
        assert json_login(client, nurse.email, PASSWORD).status_code == 200


def test_the_json_answer_to_a_throttled_login_is_the_error_envelope(client):
    for n in range(6):
        response = json_login(client, f"guess{n}@example.org", "wrong password!")
    assert response.status_code == 429
    assert response.json["code"] == 429
    assert isinstance(response.json["message"], str)


# --- 4. No account enumeration ----------------------------------------------------------------


@pytest.fixture
def deactivated(factory, org):
    user = factory.user(org, "nurse")
    user.active = False
    db.session.flush()
    return user


def login_failures(attempt, client, nurse, deactivated):
    """Every failure that must not tell whether the account exists: a deactivated account
    with a wrong password included."""
    return {
        "unknown user": attempt(client, "nobody@example.org", PASSWORD, ip="192.0.2.10"),
        "wrong password": attempt(client, nurse.email, "not the password", ip="192.0.2.11"),
        "deactivated, wrong password": attempt(
            client, deactivated.email, "not the password", ip="192.0.2.12"
        ),
    }


def test_the_json_login_answers_unknown_user_wrong_password_and_deactivated_alike(
    client, nurse, deactivated
):
    answers = login_failures(json_login, client, nurse, deactivated)
    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(answers, 401)
    bodies = {json.dumps(r.json, sort_keys=True) for r in answers.values()}
    assert len(bodies) == 1


def test_the_login_form_answers_unknown_user_wrong_password_and_deactivated_alike(
    client, nurse, deactivated
):
    answers = login_failures(form_login, client, nurse, deactivated)
    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(answers, 401)
    messages = {
        tuple(re.findall(r'<p class="error" role="alert">([^<]*)</p>', page(r)))
        for r in answers.values()
    }
    assert messages == {("The email or the password is wrong.",)}


def test_the_login_form_tells_a_deactivated_user_so_after_the_right_password(client, deactivated):
    response = form_login(client, deactivated.email, PASSWORD)
    assert response.status_code == 401
    errors = re.findall(r'<p class="error" role="alert">([^<]*)</p>', page(response))
    assert errors == ["This account is deactivated. Ask an admin of your organisation."]
    assert client.get("/api/v1/auth/me").status_code == 401  # and is not let in


def test_the_json_login_tells_a_deactivated_user_so_after_the_right_password(client, deactivated):
    response = json_login(client, deactivated.email, PASSWORD)
    assert response.status_code == 401
    assert response.json["reason"] == "account_deactivated"
    assert response.json["message"] == (
        "This account is deactivated. Ask an admin of your organisation."
    )
    assert client.get("/api/v1/auth/me").status_code == 401


def test_a_deactivated_users_right_password_counts_against_the_login_limit(client, deactivated):
    for n in range(5):
        assert json_login(
            client, deactivated.email, PASSWORD, ip=f"198.51.100.{n}"
        ).status_code == (401)
    assert json_login(client, deactivated.email, PASSWORD, ip="198.51.100.99").status_code == 429


def test_every_login_path_costs_the_same_password_verifications(
    monkeypatch, client, nurse, deactivated
):
    """Unknown email, wrong password, deactivated (right or wrong password) and success each
    verify the same number of Argon2id hashes (LOGIN_VERIFICATIONS_FLOOR, since an address may
    have an account in several organisations: tests/auth/test_shared_email.py): the answer's
    timing tells nothing."""
    calls = []

    class CountingHasher:
        def __init__(self, real):
            self.real = real

        def verify(self, hash_, password):
            calls.append(hash_)
            return self.real.verify(hash_, password)

        def __getattr__(self, name):
            return getattr(self.real, name)

    real, dummy = passwords._current()
    monkeypatch.setattr(passwords, "_current", lambda: (CountingHasher(real), dummy))
    attempts = [
        ("nobody@example.org", PASSWORD),
        (nurse.email, "not the password"),
        (deactivated.email, "not the password"),
        (deactivated.email, PASSWORD),
        (nurse.email, PASSWORD),
    ]
    for n, (email, password) in enumerate(attempts):
        before = len(calls)
        json_login(client, email, password, ip=f"192.0.2.{n + 10}")
        assert len(calls) - before == LOGIN_VERIFICATIONS_FLOOR, email
    assert all(h.startswith("$argon2id$") for h in calls)


# --- 6. Sessions ------------------------------------------------------------------------------


def test_logging_in_gives_a_new_session_cookie(app, client, nurse):
    client.get("/login")
    before = session_cookie(app, client)
    assert before is not None
    json_login(client, nurse.email, PASSWORD)
    after = session_cookie(app, client)
    assert after is not None and after != before


def test_nothing_from_before_the_login_survives_in_the_session(client, nurse):
    with client.session_transaction() as session:
        session["planted_before_login"] = "attacker value"
        session["_user_id"] = "not-a-user"
    json_login(client, nurse.email, PASSWORD)
    with client.session_transaction() as session:
        assert "planted_before_login" not in session
        assert session["_user_id"] != "not-a-user"


def test_an_old_cookie_copied_before_logout_gets_401_from_the_api(app, nurse_client):
    stolen = app.test_client()
    copy_session(app, nurse_client.client, stolen)
    assert stolen.get("/api/v1/auth/me").status_code == 200
    assert nurse_client.post("/api/v1/auth/logout").status_code == 204
    assert stolen.get("/api/v1/auth/me").status_code == 401


def test_an_old_cookie_copied_before_logout_is_sent_to_the_login_page(app, nurse_client):
    stolen = app.test_client()
    copy_session(app, nurse_client.client, stolen)
    nurse_client.form_post("/logout", {})
    response = stolen.get("/clinics/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_logging_out_on_one_device_ends_the_session_on_every_device(login, nurse):
    laptop, phone = login(nurse), login(nurse)
    laptop.form_post("/logout", {})
    assert phone.get("/api/v1/auth/me").status_code == 401


def test_a_password_change_ends_every_session_of_the_user(login, nurse):
    laptop, phone = login(nurse), login(nurse)
    laptop.form_post("/account", {"current": PASSWORD, "new": NEW_PASSWORD})
    assert phone.get("/api/v1/auth/me").status_code == 401
    assert laptop.get("/api/v1/auth/me").status_code == 401


def test_an_admin_ending_all_sessions_logs_out_the_lost_phone(login, admin_client, nurse):
    phone = login(nurse)
    admin_client.form_post(f"/admin/users/{nurse.id}/end-sessions", {})
    assert phone.get("/api/v1/auth/me").status_code == 401


def test_after_all_sessions_are_ended_the_user_can_log_in_again(login, admin_client, nurse):
    login(nurse)
    admin_client.form_post(f"/admin/users/{nurse.id}/end-sessions", {})
    assert login(nurse).get("/api/v1/auth/me").status_code == 200


# --- 7. Idle and absolute timeouts ------------------------------------------------------------


class Clock:
    def __init__(self, start: float = 1_700_000_000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, *, minutes: float = 0, hours: float = 0) -> None:
        self.now += minutes * 60 + hours * 3600


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(access, "clock", fake)
    return fake


def test_a_session_idle_longer_than_the_idle_limit_ends(app, clock, login, nurse):
    phone = login(nurse)
    clock.advance(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
    assert phone.get("/api/v1/auth/me").status_code == 401


def test_a_session_idle_just_under_the_idle_limit_still_works(app, clock, login, nurse):
    phone = login(nurse)
    clock.advance(minutes=app.config["SESSION_IDLE_MINUTES"] - 1)
    assert phone.get("/api/v1/auth/me").status_code == 200


def test_an_idle_page_session_is_sent_to_the_login_page(app, clock, login, nurse):
    phone = login(nurse)
    clock.advance(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
    response = phone.get("/clinics/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_use_keeps_a_session_alive_past_the_idle_limit(app, clock, login, nurse):
    phone = login(nurse)
    step = app.config["SESSION_IDLE_MINUTES"] * 0.75
    for _ in range(2):
        clock.advance(minutes=step)
        assert phone.get("/api/v1/auth/me").status_code == 200


def test_a_session_in_use_ends_at_the_absolute_limit(app, clock, login, nurse):
    phone = login(nurse)
    absolute_minutes = app.config["SESSION_ABSOLUTE_HOURS"] * 60
    step = app.config["SESSION_IDLE_MINUTES"] / 2
    elapsed = 0.0
    while elapsed + step < absolute_minutes:
        clock.advance(minutes=step)
        elapsed += step
        assert phone.get("/api/v1/auth/me").status_code == 200
    clock.advance(minutes=absolute_minutes - elapsed + 1)
    assert phone.get("/api/v1/auth/me").status_code == 401


def test_the_idle_limit_comes_from_the_configuration(app, monkeypatch, clock, login, nurse):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 10)
    phone = login(nurse)
    clock.advance(minutes=11)
    assert phone.get("/api/v1/auth/me").status_code == 401


def test_a_copied_cookie_of_a_timed_out_session_stays_dead(app, clock, login, nurse):
    phone = login(nurse)
    stolen = app.test_client()
    copy_session(app, phone.client, stolen)
    clock.advance(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
    phone.get("/api/v1/auth/me")
    assert stolen.get("/api/v1/auth/me").status_code == 401


# --- 8 and 18. Cookies and production settings ------------------------------------------------


@pytest.fixture(scope="module")
def production_app(tmp_path_factory):
    """An app configured as in production, on its own database (its commits are real)."""
    prod = make_app(
        database_url(tmp_path_factory, "production"),
        OUTREACH_ENV="production",
        SESSION_COOKIE_SECURE=True,
        SECRET_KEY=PRODUCTION_KEY,
        TESTING=False,
    )
    with prod.app_context():
        upgrade()
        org = create_organisation("Production org", ["midtjylland"])
        from outreach.auth.services import create_user

        create_user(org, "nurse@production.example", PASSWORD, "nurse")
        db.session.commit()
    yield prod
    with prod.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_session_cookie_is_httponly_and_samesite_lax(app, client, nurse):
    response = json_login(client, nurse.email, PASSWORD)
    cookie = set_cookies(response)[app.config["SESSION_COOKIE_NAME"]]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_the_session_cookie_is_secure_in_production(production_app):
    client = production_app.test_client()
    response = client.post(
        "/api/v1/auth/login",
        json={"email": "nurse@production.example", "password": PASSWORD},
        base_url="https://localhost",
    )
    assert response.status_code == 200
    cookie = set_cookies(response)[production_app.config["SESSION_COOKIE_NAME"]]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_production_runs_without_debug(production_app):
    assert production_app.debug is False


@pytest.mark.parametrize(
    "secret_key",
    [DEFAULT_SECRET_KEY, "", None, "too-short-" + "x" * 21],
    ids=["default", "empty", "missing", "31 characters"],
)
def test_production_refuses_to_start_without_a_strong_secret_key(tmp_path, secret_key):
    with pytest.raises(ConfigurationError):
        make_app(
            "sqlite:///" + str(tmp_path / "never.sqlite3"),
            OUTREACH_ENV="production",
            SECRET_KEY=secret_key,
        )


def test_production_refuses_to_start_when_the_environment_sets_no_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("OUTREACH_ENV", raising=False)  # production is the default
    monkeypatch.setenv("OUTREACH_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigurationError):
        create_app({"DATABASE_URL": "sqlite:///" + str(tmp_path / "never.sqlite3")})


# --- 9. Deny by default -----------------------------------------------------------------------


def sample_url(rule) -> str:
    values = {}
    for name in rule.arguments:
        converter = type(rule._converters[name]).__name__
        values[name] = {
            "UUIDConverter": uuid.uuid4(),
            "IntegerConverter": 1,
            "FloatConverter": 1.0,
        }.get(converter, "x")
    return rule.build(values, append_unknown=False)[1]


def protected_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method, sample_url(rule)


def test_the_public_allow_list_names_routes_that_exist(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert PUBLIC_ENDPOINTS - endpoints == set()


def test_only_allow_listed_views_are_marked_public(app):
    marked = set()
    for endpoint, view in app.view_functions.items():
        view_class = getattr(view, "view_class", None)
        if getattr(view, "public", False) or getattr(view_class, "public", False):
            marked.add(endpoint)
    assert marked - PUBLIC_ENDPOINTS == set(), "add a new public route to PUBLIC_ENDPOINTS"


def test_every_other_route_answers_an_anonymous_request_with_401_or_the_login_page(app):
    wrong = []
    for rule, method, url in protected_routes(app):
        response = app.test_client().open(url, method=method)
        if url.startswith("/api/"):
            ok = response.status_code == 401 and response.json.get("code") == 401
        else:
            ok = response.status_code == 302 and response.headers["Location"].startswith("/login")
        if not ok:
            wrong.append(f"{method} {rule.rule} -> {response.status_code}")
    assert wrong == []


def test_the_public_routes_answer_without_a_login(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/login").status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200
    with client.get("/static/css/app.css") as response:  # a file answer: close it
        assert response.status_code == 200


# --- Roles ------------------------------------------------------------------------------------


def admin_routes(app, user_id, token_id):
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        values = {
            "user_id": user_id,
            "token_id": token_id,
            "session_id": token_id,
            "device_key_id": token_id,
        }
        url = rule.build({k: v for k, v in values.items() if k in rule.arguments})[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, url


@pytest.mark.parametrize("role", ["nurse", "coordinator"])
def test_only_admins_reach_the_admin_pages(app, login, factory, org, role):
    actor = login(factory.user(org, role))
    target = factory.user(org, "nurse")
    token, _ = create_token(target, "x")
    before = (target.role, target.active, target.session_version)
    answers = {
        f"{method} {url}": actor.client.open(
            url, method=method, headers={"X-CSRFToken": actor.csrf}
        ).status_code
        for method, url in admin_routes(app, target.id, token.id)
    }
    assert set(answers.values()) == {403}, answers
    target = reload(target)
    assert (target.role, target.active, target.session_version) == before
    assert db.session.get(ApiToken, token.id).revoked_at is None


def test_an_admin_opens_every_admin_page(app, admin_client, factory, org):
    target = factory.user(org, "nurse")
    for method, url in admin_routes(app, target.id, uuid.uuid4()):
        if method == "GET":
            assert admin_client.get(url).status_code == 200, url


def test_a_deactivated_user_cannot_log_in(client, deactivated):
    assert json_login(client, deactivated.email, PASSWORD).status_code == 401


def test_the_session_of_a_user_who_gets_deactivated_stops_working(login, admin_client, nurse):
    phone = login(nurse)
    admin_client.form_post(f"/admin/users/{nurse.id}/deactivate", {})
    assert phone.get("/api/v1/auth/me").status_code == 401


def test_a_deactivated_user_stays_out_even_if_deactivation_leaves_the_version_alone(login, nurse):
    phone = login(nurse)
    nurse.active = False  # as if changed outside set_active
    db.session.flush()
    assert phone.get("/api/v1/auth/me").status_code == 401


# --- 10. Tenant isolation (users) -------------------------------------------------------------


@pytest.fixture
def foreign_user(factory, other_org, login):
    user = factory.user(other_org, "nurse", email="foreign@example.org")
    create_token(user, "foreign script")
    return user


def snapshot(user: User):
    user = reload(user)
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all()
    return (
        user.organisation_id,
        user.role,
        user.active,
        user.session_version,
        user.password_hash,
        sorted((str(t.id), t.revoked_at) for t in tokens),
    )


def test_every_admin_route_answers_404_for_another_organisations_user(
    app, admin_client, foreign_user
):
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == foreign_user.id))
    answers = {
        f"{method} {url}": admin_client.client.open(
            url,
            method=method,
            headers={"X-CSRFToken": admin_client.csrf},
            data={"role": "admin", "name": "take over", "csrf_token": admin_client.csrf},
        ).status_code
        for method, url in admin_routes(app, foreign_user.id, token.id)
        if str(foreign_user.id) in url
    }
    assert answers and set(answers.values()) == {404}, answers


def test_another_organisations_user_is_unchanged_by_the_admin_routes(
    app, admin_client, foreign_user
):
    before = snapshot(foreign_user)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == foreign_user.id))
    for method, url in admin_routes(app, foreign_user.id, token.id):
        if str(foreign_user.id) in url:
            admin_client.client.open(
                url,
                method=method,
                headers={"X-CSRFToken": admin_client.csrf},
                data={"role": "admin", "name": "take over"},
            )
    assert snapshot(foreign_user) == before
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 1


def test_another_organisations_session_survives_an_end_sessions_attempt(
    admin_client, login, foreign_user
):
    phone = login(foreign_user)
    admin_client.form_post(f"/admin/users/{foreign_user.id}/end-sessions", {})
    assert phone.get("/api/v1/auth/me").status_code == 200


def test_another_organisations_user_page_does_not_reveal_the_user(admin_client, foreign_user):
    response = admin_client.get(f"/admin/users/{foreign_user.id}")
    assert response.status_code == 404
    assert foreign_user.email not in page(response)


# --- 11. CSRF ---------------------------------------------------------------------------------


def test_a_cookie_authenticated_form_post_without_the_csrf_token_gets_400(nurse_client):
    response = nurse_client.client.post("/logout")
    assert response.status_code == 400
    assert nurse_client.get("/api/v1/auth/me").status_code == 200


def test_the_add_user_form_without_the_csrf_token_gets_400_and_adds_nobody(admin_client):
    response = admin_client.client.post(
        "/admin/users/new",
        data={"email": "x@example.org", "role": "admin", "password": NEW_PASSWORD},
    )
    assert response.status_code == 400
    assert db.session.scalar(select(User).where(User.email == "x@example.org")) is None


def test_a_form_post_with_another_sessions_csrf_token_gets_400(login, nurse, coordinator):
    victim, attacker = login(nurse), login(coordinator)
    response = victim.client.post("/logout", data={"csrf_token": attacker.csrf})
    assert response.status_code == 400


def test_a_json_write_without_the_csrf_header_gets_400_and_stores_nothing(coordinator_client, org):
    response = coordinator_client.client.put(f"/api/v1/clinics/{uuid.uuid4()}", json=clinic_body())
    assert response.status_code == 400
    assert response.json["code"] == 400
    assert clinics_in(org) == 0


def test_a_json_write_with_a_forged_csrf_header_gets_400(coordinator_client, org):
    response = coordinator_client.client.put(
        f"/api/v1/clinics/{uuid.uuid4()}",
        json=clinic_body(),
        headers={"X-CSRFToken": "forged-token"},
    )
    assert response.status_code == 400
    assert clinics_in(org) == 0


def test_a_json_write_with_the_csrf_header_is_accepted(coordinator_client, org):
    response = coordinator_client.put(f"/api/v1/clinics/{uuid.uuid4()}", json=clinic_body())
    assert response.status_code == 201
    assert clinics_in(org) == 1


def test_a_bearer_token_write_needs_no_csrf_token(client, coordinator, org):
    _, plain = create_token(coordinator, "integration")
    response = client.put(
        f"/api/v1/clinics/{uuid.uuid4()}",
        json=clinic_body(),
        headers={"Authorization": f"Bearer {plain}"},
    )
    assert response.status_code == 201
    assert clinics_in(org) == 1


def test_a_junk_bearer_header_does_not_turn_a_cookie_session_into_a_csrf_free_one(
    coordinator_client, org
):
    response = coordinator_client.client.put(
        f"/api/v1/clinics/{uuid.uuid4()}",
        json=clinic_body(),
        headers={"Authorization": "Bearer otk_not-a-real-token"},
    )
    assert response.status_code == 401
    assert clinics_in(org) == 0


# --- 12. Mass assignment ----------------------------------------------------------------------


@pytest.mark.parametrize("field", ["organisation_id", "id", "role"])
def test_a_clinic_body_naming_a_protected_field_is_refused_and_nothing_stored(
    coordinator_client, org, other_org, field
):
    value = {"organisation_id": str(other_org.id), "id": str(uuid.uuid4()), "role": "admin"}
    clinic_id = uuid.uuid4()
    response = coordinator_client.put(
        f"/api/v1/clinics/{clinic_id}", json=clinic_body(**{field: value[field]})
    )
    assert response.status_code == 422
    assert field in response.json["errors"]
    assert clinics_in(org) == 0 and clinics_in(other_org) == 0
    assert db.session.get(Clinic, clinic_id) is None


def test_an_existing_clinic_cannot_be_moved_to_another_organisation(
    coordinator_client, factory, org, other_org
):
    clinic = factory.clinic(org)
    response = coordinator_client.put(
        f"/api/v1/clinics/{clinic.id}",
        json=clinic_body(organisation_id=str(other_org.id)),
    )
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Clinic, clinic.id).organisation_id == org.id


# --- 13. Body size ----------------------------------------------------------------------------


def test_max_content_length_is_set(app):
    assert 0 < app.config["MAX_CONTENT_LENGTH"] <= 16 * 1024 * 1024


def test_an_oversize_json_body_gets_413(app, coordinator_client, org):
    oversize = app.config["MAX_CONTENT_LENGTH"] + 1
    response = coordinator_client.put(
        f"/api/v1/clinics/{uuid.uuid4()}",
        data=b'{"name": "' + b"x" * oversize + b'"}',
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response.json["code"] == 413
    assert clinics_in(org) == 0


def test_an_oversize_form_post_gets_413(app, admin_client):
    oversize = app.config["MAX_CONTENT_LENGTH"] + 1
    response = admin_client.form_post(
        "/admin/users/new", {"email": "big@example.org", "name": "x" * oversize}
    )
    assert response.status_code == 413
    assert db.session.scalar(select(User).where(User.email == "big@example.org")) is None


# --- 15. Generic errors -----------------------------------------------------------------------

SECRET_DETAIL = "internal-detail-4f1c9"


@pytest.fixture(scope="module")
def failing_app(tmp_path_factory):
    """An app with two routes that fail on purpose; it never touches its database."""
    failing = make_app(
        "sqlite:///" + str(tmp_path_factory.mktemp("failing") / "unused.sqlite3"),
        TESTING=False,
    )

    @permissions.public
    def explode():
        raise RuntimeError(f"boom: {SECRET_DETAIL} at /srv/outreach/secret.py")

    failing.add_url_rule("/explode", "explode", explode)
    failing.add_url_rule("/api/v1/explode", "api_explode", explode)
    yield failing


def assert_generic(text: str) -> None:
    assert SECRET_DETAIL not in text
    assert "Traceback" not in text
    assert "RuntimeError" not in text
    assert ".py" not in text


def test_an_unknown_page_shows_the_generic_not_found_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "The page was not found." in page(response)
    assert_generic(page(response))


def test_an_unknown_api_path_answers_the_404_envelope(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json["code"] == 404
    assert set(response.json) <= {"code", "message", "errors"}


def test_a_server_error_on_a_page_shows_no_stack_trace_or_exception_text(failing_app):
    response = failing_app.test_client().get("/explode")
    assert response.status_code == 500
    assert "Something went wrong" in page(response)
    assert_generic(page(response))


def test_a_server_error_in_the_api_answers_the_envelope_without_details(failing_app):
    response = failing_app.test_client().get("/api/v1/explode")
    assert response.status_code == 500
    assert response.json["code"] == 500
    assert_generic(json.dumps(response.json))


def test_the_log_keeps_what_the_error_page_hides(failing_app, caplog):
    failing_app.test_client().get("/explode")
    assert SECRET_DETAIL in caplog.text


# --- 16. Security headers ---------------------------------------------------------------------


@pytest.fixture(params=["page", "api"])
def answer(request, nurse_client):
    url = {"page": "/clinics/", "api": "/api/v1/auth/me"}[request.param]
    response = nurse_client.get(url, base_url="https://localhost")
    assert response.status_code == 200
    return response


def csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    directives = (d.strip().split(None, 1) for d in policy.split(";") if d.strip())
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives}


def test_the_content_security_policy_allows_no_inline_code(answer):
    policy = csp(answer)
    assert "'unsafe-inline'" not in answer.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in answer.headers["Content-Security-Policy"]
    assert policy["script-src"] == "'self'"
    assert policy["default-src"] == "'self'"
    assert policy["object-src"] == "'none'"


def test_https_answers_carry_hsts(answer):
    hsts = answer.headers["Strict-Transport-Security"]
    max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))
    assert max_age >= 180 * 24 * 3600


def test_answers_forbid_content_type_sniffing(answer):
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_answers_send_no_referrer(answer):
    assert answer.headers["Referrer-Policy"] == "no-referrer"


def test_answers_cannot_be_framed(answer):
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert csp(answer)["frame-ancestors"] == "'none'"


def test_authenticated_answers_are_never_cached(answer):
    assert answer.headers["Cache-Control"] == "no-store"


def test_the_login_page_carries_the_security_headers(client):
    response = client.get("/login", base_url="https://localhost")
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" in response.headers


# --- 20. Audit events of accounts -------------------------------------------------------------


def test_a_login_writes_exactly_one_event(client, nurse):
    before = count_events("auth.login")
    json_login(client, nurse.email, PASSWORD)
    assert count_events("auth.login") == before + 1


def test_a_form_login_writes_exactly_one_event(client, nurse):
    before = count_events("auth.login")
    form_login(client, nurse.email, PASSWORD)
    assert count_events("auth.login") == before + 1


def test_a_failed_login_writes_exactly_one_event(client, nurse):
    before = count_events("auth.login_failed")
    json_login(client, nurse.email, "not the password")
    assert count_events("auth.login_failed") == before + 1


def test_a_failed_login_for_an_unknown_email_writes_exactly_one_event(client):
    before = count_events("auth.login_failed")
    json_login(client, "nobody@example.org", PASSWORD)
    assert count_events("auth.login_failed") == before + 1


def test_adding_a_user_writes_exactly_one_event(admin_client, org):
    before = count_events("user.create")
    admin_client.form_post(
        "/admin/users/new",
        {"email": "new@example.org", "name": "", "role": "nurse", "password": NEW_PASSWORD},
    )
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.create").order_by(AuditEvent.at)
    ).all()[-1]
    assert count_events("user.create") == before + 1
    assert event.user_id == admin_client.user.id
    assert event.organisation_id == org.id


def test_a_role_change_writes_exactly_one_event(admin_client, nurse):
    before = count_events("user.role_change")
    admin_client.form_post(f"/admin/users/{nurse.id}/role", {"role": "coordinator"})
    assert count_events("user.role_change") == before + 1


def test_a_deactivation_writes_exactly_one_event(admin_client, nurse):
    before = count_events("user.deactivate")
    admin_client.form_post(f"/admin/users/{nurse.id}/deactivate", {})
    assert count_events("user.deactivate") == before + 1


def test_a_reactivation_writes_exactly_one_event(admin_client, nurse):
    admin_client.form_post(f"/admin/users/{nurse.id}/deactivate", {})
    before = count_events("user.activate")
    admin_client.form_post(f"/admin/users/{nurse.id}/reactivate", {})
    assert count_events("user.activate") == before + 1


def test_ending_all_sessions_writes_exactly_one_event(admin_client, nurse):
    before = count_events("auth.revoke")
    admin_client.form_post(f"/admin/users/{nurse.id}/end-sessions", {})
    assert count_events("auth.revoke") == before + 1


def test_creating_a_token_writes_exactly_one_event(nurse_client):
    before = count_events("token.create")
    nurse_client.form_post("/account/tokens", {"name": "script"})
    assert count_events("token.create") == before + 1


def test_revoking_a_token_writes_exactly_one_event(admin_client, nurse):
    token, _ = create_token(nurse, "script")
    before = count_events("token.revoke")
    admin_client.form_post(f"/admin/users/{nurse.id}/tokens/{token.id}/revoke", {})
    admin_client.form_post(f"/admin/users/{nurse.id}/tokens/{token.id}/revoke", {})
    assert count_events("token.revoke") == before + 1


def test_audit_details_never_hold_a_password_or_a_token(admin_client, login, client, nurse):
    admin_client.form_post(
        "/admin/users/new",
        {"email": "new@example.org", "name": "", "role": "nurse", "password": NEW_PASSWORD},
    )
    json_login(client, nurse.email, "a wrong password guess")
    response = login(nurse).form_post("/account/tokens", {"name": "script"})
    plain = re.search(r'class="token-once">([^<]+)<', page(response)).group(1)
    rows = db.session.scalars(select(AuditEvent)).all()
    dumped = json.dumps([[e.action, e.object_id, e.details] for e in rows], default=str)
    for secret in (NEW_PASSWORD, PASSWORD, "a wrong password guess", plain, plain[4:]):
        assert secret not in dumped


# --- Services the pages rely on ---------------------------------------------------------------


def test_end_all_sessions_makes_every_earlier_session_id_invalid(nurse):
    from outreach.auth.queries import load_session_user
    from outreach.auth.services import start_user_session

    old_id, old_row = nurse.get_id(), start_user_session(nurse, "")
    end_all_sessions(nurse, reason="revoke")
    assert old_row.ended_at is not None
    assert load_session_user(old_id, old_row.id) is None
    assert load_session_user(nurse.get_id(), old_row.id) is None
    new_row = start_user_session(nurse, "")
    assert load_session_user(nurse.get_id(), new_row.id) == (nurse, new_row, None)


def test_set_active_false_ends_the_sessions_too(nurse, admin):
    old_id = nurse.get_id()
    set_active(nurse, False, actor=admin)
    assert nurse.get_id() != old_id


def test_a_refused_access_writes_one_audit_event(nurse_client, nurse):
    from sqlalchemy import select

    from outreach.audit.models import AuditEvent
    from outreach.db import db

    assert nurse_client.get("/admin/users").status_code == 403
    events = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "access.denied", AuditEvent.user_id == nurse.id
        )
    ).all()
    assert len(events) == 1
    assert events[0].details == {"endpoint": "admin.users", "method": "GET"}
