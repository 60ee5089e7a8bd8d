"""The `flask --app outreach ...` commands of DESIGN.md §4: create-org, create-user,
create-token and demo."""

import uuid

import pytest
from sqlalchemy import func, select

from outreach import demo
from outreach.auth import second_factor
from outreach.auth.models import User
from outreach.auth.queries import find_users_by_email
from outreach.auth.services import authenticate
from outreach.clinics.models import Clinic
from outreach.db import db
from outreach.denmark import in_denmark, region_for_postcode
from outreach.orgs.models import Organisation
from outreach.orgs.queries import find_organisation
from tests.conftest import PASSWORD, rolled_back


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def last_line(output: str) -> str:
    return output.rstrip("\n").splitlines()[-1]


# --- create-org ----------------------------------------------------------------------------


def test_create_org_creates_an_organisation_with_its_regions(runner):
    result = runner.invoke(
        args=["create-org", "Gadeteam Nord", "--region", "nordjylland", "--region", "midtjylland"]
    )

    assert result.exit_code == 0, result.output
    assert sorted(find_organisation("Gadeteam Nord").region_slugs) == [
        "midtjylland",
        "nordjylland",
    ]


def test_create_org_refuses_an_unknown_region_naming_the_valid_ones(runner):
    result = runner.invoke(args=["create-org", "Gadeteam", "--region", "jylland"])

    assert result.exit_code != 0
    assert "jylland" in result.output
    assert "nordjylland" in result.output
    assert "Traceback" not in result.output
    assert find_organisation("Gadeteam") is None


def test_create_org_refuses_a_name_that_is_taken(runner, org):
    result = runner.invoke(args=["create-org", org.name, "--region", "sjaelland"])

    assert result.exit_code != 0
    assert "already exists" in result.output
    assert count(Organisation) == 1


def test_create_org_needs_a_region(runner):
    result = runner.invoke(args=["create-org", "Gadeteam"])

    assert result.exit_code != 0
    assert "--region" in result.output
    assert find_organisation("Gadeteam") is None


def test_create_org_refuses_an_empty_name(runner):
    result = runner.invoke(args=["create-org", "  ", "--region", "sjaelland"])

    assert result.exit_code != 0
    assert "name" in result.output
    assert count(Organisation) == 0


# --- create-user ---------------------------------------------------------------------------


def test_create_user_reads_the_password_from_standard_input(runner, org):
    result = runner.invoke(
        args=["create-user", "Nina@Example.org", "--org", org.name, "--role", "nurse"],
        input=PASSWORD + "\n",
    )

    assert result.exit_code == 0, result.output
    user = authenticate("nina@example.org", PASSWORD)
    assert (user.role, user.organisation_id) == ("nurse", org.id)


def test_create_user_never_prints_the_password(runner, org):
    result = runner.invoke(
        args=["create-user", "nina@example.org", "--org", org.name, "--role", "nurse"],
        input=PASSWORD + "\n",
    )

    assert PASSWORD not in result.output


def test_create_user_takes_no_password_on_the_command_line(runner, org):
    result = runner.invoke(
        args=[
            "create-user",
            "nina@example.org",
            "--org",
            org.name,
            "--role",
            "nurse",
            "--password",
            PASSWORD,
        ],
        input=PASSWORD + "\n",
    )

    assert result.exit_code != 0
    assert find_users_by_email("nina@example.org") == []


def test_create_user_prompts_twice_for_a_hidden_password_on_a_terminal(monkeypatch):
    from outreach import cli

    class Terminal:
        def isatty(self):
            return True

    prompts = []

    def prompt(text, **kwargs):
        prompts.append((text, kwargs))
        return PASSWORD

    monkeypatch.setattr(cli.sys, "stdin", Terminal())
    monkeypatch.setattr(cli.click, "prompt", prompt)

    assert cli._read_password() == PASSWORD
    assert prompts == [("Password", {"hide_input": True, "confirmation_prompt": True})]


@pytest.mark.parametrize(
    ("password", "message"),
    [("short", "12 characters"), ("password1234", "too common"), ("", "12 characters")],
    ids=["too short", "too common", "empty"],
)
def test_create_user_refuses_a_weak_password_saying_why(runner, org, password, message):
    result = runner.invoke(
        args=["create-user", "nina@example.org", "--org", org.name, "--role", "nurse"],
        input=password + "\n",
    )

    assert result.exit_code != 0
    assert message in result.output
    assert find_users_by_email("nina@example.org") == []


def test_create_user_refuses_an_unknown_organisation(runner):
    result = runner.invoke(
        args=["create-user", "nina@example.org", "--org", "No Such Org", "--role", "nurse"],
        input=PASSWORD + "\n",
    )

    assert result.exit_code != 0
    assert "No Such Org" in result.output
    assert find_users_by_email("nina@example.org") == []


