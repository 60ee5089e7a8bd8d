"""Every sensitive request writes exactly the audit events it should (SECURITY.md 20): logins
and failed logins, logouts, refused access (403, another organisation's id, a refused CSRF
token), every read of a person's record or of a list of them, every export and every admin
action. One event per read or action: a page that shows two records side by side (merge,
undo merge) or two lists (the same-as search and its suggestions) writes one for each, and
the table says so.

To add an endpoint (a second factor, say), add a Case to CASES: who calls it, how, the status
it answers, the (action, record) of each event it must write, and any setup of its own. The
world it runs in holds a marker alias and marker notes, which no event's details may contain.
"""

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pyotp
import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.auth import devices, second_factor
from outreach.auth.services import create_token, revoke_token, start_user_session
from outreach.db import db
from outreach.errors import URL_ID_TABLES
from outreach.persons.services import merge_persons
from tests.clinics.test_csv_import import GOOD, csv_bytes, sealed_upload, upload
from tests.conftest import (
    PASSWORD,
    TOTP_CLOCK,
    ActorClient,
    csrf_token_from,
    login_body,
    second_step,
)

MARKER = "Zqx7 Marker Alias"
NOTES = "Zqx7 marker notes"
YEAR = 2026
ANONYMOUS, NURSE, COORDINATOR, ADMIN = "anonymous", "nurse", "coordinator", "admin"


class World:
    """Records of every kind in one organisation, and a few in another."""

    def __init__(self, app, factory, org, other_org):
        self.app, self.org, self.other_org, self.factory = app, org, other_org, factory
        self.nurse = factory.user(org, "nurse")
        self.coordinator = factory.user(org, "coordinator")
        self.admin = factory.user(org, "admin")
        self.gone = factory.user(org, "nurse")
        self.gone.active = False
        self.clinic = factory.clinic(org)
        self.visit = factory.visit(
            self.clinic, datetime(YEAR, 3, 2, 11, 0, tzinfo=UTC), notes=NOTES
        )
        self.person = factory.person(org, alias=MARKER)
        self.other = factory.person(org, alias="Zqx7 Other")
        self.conversation = factory.conversation(self.person, self.visit, notes=NOTES)
        source, target = factory.person(org), factory.person(org)
        self.merge = merge_persons(self.coordinator, source.id, target.id)
        self.merge_source, self.merge_target = source, target
        self.plan = factory.route_plan(org, [(self.nurse, [self.clinic])])
        self.token, self.plain_token = create_token(self.nurse, "script")
        self.revoked, self.plain_revoked = create_token(self.nurse, "old script")
        revoke_token(self.revoked, actor=self.nurse)
        self.session = start_user_session(self.nurse, "Mozilla/5.0 (Android 14) Chrome/130")
        self.device = devices.register(self.nurse, uuid.uuid4(), "Mozilla/5.0 (Android 14)")
        self.foreign_user = factory.user(other_org, "coordinator")
        self.foreign_person = factory.person(other_org, alias="Zqx7 Foreign")
        foreign_clinic = factory.clinic(other_org)
        self.foreign_visit = factory.visit(foreign_clinic, datetime(YEAR, 3, 3, tzinfo=UTC))
        db.session.flush()

    def add_twin(self):
        """The nurse's address gets an account in the other organisation too (its own
        password)."""
        self.twin = self.factory.user(
            self.other_org, "nurse", self.nurse.email, "the twin's passphrase 7"
        )

    def client(self, role: str):
        if role == ANONYMOUS:
            return self.app.test_client()
        return ActorClient(self.app, getattr(self, role))


@dataclass
class Case:
    name: str
    actor: str
    do: Callable  # (client, world) -> response
    status: int
    # (action, the world's attribute the event is about, or None) of each event, in order.
    events: list[tuple[str, str | None]]
    setup: Callable | None = None  # (world) -> None, before the events are counted


def html_login(email, password):
    def do(client, w):
        token = csrf_token_from(client.get("/login").get_data(as_text=True))
        return client.post(
            "/login", data={"csrf_token": token, "email": email(w), "password": password}
        )

    return do


def json_login(email, password):
    return lambda c, w: c.post("/api/v1/auth/login", json={"email": email(w), "password": password})


