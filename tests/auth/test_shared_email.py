"""One e-mail address, accounts in several organisations (issue 11 item 8).

An admin adding an address that has an account in another organisation gets exactly the
answer a fresh address gets; each account logs in with its own password, by the login page
and the JSON login; every attempt verifies the same number of password hashes whatever the
address; the throttle still counts per address."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from outreach.auth import services
from outreach.auth.models import User
from outreach.db import db
from tests.admin.test_pages import add_user_form
from tests.auth.test_login import login_form
from tests.conftest import PASSWORD, login_body

SHARED = "shared.nurse@example.org"
THEIR_PASSWORD = "their own long passphrase 77"
OUR_PASSWORD = "a long and unusual passphrase 42"  # add_user_form's


@pytest.fixture
def theirs(factory, other_org):
    return factory.user(other_org, "coordinator", email=SHARED, password=THEIR_PASSWORD)


def in_org(org) -> User | None:
    stmt = select(User).where(User.email == SHARED, User.organisation_id == org.id)
    return db.session.scalar(stmt)


def visible(response, client) -> tuple[int, str]:
    """The status and what the admin reads on the page she lands on, the ids and the
    address taken out."""
    assert response.status_code in (303, 422), response.status_code
    if response.status_code == 303:
        landed = client.get(response.headers["Location"])
        text = landed.get_data(as_text=True)
    else:
        text = response.get_data(as_text=True)
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "ID", text)
    text = re.sub(r'name="csrf_token"[^>]*value="[^"]*"', "CSRF", text)
    text = re.sub(r'value="[^"]*" name="csrf_token"', "CSRF", text)
    return response.status_code, text.replace(SHARED, "EMAIL").replace("fresh@example.org", "EMAIL")


def test_adding_an_address_of_another_organisation_answers_as_for_a_fresh_one(
    admin_client, org, theirs
):
    shared = admin_client.form_post("/admin/users/new", add_user_form(email=SHARED))
    shared_seen = visible(shared, admin_client)
    fresh = admin_client.form_post("/admin/users/new", add_user_form(email="fresh@example.org"))

    assert shared_seen == visible(fresh, admin_client)
    assert shared.status_code == 303
    ours = in_org(org)
    assert ours is not None and ours.id != theirs.id


def test_the_same_address_twice_in_one_organisation_is_still_refused(admin_client, colleague):
    response = admin_client.form_post("/admin/users/new", add_user_form(email=colleague.email))

    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)


@pytest.fixture
def colleague(factory, org):
    return factory.user(org, "nurse", email="colleague@example.org")


@pytest.fixture
def ours(admin_client, org, theirs):
    added = admin_client.form_post("/admin/users/new", add_user_form(email=SHARED))
    assert added.status_code == 303
    return in_org(org)


def test_each_account_logs_in_with_its_own_password_on_the_login_page(app, ours, theirs):
    for password, account in ((OUR_PASSWORD, ours), (THEIR_PASSWORD, theirs)):
        client = app.test_client()
        assert login_form(client, SHARED, password).status_code == 302
        me = client.get("/api/v1/auth/me").json
        assert (me["id"], me["organisation_id"]) == (str(account.id), str(account.organisation_id))


def test_each_account_logs_in_with_its_own_password_by_json(app, ours, theirs):
    for password, account in ((OUR_PASSWORD, ours), (THEIR_PASSWORD, theirs)):
        client = app.test_client()
        answer = client.post("/api/v1/auth/login", json=login_body(account, password))
        assert answer.status_code == 200
        assert answer.json["id"] == str(account.id)
    wrong = app.test_client().post(
        "/api/v1/auth/login", json={"email": SHARED, "password": "neither of the two passwords"}
    )
    assert wrong.status_code == 401


def test_a_password_that_opens_two_accounts_logs_in_to_the_one_used_last(ours, theirs):
    ours.password_hash = theirs.password_hash
    db.session.flush()

    assert services.authenticate(SHARED, THEIR_PASSWORD) == theirs  # neither used: the oldest
    services.complete_login(theirs)
    ours.last_login_at = theirs.last_login_at + timedelta(minutes=1)
    assert services.authenticate(SHARED, THEIR_PASSWORD) == ours


def test_a_deactivated_account_does_not_hide_the_active_one(ours, theirs):
    theirs.active = False
    db.session.flush()

    assert services.authenticate(SHARED, OUR_PASSWORD) == ours
    with pytest.raises(services.AccountDeactivated):
        services.authenticate(SHARED, THEIR_PASSWORD)


def verifications(monkeypatch, email, password) -> int:
    calls = []
    real = services.verify_password

    def counted(*args):
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(services, "verify_password", counted)
    services.authenticate(email, password)
    monkeypatch.setattr(services, "verify_password", real)
    return len(calls)


def test_every_attempt_verifies_the_same_number_of_hashes(monkeypatch, factory, org, theirs):
    single = factory.user(org, "nurse")
    alone = [
        verifications(monkeypatch, "nobody@example.org", "whatever it is"),
        verifications(monkeypatch, single.email, "a wrong password"),
        verifications(monkeypatch, single.email, PASSWORD),
        verifications(monkeypatch, SHARED, THEIR_PASSWORD),
    ]
    # A second account for the shared address changes nothing, for it or for anyone else.
    factory.user(org, "nurse", email=SHARED, password=OUR_PASSWORD)
    shared = [
        verifications(monkeypatch, "nobody@example.org", "whatever it is"),
        verifications(monkeypatch, single.email, PASSWORD),
        verifications(monkeypatch, SHARED, THEIR_PASSWORD),
        verifications(monkeypatch, SHARED, OUR_PASSWORD),
        verifications(monkeypatch, SHARED, "a wrong password"),
    ]

    assert set(alone) == set(shared) == {services.LOGIN_VERIFICATIONS_FLOOR}


def test_more_accounts_than_the_floor_raise_every_attempts_work_alike(monkeypatch, factory, theirs):
    for _ in range(services.LOGIN_VERIFICATIONS_FLOOR):
        factory.user(factory.organisation(), "nurse", email=SHARED, password=OUR_PASSWORD)
    most = services.LOGIN_VERIFICATIONS_FLOOR + 1

    assert verifications(monkeypatch, "nobody@example.org", "whatever it is") == most
    assert verifications(monkeypatch, SHARED, THEIR_PASSWORD) == most


def test_the_throttle_counts_per_email_across_its_accounts(app, ours, theirs, factory, org):
    other = factory.user(org, "nurse")

    def attempt(email, password, address):
        client = app.test_client()
        return client.post(
            "/api/v1/auth/login",
            json={"email": email, "password": password},
            environ_base={"REMOTE_ADDR": address},
        )

    guesses = [attempt(SHARED, f"wrong guess {n}", f"198.51.100.{n}") for n in range(5)]
    assert [a.status_code for a in guesses] == [401] * 5

    # Either account's right password is refused now: the count is the e-mail's.
    assert attempt(SHARED, OUR_PASSWORD, "198.51.100.20").status_code == 429
    assert attempt(SHARED, THEIR_PASSWORD, "198.51.100.21").status_code == 429
    assert attempt(other.email, PASSWORD, "198.51.100.22").status_code == 200