def test_create_user_refuses_an_unknown_role(runner, org):
    result = runner.invoke(
        args=["create-user", "nina@example.org", "--org", org.name, "--role", "boss"],
        input=PASSWORD + "\n",
    )

    assert result.exit_code != 0
    assert "nurse" in result.output
    assert find_users_by_email("nina@example.org") == []


def test_create_user_refuses_an_email_that_is_taken(runner, org, nurse):
    result = runner.invoke(
        args=["create-user", nurse.email, "--org", org.name, "--role", "admin"],
        input=PASSWORD + "\n",
    )

    assert result.exit_code != 0
    assert "already exists" in result.output
    assert [u.role for u in find_users_by_email(nurse.email)] == ["nurse"]


# --- create-token --------------------------------------------------------------------------


def test_create_token_prints_the_token_alone_on_the_last_line(runner, nurse):
    result = runner.invoke(args=["create-token", nurse.email])

    assert result.exit_code == 0, result.output
    token = last_line(result.output)
    assert token.startswith("otk_")
    assert " " not in token


def test_the_printed_token_works_as_a_bearer_token(app, runner, coordinator):
    token = last_line(runner.invoke(args=["create-token", coordinator.email]).output)

    response = app.test_client().get(
        "/api/v1/clinics", headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 200


def test_each_token_is_new(runner, nurse):
    first = last_line(runner.invoke(args=["create-token", nurse.email]).output)
    second = last_line(runner.invoke(args=["create-token", nurse.email]).output)

    assert first != second


def test_create_token_refuses_an_unknown_email(runner):
    result = runner.invoke(args=["create-token", "nobody@example.org"])

    assert result.exit_code != 0
    assert "nobody@example.org" in result.output


def test_create_token_refuses_a_deactivated_user(runner, nurse):
    nurse.active = False
    db.session.flush()

    result = runner.invoke(args=["create-token", nurse.email])

    assert result.exit_code != 0
    assert "No active user" in result.output
    assert "otk_" not in result.output


def test_create_token_asks_which_organisation_when_the_email_has_several(
    runner, nurse, factory, other_org
):
    theirs = factory.user(other_org, "coordinator", email=nurse.email)

    ambiguous = runner.invoke(args=["create-token", nurse.email])
    chosen = runner.invoke(args=["create-token", nurse.email, "--org", other_org.name])

    assert ambiguous.exit_code != 0 and "--org" in ambiguous.output
    assert "otk_" not in ambiguous.output
    assert chosen.exit_code == 0, chosen.output
    assert "(coordinator)" in chosen.output and theirs.role == "coordinator"


# --- demo ----------------------------------------------------------------------------------


@pytest.fixture(scope="class")
def demo_loaded(_app):
    """`demo` run once for the tests of a class, rolled back after them; each test (with the
    `app` fixture) works on a savepoint of it."""
    with rolled_back(_app):
        result = _app.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        yield result


def demo_clinics(org_name: str) -> list[Clinic]:
    org = find_organisation(org_name)
    return list(db.session.scalars(select(Clinic).where(Clinic.organisation_id == org.id)))


@pytest.mark.usefixtures("app")
class TestWithTheDemoLoaded:
    """The demo loaded once (see demo_loaded); what each test writes is rolled back."""

    def test_demo_prints_the_logins_and_their_password(self, demo_loaded):
        for _, email in demo.LOGINS:
            assert email in demo_loaded.output
        assert demo.DEMO_PASSWORD in demo_loaded.output

    def test_demo_logins_work_with_the_printed_password(self, demo_loaded):
        for email in ("nurse@demo.outreach.dk", "coordinator@syd.outreach.dk"):
            assert authenticate(email, demo.DEMO_PASSWORD) is not None

    def test_demo_creates_about_250_clinics_for_the_main_organisation(self, demo_loaded):
        assert 240 <= len(demo_clinics(demo.MAIN_ORG)) <= 270

    def test_the_main_demo_organisation_covers_nordjylland_midtjylland_and_sjaelland(
        self, demo_loaded
    ):
        org = find_organisation(demo.MAIN_ORG)

        assert sorted(org.region_slugs) == ["midtjylland", "nordjylland", "sjaelland"]
        assert {c.region_slug for c in demo_clinics(demo.MAIN_ORG)} == {
            "midtjylland",
            "nordjylland",
            "sjaelland",
        }

    def test_the_second_demo_organisation_is_small_and_in_syddanmark(self, demo_loaded):
        org = find_organisation(demo.SECOND_ORG)
        clinics = demo_clinics(demo.SECOND_ORG)

        assert org.region_slugs == ["syddanmark"]
        assert 0 < len(clinics) < 50
        assert {c.region_slug for c in clinics} == {"syddanmark"}

    def test_every_demo_clinic_lies_in_denmark(self, demo_loaded):
        clinics = db.session.scalars(select(Clinic)).all()

        assert [c.name for c in clinics if not in_denmark(c.lat, c.lon)] == []

    def test_every_demo_clinics_region_matches_its_postcode(self, demo_loaded):
        clinics = db.session.scalars(select(Clinic)).all()

        assert [c.name for c in clinics if region_for_postcode(c.postcode) != c.region_slug] == []

    def test_demo_clinics_are_not_on_islands_without_a_bridge(self, demo_loaded):
        # Anholt and Læsø are Danish towns in the table, but a demo route cannot drive there.
        assert {c.postcode for c in db.session.scalars(select(Clinic))} & {"8592", "9940"} == set()

    def test_demo_enrols_the_coordinators_and_the_admin_and_prints_their_secrets(self, demo_loaded):
        enrolled = {email for email, _, _ in demo.second_factors()}
        assert enrolled == {
            "coordinator@demo.outreach.dk",
            "admin@demo.outreach.dk",
            "coordinator@syd.outreach.dk",
        }
        for _email, secret, uri in demo.second_factors():
            assert secret in demo_loaded.output
            assert uri in demo_loaded.output
            assert uri.startswith("otpauth://totp/Outreach:")
        (nurse,) = find_users_by_email("nurse@demo.outreach.dk")
        assert not second_factor.is_enrolled(nurse)

    def test_totp_code_prints_the_current_code_of_a_demo_coordinator(
        self, runner, demo_loaded, monkeypatch
    ):
        monkeypatch.setattr(second_factor, "clock", lambda: 1_800_000_000.0)
        (user,) = find_users_by_email("coordinator@demo.outreach.dk")
        expected = second_factor.code_at(second_factor.enrolled_factor(user), 1_800_000_000.0)

        result = runner.invoke(args=["totp-code", "coordinator@demo.outreach.dk"])

        assert result.exit_code == 0, result.output
        assert result.output.strip() == expected

    def test_demo_force_on_a_database_with_the_demo_refuses_cleanly(self, runner, demo_loaded):
        clinics = count(Clinic)

        result = runner.invoke(args=["demo", "--force"])

        assert result.exit_code != 0
        assert "loaded already" in result.output
        assert count(Clinic) == clinics

    def test_demo_if_empty_prints_the_logins_without_loading_twice(self, runner, demo_loaded):
        clinics, users = count(Clinic), count(User)

        result = runner.invoke(args=["demo", "--if-empty"])

        assert result.exit_code == 0, result.output
        assert "nurse@demo.outreach.dk" in result.output
        assert (count(Clinic), count(User)) == (clinics, users)


def test_totp_code_is_refused_in_production(tmp_path):
    from tests.conftest import make_app

    production = make_app(
        "sqlite:///" + str(tmp_path / "unused.sqlite3"),
        OUTREACH_ENV="production",
        SECRET_KEY="x" * 16 + uuid.uuid4().hex,
        SESSION_COOKIE_SECURE=True,
    )
    with production.app_context():
        result = production.test_cli_runner().invoke(args=["totp-code", "anyone@example.org"])
    assert result.exit_code != 0
    assert "development only" in result.output


def test_totp_code_says_when_the_user_has_no_second_factor(runner, nurse):
    result = runner.invoke(args=["totp-code", nurse.email])
    assert result.exit_code != 0
    assert "no second factor" in result.output


def test_reset_second_factor_removes_an_admins_factor_and_audits_it(runner, admin):
    from outreach.audit.models import AuditEvent

    result = runner.invoke(args=["reset-second-factor", admin.email])

    assert result.exit_code == 0, result.output
    assert not second_factor.is_enrolled(admin)
    (event,) = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.second_factor_reset")
    )
    assert (event.user_id, event.object_id) == (None, str(admin.id))
    assert event.details == {"via": "command line"}
    again = runner.invoke(args=["reset-second-factor", admin.email])
    assert "nothing was changed" in again.output