def coordinator_login(code):
    """The coordinator's JSON login with the second factor's field `code(w)` gives."""
    return lambda c, w: c.post(
        "/api/v1/auth/login",
        json={"email": w.coordinator.email, "password": PASSWORD, **code(w)},
    )


def next_code(w) -> dict:
    return {"totp_code": TOTP_CLOCK.next_code(w.coordinator)}


def wrong_code(w) -> dict:
    right = TOTP_CLOCK.next_code(w.coordinator)
    return {"totp_code": f"{(int(right) + 1) % 1_000_000:06d}"}


def use_a_code(w):
    """The coordinator logs in once with a code (w.used), to give it again."""
    w.used = next_code(w)
    w.app.test_client().post(
        "/api/v1/auth/login", json={"email": w.coordinator.email, "password": PASSWORD, **w.used}
    )


def give_recovery_codes(w):
    w.recovery = second_factor.new_recovery_codes(w.coordinator)
    db.session.commit()


def html_code_login(c, w):
    """The login form, then its code step with the coordinator's next code."""
    token = csrf_token_from(c.get("/login").get_data(as_text=True))
    asked = c.post(
        "/login", data={"csrf_token": token, "email": w.coordinator.email, "password": PASSWORD}
    )
    assert asked.headers["Location"].startswith("/login/code")
    return second_step(c, asked, w.coordinator.email)


def enrol_from_the_account_page(c, w):
    """The nurse sets up a second factor: the enrolment page's secret, then its first code."""
    html = c.get("/login/second-factor").get_data(as_text=True)
    shown = re.search(r'<code class="secret-once">([A-Z2-7 ]+)</code>', html).group(1)
    code = pyotp.TOTP(shown.replace(" ", "")).at(second_factor.clock())
    return c.form_post("/login/second-factor", {"code": code})


def bearer(plain):
    return lambda c, w: c.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {plain(w)}"})


def search_persons(c, w):
    """Post the alias, then open the results page it redirects to (one search, one event)."""
    posted = c.form_post("/persons/", {"q": MARKER})
    assert posted.status_code == 303
    return c.get(posted.headers["Location"])


def confirm_import(c, w):
    token = sealed_upload(upload(c, csv_bytes(GOOD)))
    return c.form_post("/clinics/import/confirm", {"upload": token})


def change_limits(c, w):
    """The usual-numbers form as the settings page fills it, with one number changed."""
    page = c.get("/settings/").get_data(as_text=True)
    form = page[page.index('action="/settings/limits') :]
    form = form[: form.index("</form>")]
    data = {
        name: value
        for name, value in re.findall(r'name="([^"]+)"[^>]*value="([^"]*)"', form)
        if name != "csrf_token"
    }
    number = next(name for name, value in data.items() if value.isdigit())
    data[number] = str(int(data[number]) + 1)
    return c.form_post("/settings/limits", data)


def change_retention(c, w):
    """The retention form as the settings page fills it, with one year more."""
    page = c.get("/settings/").get_data(as_text=True)
    revision = re.search(r'name="retention-revision" type="hidden" value="([^"]*)"', page)
    return c.form_post(
        "/settings/retention", {"retention-revision": revision.group(1), "retention-years": "6"}
    )


def report(path):
    return lambda c, w: c.get(f"{path}?year={YEAR}")


NURSE_EMAIL = lambda w: w.nurse.email  # noqa: E731
UNKNOWN = lambda w: "nobody@example.org"  # noqa: E731

CASES = [
    # --- logins, logouts, credentials ------------------------------------------------------
    Case("html login", ANONYMOUS, html_login(NURSE_EMAIL, PASSWORD), 302, [("auth.login", None)]),
    Case("json login", ANONYMOUS, json_login(NURSE_EMAIL, PASSWORD), 200, [("auth.login", None)]),
    Case(
        "html login, unknown user",
        ANONYMOUS,
        html_login(UNKNOWN, PASSWORD),
        401,
        [("auth.login_failed", None)],
    ),
    Case(
        "html login, wrong password",
        ANONYMOUS,
        html_login(NURSE_EMAIL, "wrong password!"),
        401,
        [("auth.login_failed", None)],
    ),
    # One failure for each account the address has: each organisation's admin sees hers.
    Case(
        "html login, wrong password, address in two organisations",
        ANONYMOUS,
        html_login(NURSE_EMAIL, "wrong password!"),
        401,
        [("auth.login_failed", None), ("auth.login_failed", None)],
        setup=World.add_twin,
    ),
    Case(
        "json login, unknown user",
        ANONYMOUS,
        json_login(UNKNOWN, PASSWORD),
        401,
        [("auth.login_failed", None)],
    ),
    Case(
        "json login, wrong password",
        ANONYMOUS,
        json_login(NURSE_EMAIL, "wrong password!"),
        401,
        [("auth.login_failed", None)],
    ),
    Case(
        "json login, deactivated",
        ANONYMOUS,
        json_login(lambda w: w.gone.email, PASSWORD),
        401,
        [("auth.login_failed", None)],
    ),
    # --- the second factor (SECURITY.md 5) ------------------------------------------------
    Case(
        "json login with the code",
        ANONYMOUS,
        coordinator_login(next_code),
        200,
        [("auth.second_factor", None), ("auth.login", None)],
    ),
    Case(
        "html login's code step",
        ANONYMOUS,
        html_code_login,
        302,
        [("auth.second_factor", None), ("auth.login", None)],
    ),
    Case(
        "json login without the code",
        ANONYMOUS,
        coordinator_login(lambda w: {}),
        401,
        [],
    ),
    Case(
        "json login, wrong code",
        ANONYMOUS,
        coordinator_login(wrong_code),
        401,
        [("auth.second_factor_failed", None)],
    ),
    Case(
        "json login, a code given before",
        ANONYMOUS,
        coordinator_login(lambda w: w.used),
        401,
        [("auth.second_factor_replay", None)],
        setup=use_a_code,
    ),
    Case(
        "json login with a recovery code",
        ANONYMOUS,
        coordinator_login(lambda w: {"recovery_code": w.recovery[0]}),
        200,
        [("auth.recovery_code_used", None), ("auth.login", None)],
        setup=give_recovery_codes,
    ),
    Case(
        "a nurse sets up a second factor",
        NURSE,
        enrol_from_the_account_page,
        200,
        [("auth.second_factor_enrol", None)],
    ),
    Case(
        "an admin resets a user's second factor",
        ADMIN,
        lambda c, w: c.form_post(f"/admin/users/{w.coordinator.id}/second-factor/reset", {}),
        303,
        [("auth.second_factor_reset", "coordinator")],
    ),
    Case(
        "html logout",
        NURSE,
        lambda c, w: c.form_post("/logout", {}),
        302,
        [("auth.logout", "nurse")],
    ),
    Case(
        "json logout",
        NURSE,
        lambda c, w: c.post("/api/v1/auth/logout"),
        204,
        [("auth.logout", "nurse")],
    ),
    Case(
        "unknown api token",
        ANONYMOUS,
        bearer(lambda w: "not-a-token"),
        401,
        [("auth.token_failed", None)],
    ),
    Case(
        "revoked api token",
        ANONYMOUS,
        bearer(lambda w: w.plain_revoked),
        401,
        [("auth.token_failed", "revoked")],
    ),
    Case("api token", ANONYMOUS, bearer(lambda w: w.plain_token), 200, []),
    # --- refused access --------------------------------------------------------------------
    Case(
        "nurse on an admin page",
        NURSE,
        lambda c, w: c.get("/admin/users"),
        403,
        [("access.denied", None)],
    ),
    Case(
        "nurse on the report api",
        NURSE,
        report("/api/v1/reports/annual"),
        403,
        [("access.denied", None)],
    ),
    Case(
        "nurse posts an admin form",
        NURSE,
        lambda c, w: c.form_post("/admin/users/new", {"email": "x@example.org"}),
        403,
        [("access.denied", None)],
    ),
    Case(
        "another organisation's person, page",
        COORDINATOR,
        lambda c, w: c.get(f"/persons/{w.foreign_person.id}"),
        404,
        [("access.denied", None)],
    ),
    Case(
        "another organisation's person, api",
        NURSE,
        lambda c, w: c.get(f"/api/v1/persons/{w.foreign_person.id}"),
        404,
        [("access.denied", None)],
    ),
    Case(
        "another organisation's visit, api",
        NURSE,
        lambda c, w: c.get(f"/api/v1/visits/{w.foreign_visit.id}"),
        404,
        [("access.denied", None)],
    ),
    Case(
        "another organisation's user",
        ADMIN,
        lambda c, w: c.get(f"/admin/users/{w.foreign_user.id}"),
        404,
        [("access.denied", None)],
    ),
    Case("an id nobody has", COORDINATOR, lambda c, w: c.get(f"/persons/{uuid.uuid4()}"), 404, []),
    Case(
        "refused csrf token",
        NURSE,
        lambda c, w: c.client.post("/api/v1/auth/logout"),
        400,
        [("csrf.refused", None)],
    ),
    # --- reads of person records -----------------------------------------------------------
    Case(
        "person page",
        COORDINATOR,
        lambda c, w: c.get(f"/persons/{w.person.id}"),
        200,
        [("person.read", "person")],
    ),
    Case(
        "person api",
        NURSE,
        lambda c, w: c.get(f"/api/v1/persons/{w.person.id}"),
        200,
        [("person.read", "person")],
    ),
    Case(
        "persons list page",
        COORDINATOR,
        lambda c, w: c.get("/persons/"),
        200,
        [("person.list", None)],
    ),
    Case(
        "persons list api",
        NURSE,
        lambda c, w: c.get("/api/v1/persons"),
        200,
        [("person.list", None)],
    ),
    Case("person search", COORDINATOR, search_persons, 200, [("person.search", None)]),
    Case(
        "suggestions api",
        NURSE,
        lambda c, w: c.post("/api/v1/persons/suggestions", json={"alias": MARKER}),
        200,
        [("person.suggestions", None)],
    ),
    Case(
        "suggestions api, no match",
        NURSE,
        lambda c, w: c.post("/api/v1/persons/suggestions", json={"alias": "Qqqqqqqqqq"}),
        200,
        [("person.suggestions", None)],
    ),
    Case(
        "same-as page",
        COORDINATOR,
        lambda c, w: c.get(f"/persons/{w.person.id}/same-as"),
        200,
        [("person.suggestions", "person")],
    ),
    Case(
        "same-as page of a merged person",
        COORDINATOR,
        lambda c, w: c.get(f"/persons/{w.merge_source.id}/same-as"),
        200,
        [("person.read", "merge_source")],
    ),
    Case(
        "same-as search",
        COORDINATOR,
        lambda c, w: c.form_post(f"/persons/{w.person.id}/same-as", {"q": "Zqx7 Other"}),
        200,
        [("person.search", "person"), ("person.suggestions", "person")],
    ),
    Case(
        "merge comparison",
        COORDINATOR,
        lambda c, w: c.get(f"/persons/{w.person.id}/merge/{w.other.id}"),
        200,
        [("person.read", "person"), ("person.read", "other")],
    ),
    Case(
        "undo merge page",
        COORDINATOR,
        lambda c, w: c.get(f"/persons/merges/{w.merge.id}/undo"),
        200,
        [("person.read", "merge_source"), ("person.read", "merge_target")],
    ),
    Case(
        "conversation page",
        NURSE,
        lambda c, w: c.get(f"/conversations/{w.conversation.id}"),
        200,
        [("conversation.read", "conversation")],
    ),
    Case(
        "conversation api",
        NURSE,
        lambda c, w: c.get(f"/api/v1/conversations/{w.conversation.id}"),
        200,
        [("conversation.read", "conversation")],
    ),
    Case(
        "conversations list api",
        COORDINATOR,
        lambda c, w: c.get("/api/v1/conversations"),
        200,
        [("conversation.list", None)],
    ),
    Case(
        "visit page",
        NURSE,
        lambda c, w: c.get(f"/visits/{w.visit.id}"),
        200,
        [("visit.read", "visit")],
    ),
    Case(
        "visit api",
        NURSE,
        lambda c, w: c.get(f"/api/v1/visits/{w.visit.id}"),
        200,
        [("visit.read", "visit")],
    ),
    Case(
        "visits list api",
        COORDINATOR,
        lambda c, w: c.get("/api/v1/visits"),
        200,
        [("visit.list", None)],
    ),
    Case(
        "visit edit page",
        COORDINATOR,
        lambda c, w: c.get(f"/visits/{w.visit.id}/edit"),
        200,
        [("visit.read", "visit")],
    ),
    Case(
        "conversation edit page",
        COORDINATOR,
        lambda c, w: c.get(f"/conversations/{w.conversation.id}/edit"),
        200,
        [("conversation.read", "conversation")],
    ),
    Case("phone pull", NURSE, lambda c, w: c.get("/api/v1/sync"), 200, [("sync.pull", None)]),
    # --- exports ---------------------------------------------------------------------------
    Case(
        "report csv, page",
        COORDINATOR,
        report("/reports/export/months.csv"),
        200,
        [("report.export", None)],
    ),
    Case(
        "report xlsx, page",
        COORDINATOR,
        report("/reports/export.xlsx"),
        200,
        [("report.export", None)],
    ),
    Case(
        "report pdf, page",
        COORDINATOR,
        report("/reports/export.pdf"),
        200,
        [("report.export", None)],
    ),
    Case(
        "report csv, api",
        COORDINATOR,
        report("/api/v1/reports/annual.csv"),
        200,
        [("report.export", None)],
    ),
    Case(
        "report xlsx, api",
        COORDINATOR,
        report("/api/v1/reports/annual.xlsx"),
        200,
        [("report.export", None)],
    ),
    Case(
        "report pdf, api",
        COORDINATOR,
        report("/api/v1/reports/annual.pdf"),
        200,
        [("report.export", None)],
    ),
    Case(
        "route gpx",
        COORDINATOR,
        lambda c, w: c.get(f"/routes/{w.plan.id}/plan.gpx"),
        200,
        [("route_plan.gpx", "plan")],
    ),
    Case(
        "route sheet",
        COORDINATOR,
        lambda c, w: c.get(f"/routes/{w.plan.id}/sheet"),
        200,
        [("route_plan.sheet", "plan")],
    ),
    Case(
        "re-open a saved route plan",
        COORDINATOR,
        lambda c, w: c.form_post(f"/routes/{w.plan.id}/reopen", {}),
        303,
        [("route_plan.reopen", "plan")],
    ),
    Case(
        "delete a route plan",
        COORDINATOR,
        lambda c, w: c.form_post(f"/routes/{w.plan.id}/delete", {}),
        303,
        [("route_plan.delete", "plan")],
    ),
    Case(
        "audit log csv",
        ADMIN,
        lambda c, w: c.get("/admin/audit/export.csv"),
        200,
        [("audit.export", None)],
    ),
    # An import of one row: the clinic it adds (as every added clinic is), and the import.
    Case(
        "clinic csv import",
        COORDINATOR,
        confirm_import,
        302,
        [("clinic.create", None), ("clinic.import", None)],
    ),
    # --- admin actions ---------------------------------------------------------------------
    Case(
        "create a user",
        ADMIN,
        lambda c, w: c.form_post(
            "/admin/users/new",
            {
                "email": "new@example.org",
                "name": "N",
                "role": "nurse",
                "password": "a long unusual passphrase 42",
            },
        ),
        303,
        [("user.create", None)],
    ),
    Case(
        "change a role",
        ADMIN,
        lambda c, w: c.form_post(f"/admin/users/{w.nurse.id}/role", {"role": "coordinator"}),
        303,
        [("user.role_change", "nurse")],
    ),
    Case(
        "deactivate a user",
        ADMIN,
        lambda c, w: c.form_post(f"/admin/users/{w.nurse.id}/deactivate", {}),
        303,
        [("user.deactivate", "nurse")],
    ),
    Case(
        "reactivate a user",
        ADMIN,
        lambda c, w: c.form_post(f"/admin/users/{w.gone.id}/reactivate", {}),
        303,
        [("user.activate", "gone")],
    ),
    Case(
        "end every session of a user",
        ADMIN,
        lambda c, w: c.form_post(f"/admin/users/{w.nurse.id}/end-sessions", {}),
        303,
        [("auth.revoke", "nurse")],
    ),
    Case(
        "end one session",
        ADMIN,
        lambda c, w: c.form_post(f"/admin/users/{w.nurse.id}/sessions/{w.session.id}/end", {}),
        303,
        [("auth.session_end", "session")],
    ),
    Case(
        "revoke a user's phone",
        ADMIN,
        lambda c, w: c.form_post(f"/admin/users/{w.nurse.id}/devices/{w.device.id}/revoke", {}),
        303,
        [("device.revoke", "device")],
    ),
    Case(
        "undo the revocation of a user's phone",
        ADMIN,
        lambda c, w: c.form_post(f"/admin/users/{w.nurse.id}/devices/{w.device.id}/restore", {}),
        303,
        [("device.restore", "device")],
        setup=lambda w: devices.revoke(w.device, actor=w.admin),
    ),
    Case(
        "revoke one's own phone",
        NURSE,
        lambda c, w: c.form_post(f"/account/devices/{w.device.id}/revoke", {}),
        303,
        [("device.revoke", "device")],
    ),
    Case(
        "log in again on a revoked phone",
        ANONYMOUS,
        lambda c, w: c.post(
            "/api/v1/auth/login",
            json={**login_body(w.nurse), "device_id": str(w.device.device_id)},
        ),
        200,
        [("device.reregister", "device"), ("auth.login", None)],
        setup=lambda w: devices.revoke(w.device, actor=w.admin),
    ),
    Case(
        "revoke a user's token",
        ADMIN,
        lambda c, w: c.form_post(f"/admin/users/{w.nurse.id}/tokens/{w.token.id}/revoke", {}),
        303,
        [("token.revoke", "token")],
    ),
    Case(
        "make one's own token",
        NURSE,
        lambda c, w: c.form_post("/account/tokens", {"name": "my script"}),
        200,
        [("token.create", None)],
    ),
    Case(
        "revoke one's own token",
        NURSE,
        lambda c, w: c.form_post(f"/account/tokens/{w.token.id}/revoke", {}),
        303,
        [("token.revoke", "token")],
    ),
    Case(
        "change one's password",
        NURSE,
        lambda c, w: c.form_post(
            "/account", {"current": PASSWORD, "new": "another long passphrase 43"}
        ),
        303,
        [("auth.password_change", "nurse")],
    ),
    Case(
        "settings: external services",
        ADMIN,
        lambda c, w: c.form_post("/settings/external-services", {"external-choice": "none"}),
        303,
        [("organisation.settings", None)],
    ),
    Case("settings: limits", COORDINATOR, change_limits, 303, [("organisation.settings", None)]),
    Case("settings: retention", ADMIN, change_retention, 303, [("organisation.settings", None)]),
]