def test_demo_refuses_a_database_that_has_data(runner, org):
    result = runner.invoke(args=["demo"])

    assert result.exit_code != 0
    assert "--force" in result.output
    assert find_organisation(demo.MAIN_ORG) is None


def test_demo_force_adds_the_demo_to_a_database_that_has_data(runner, org):
    result = runner.invoke(args=["demo", "--force"])

    assert result.exit_code == 0, result.output
    assert find_organisation(demo.MAIN_ORG) is not None


def test_demo_if_empty_loads_an_empty_database(runner):
    result = runner.invoke(args=["demo", "--if-empty"])

    assert result.exit_code == 0, result.output
    assert find_organisation(demo.MAIN_ORG) is not None


def test_demo_if_empty_on_a_database_without_the_demo_prints_no_demo_logins(runner, org):
    result = runner.invoke(args=["demo", "--if-empty"])

    assert result.exit_code == 0, result.output
    assert "nurse@demo.outreach.dk" not in result.output
    assert find_organisation(demo.MAIN_ORG) is None


def test_demo_refuses_cleanly_when_a_demo_email_is_taken(runner, factory, org):
    factory.user(org, "nurse", email="nurse@demo.outreach.dk")

    result = runner.invoke(args=["demo", "--force"])

    assert result.exit_code != 0
    assert "nurse@demo.outreach.dk already exists" in result.output