@pytest.fixture
def world(app, factory, org, other_org):
    return World(app, factory, org, other_org)


def new_events(before: set) -> list[AuditEvent]:
    db.session.expire_all()
    rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.at, AuditEvent.id)).all()
    return [e for e in rows if e.id not in before]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_each_sensitive_request_writes_exactly_its_audit_events(world, case):
    if case.setup:
        case.setup(world)
    client = world.client(case.actor)
    before = set(db.session.scalars(select(AuditEvent.id)))

    response = case.do(client, world)

    assert response.status_code == case.status, response.get_data(as_text=True)[:500]
    written = new_events(before)
    assert [e.action for e in written] == [action for action, _ in case.events]
    for event, (_, about) in zip(written, case.events, strict=True):
        if about is not None:
            assert event.object_id == str(getattr(world, about).id), event.action
        if case.actor != ANONYMOUS:
            actor = getattr(world, case.actor)
            assert (event.user_id, event.organisation_id) == (actor.id, world.org.id)
        details = json.dumps(event.details)
        assert "Zqx7" not in details and "Zqx7" not in (event.object_id or "")


def test_the_cases_reach_every_kind_of_sensitive_action():
    actions = {action for case in CASES for action, _ in case.events}
    assert {
        "auth.login",
        "auth.login_failed",
        "auth.logout",
        "access.denied",
        "csrf.refused",
    } <= actions
    assert {"person.read", "person.search", "person.suggestions", "report.export"} <= actions
    assert {"user.create", "user.role_change", "token.create", "organisation.settings"} <= actions


def test_every_id_in_a_url_names_its_table_for_the_refusal_audit(app):
    names = {
        name
        for rule in app.url_map.iter_rules()
        for name, converter in rule._converters.items()
        if type(converter).__name__ == "UUIDConverter"
    }
    assert names == set(URL_ID_TABLES)
