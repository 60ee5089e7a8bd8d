"""Organisation × role × route, generated from the app's URL map (issue 11 item 4).

Every route and method of the app must be listed in ROUTES with the least role that may use
it: a new route that is not listed fails test_every_route_is_in_the_table, so none can skip
the matrix. Each role then calls every route (by session cookie, and by Bearer token on the
API): a role below the route's answers 403, one at or above it gets past the role check.
The organisation dimension: the ids in the URL are another organisation's real records, and
every route with an id answers 404.
"""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.auth import devices
from outreach.auth.services import create_token, start_user_session
from outreach.db import db
from outreach.persons.services import merge_persons
from outreach.sms.models import SmsContact
from tests.conftest import ActorClient

PUBLIC, NURSE, COORDINATOR, ADMIN = "public", "nurse", "coordinator", "admin"
RANK = {NURSE: 0, COORDINATOR: 1, ADMIN: 2}

# (endpoint, method) -> the least role that may use it.
ROUTES = {
    ("static", "GET"): PUBLIC,
    ("main.health", "GET"): PUBLIC,
    ("main.ready", "GET"): PUBLIC,
    ("main.home", "GET"): NURSE,
    ("auth.login", "GET"): PUBLIC,
    ("auth.login", "POST"): PUBLIC,
    ("auth.set_language", "POST"): PUBLIC,
    # The login's second step and setting up a second factor: before a session exists, for
    # the user whose password was right a moment ago (or a logged-in user setting one up);
    # each answers nobody else (tests/auth/test_second_factor.py).
    ("auth.login_code", "GET"): PUBLIC,
    ("auth.login_code", "POST"): PUBLIC,
    ("auth.enrol", "GET"): PUBLIC,
    ("auth.enrol", "POST"): PUBLIC,
    ("auth.enrol_qr", "GET"): PUBLIC,
    ("auth.logout", "POST"): NURSE,
    ("auth.account", "GET"): NURSE,
    ("auth.account", "POST"): NURSE,
    ("auth.token_create", "POST"): NURSE,  # her own tokens only
    ("auth.token_revoke", "POST"): NURSE,
    ("auth.device_revoke", "POST"): NURSE,  # her own phones only (tests/auth/test_devices.py)
    ("auth_api.Login", "POST"): PUBLIC,
    ("auth_api.Logout", "POST"): NURSE,
    ("auth_api.Me", "GET"): NURSE,
    # Answers 403 unless the session's own login named the phone a moment ago
    # (tests/auth/test_device_keys.py).
    ("auth_api.DeviceKeyResource", "POST"): NURSE,
    ("api-docs.openapi_json", "GET"): PUBLIC,
    ("admin.users", "GET"): ADMIN,
    ("admin.user", "GET"): ADMIN,
    ("admin.user_new", "GET"): ADMIN,
    ("admin.user_new", "POST"): ADMIN,
    ("admin.user_role", "POST"): ADMIN,
    ("admin.user_deactivate", "POST"): ADMIN,
    ("admin.user_reactivate", "POST"): ADMIN,
    ("admin.user_end_sessions", "POST"): ADMIN,
    ("admin.token_revoke", "POST"): ADMIN,
    ("admin.session_end", "POST"): ADMIN,
    ("admin.device_revoke", "POST"): ADMIN,
    ("admin.device_restore", "POST"): ADMIN,
    ("admin.audit", "GET"): ADMIN,
    ("admin.audit_export", "GET"): ADMIN,
    ("admin.user_second_factor_reset", "POST"): ADMIN,
    ("clinics_api.ClinicCollection", "GET"): NURSE,
    ("clinics_api.ClinicResource", "GET"): NURSE,
    ("clinics_api.ClinicResource", "PUT"): NURSE,
    # Lists of visits and conversations hand out every note: not for nurses, whose phone
    # gets what it needs from the pull (docs/security.md).
    ("visits_api.VisitCollection", "GET"): COORDINATOR,
    ("visits_api.VisitResource", "GET"): NURSE,
    ("visits_api.VisitResource", "PUT"): NURSE,
    ("persons_api.ConversationCollection", "GET"): COORDINATOR,
    ("persons_api.ConversationResource", "GET"): NURSE,
    ("persons_api.ConversationResource", "PUT"): NURSE,
    ("persons_api.PersonCollection", "GET"): NURSE,
    ("persons_api.PersonResource", "GET"): NURSE,
    ("persons_api.PersonResource", "PUT"): NURSE,
    ("persons_api.PersonSuggestions", "GET"): NURSE,  # refused (405): the alias goes in a body
    ("persons_api.PersonSuggestions", "POST"): NURSE,
    ("persons_api.PersonMerges", "POST"): COORDINATOR,
    ("persons_api.PersonMergeUndo", "POST"): COORDINATOR,
    ("reports_api.AnnualReport", "GET"): COORDINATOR,
    ("reports_api.MonthlyReport", "GET"): COORDINATOR,
    ("reports_api.AnnualReportPdf", "GET"): COORDINATOR,
    ("reports_api.AnnualReportXlsx", "GET"): COORDINATOR,
    ("reports_api.AnnualReportCsv", "GET"): COORDINATOR,
    ("route_plans_api.RoutePlanCollection", "GET"): COORDINATOR,
    ("route_plans_api.RoutePlanCollection", "POST"): COORDINATOR,
    ("route_plans_api.RoutePlanResource", "GET"): COORDINATOR,
    ("route_plans_api.RoutePlanSave", "POST"): COORDINATOR,
    ("sync_api.Pull", "GET"): NURSE,
    ("sms_api.SmsContactCollection", "GET"): COORDINATOR,
    ("sms_api.SmsContactResource", "GET"): NURSE,
    ("sms_api.SmsContactResource", "PUT"): NURSE,
    ("sms_api.ToText", "GET"): NURSE,
    ("sms_settings.index", "GET"): COORDINATOR,
    ("sms_settings.save_template", "POST"): ADMIN,
    ("sms_settings.remove_template", "POST"): ADMIN,
    ("sms_settings.options", "POST"): ADMIN,
    ("clinics.index", "GET"): NURSE,
    ("clinics.markers", "GET"): NURSE,
    ("clinics.detail", "GET"): NURSE,
    ("clinics.create", "GET"): NURSE,
    ("clinics.create", "POST"): NURSE,
    ("clinics.edit", "GET"): NURSE,
    ("clinics.edit", "POST"): NURSE,
    ("clinics.close", "POST"): COORDINATOR,
    ("clinics.reopen", "POST"): NURSE,
    ("clinics.import_csv", "GET"): COORDINATOR,
    ("clinics.import_csv", "POST"): COORDINATOR,
    ("clinics.import_confirm", "POST"): COORDINATOR,
    ("clinics.import_example", "GET"): COORDINATOR,
    ("field.shell", "GET"): PUBLIC,
    ("field.service_worker", "GET"): PUBLIC,
    ("field.manifest", "GET"): PUBLIC,
    ("field.catalogue", "GET"): PUBLIC,
    ("field.code_names", "GET"): PUBLIC,
    ("persons.index", "GET"): COORDINATOR,
    ("persons.index", "POST"): COORDINATOR,
    ("persons.person", "GET"): COORDINATOR,
    ("persons.merge", "GET"): COORDINATOR,
    ("persons.merge", "POST"): COORDINATOR,
    ("persons.same_as", "GET"): COORDINATOR,
    ("persons.same_as", "POST"): COORDINATOR,
    ("persons.undo_merge", "GET"): COORDINATOR,
    ("persons.undo_merge", "POST"): COORDINATOR,
    ("reports.index", "GET"): COORDINATOR,
    ("reports.export_pdf", "GET"): COORDINATOR,
    ("reports.export_xlsx", "GET"): COORDINATOR,
    ("reports.export_csv", "GET"): COORDINATOR,
    ("reports.chart", "GET"): COORDINATOR,
    ("routing.index", "GET"): COORDINATOR,
    ("routing.index", "POST"): COORDINATOR,
    ("routing.plan", "GET"): COORDINATOR,
    ("routing.plan_settings", "GET"): COORDINATOR,
    ("routing.plan_settings", "POST"): COORDINATOR,
    ("routing.exclude", "POST"): COORDINATOR,
    ("routing.include", "POST"): COORDINATOR,
    ("routing.optimise", "POST"): COORDINATOR,
    ("routing.stop_action", "POST"): COORDINATOR,
    ("routing.save", "POST"): COORDINATOR,
    ("routing.reopen", "POST"): COORDINATOR,
    ("routing.delete", "POST"): COORDINATOR,
    ("routing.gpx", "GET"): COORDINATOR,
    ("routing.sheet", "GET"): COORDINATOR,
    ("settings.index", "GET"): COORDINATOR,
    ("settings.supplies", "POST"): COORDINATOR,
    ("settings.indicators", "POST"): COORDINATOR,
    ("settings.offices", "POST"): ADMIN,
    ("settings.limits", "POST"): COORDINATOR,
    # A visit and its conversations: read by every role (audited), corrected by coordinators.
    ("fieldwork.visit", "GET"): NURSE,
    ("fieldwork.edit_visit", "GET"): COORDINATOR,
    ("fieldwork.edit_visit", "POST"): COORDINATOR,
    ("fieldwork.conversation", "GET"): NURSE,
    ("fieldwork.edit_conversation", "GET"): COORDINATOR,
    ("fieldwork.edit_conversation", "POST"): COORDINATOR,
    ("settings.external_services", "POST"): ADMIN,
    ("settings.second_factor", "POST"): ADMIN,
    ("settings.retention", "POST"): ADMIN,
    # Leads (issue 14): nurses record and update them; coordinators dismiss and link them,
    # see the phone-number groups, keep the list of sites and import.
    ("leads_api.LeadCollection", "GET"): NURSE,
    ("leads_api.LeadResource", "GET"): NURSE,
    ("leads_api.LeadResource", "PUT"): NURSE,
    ("leads_api.LeadSightings", "POST"): NURSE,
    ("leads.index", "GET"): NURSE,
    ("leads.detail", "GET"): NURSE,
    ("leads.create", "GET"): NURSE,
    ("leads.create", "POST"): NURSE,
    ("leads.edit", "GET"): NURSE,
    ("leads.edit", "POST"): NURSE,
    ("leads.seen_again", "POST"): NURSE,
    ("leads.to_verify", "POST"): NURSE,
    ("leads.dismiss", "POST"): COORDINATOR,
    ("leads.reopen", "POST"): COORDINATOR,
    ("leads.link", "POST"): COORDINATOR,
    ("leads.new_clinic", "POST"): COORDINATOR,
    ("leads.groups", "GET"): COORDINATOR,
    ("leads.export_csv", "GET"): COORDINATOR,
    ("leads.export_xlsx", "GET"): COORDINATOR,
    ("leads.sites", "GET"): COORDINATOR,
    ("leads.sites", "POST"): COORDINATOR,
    ("leads.import_csv", "GET"): COORDINATOR,
    ("leads.import_csv", "POST"): COORDINATOR,
    ("leads.import_confirm", "POST"): COORDINATOR,
    ("leads.import_example", "GET"): COORDINATOR,
}

# Routes that end the caller's session run last, so the rest run logged in.
SESSION_ENDING = {"auth.logout", "auth_api.Logout"}
# API writes whose JSON body is validated before the record is looked up: the empty body sent
# here answers 422 and changes nothing. With a valid body they answer 404 for another
# organisation's id: tests/clinics/test_api.py, tests/visits/test_api.py,
# tests/persons/test_api_*.py and tests/routing/test_api.py prove it, record by record.
BODY_FIRST = {
    ("clinics_api.ClinicResource", "PUT"),
    ("visits_api.VisitResource", "PUT"),
    ("sms_api.SmsContactResource", "PUT"),
    ("persons_api.PersonResource", "PUT"),
    ("persons_api.ConversationResource", "PUT"),
    ("route_plans_api.RoutePlanSave", "POST"),
    ("leads_api.LeadResource", "PUT"),
    ("leads_api.LeadSightings", "POST"),
}
PLAIN_VALUES = {"lang": "en", "name": "visits", "filename": "css/app.css", "route": 1, "stop": 1}


def app_routes(app):
    """(endpoint, method, rule) of every route the app serves."""
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, rule


def build(rule, ids: dict) -> str:
    values = {}
    for name in rule.arguments:
        values[name] = ids[name] if name in ids else PLAIN_VALUES[name]
    return rule.build(values, append_unknown=False)[1]


def random_ids() -> dict:
    names = ("user_id", "token_id", "clinic_id", "visit_id", "person_id", "other_id")
    names += ("conversation_id", "merge_id", "plan_id", "session_id", "device_key_id", "lead_id")
    names += ("contact_id",)  # SMS contacts
    return {name: uuid.uuid4() for name in names}


def calls(app, ids):
    """Every (endpoint, method, url), the session-ending ones last."""
    found = [(e, m, build(rule, ids)) for e, m, rule in app_routes(app)]
    return sorted(found, key=lambda call: call[0] in SESSION_ENDING)


def test_every_route_is_in_the_table(app):
    served = {(endpoint, method) for endpoint, method, _ in app_routes(app)}
    assert served - set(ROUTES) == set(), "add each new route to ROUTES with its least role"
    assert set(ROUTES) - served == set(), "ROUTES names a route that no longer exists"


def test_the_public_routes_of_the_table_are_the_views_marked_public(app):
    from tests.test_security import PUBLIC_ENDPOINTS

    public = {endpoint for (endpoint, _), role in ROUTES.items() if role == PUBLIC}
    assert public == PUBLIC_ENDPOINTS


def answer(client, method, url, *, csrf=None, token=None):
    headers = {"X-CSRFToken": csrf} if csrf else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = {"csrf_token": csrf} if csrf and not url.startswith("/api/") else None
    response = client.open(url, method=method, headers=headers, data=data)
    response.close()
    return response.status_code


@pytest.mark.parametrize("role", [NURSE, COORDINATOR, ADMIN])
@pytest.mark.parametrize("credential", ["cookie", "token"])
def test_each_role_reaches_exactly_the_routes_of_its_rank(app, factory, org, role, credential):
    user = factory.user(org, role)
    actor = ActorClient(app, user)
    token = create_token(user, "matrix")[1] if credential == "token" else None
    wrong = []
    for endpoint, method, url in calls(app, random_ids()):
        least = ROUTES[(endpoint, method)]
        if least == PUBLIC or (token and not url.startswith("/api/")):
            continue  # tokens are for the API only (tests/auth/test_tokens.py)
        if endpoint in SESSION_ENDING:
            actor = ActorClient(app, user)  # the earlier one may have ended the session
        before = audit_ids()
        if token:
            status = answer(app.test_client(), method, url, token=token)
        else:
            status = answer(actor.client, method, url, csrf=actor.csrf)
        allowed = RANK[role] >= RANK[least]
        if (allowed and status in (401, 403)) or (not allowed and status != 403):
            wrong.append(f"{role} {method} {url} -> {status} (least role {least})")
        elif not allowed and new_actions(before) != ["access.denied"]:
            wrong.append(f"{role} {method} {url} wrote {new_actions(before)}")  # one each
    assert wrong == []


@pytest.fixture
def foreign_ids(factory, other_org):
    """One real record of every kind an URL names, all in another organisation."""
    coordinator = factory.user(other_org, "coordinator")
    clinic = factory.clinic(other_org)
    visit = factory.visit(clinic, datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    person, other = factory.person(other_org), factory.person(other_org)
    conversation = factory.conversation(person, visit)
    merge = merge_persons(coordinator, other.id, person.id)
    plan = factory.route_plan(other_org, [(coordinator, [clinic])])
    lead = factory.lead(other_org, phone="+4520123456")
    token, _ = create_token(coordinator, "foreign")
    session = start_user_session(coordinator, "Mozilla/5.0 (Android 14) Chrome/130")
    device = devices.register(coordinator, uuid.uuid4(), "Mozilla/5.0 (Android 14) Chrome/130")
    contact = SmsContact(
        organisation_id=other_org.id,
        phone="+4520123456",
        sent_at=datetime(2026, 3, 2, 11, 0, tzinfo=UTC),
        outcome="sent",
    )
    db.session.add(contact)
    db.session.flush()
    return {
        "session_id": session.id,
        "device_key_id": device.id,
        "user_id": coordinator.id,
        "token_id": token.id,
        "clinic_id": clinic.id,
        "visit_id": visit.id,
        "person_id": person.id,
        "other_id": other.id,
        "conversation_id": conversation.id,
        "merge_id": merge.id,
        "plan_id": plan.id,
        "lead_id": lead.id,
        "contact_id": contact.id,
    }


@pytest.mark.parametrize("credential", ["cookie", "token"])
def test_every_route_with_an_id_answers_404_for_another_organisations_record(
    app, factory, org, foreign_ids, credential
):
    admin = factory.user(org, "admin")
    actor = ActorClient(app, admin)
    token = create_token(admin, "matrix")[1] if credential == "token" else None
    wrong, probed = [], 0
    for endpoint, method, url in calls(app, foreign_ids):
        rule_ids = [str(v) for v in foreign_ids.values() if str(v) in url]
        if not rule_ids or (token and not url.startswith("/api/")):
            continue
        probed += 1
        before = audit_ids()
        if token:
            status = answer(app.test_client(), method, url, token=token)
        else:
            status = answer(actor.client, method, url, csrf=actor.csrf)
        if status != 404 and not (status == 422 and (endpoint, method) in BODY_FIRST):
            wrong.append(f"{method} {url} ({endpoint}) -> {status}")
        elif status == 404 and new_actions(before) != ["access.denied"]:
            # A refused id of another organisation is audited once (SECURITY.md 20).
            wrong.append(f"{method} {url} ({endpoint}) wrote {new_actions(before)}")
    assert probed > 0
    assert wrong == [], "\n".join(wrong)


def audit_ids() -> set:
    """The ids of the audit events written so far."""
    return set(db.session.scalars(select(AuditEvent.id)))


def new_actions(before: set) -> list[str]:
    """The actions of the events written since `before`."""
    rows = db.session.execute(select(AuditEvent.id, AuditEvent.action).order_by(AuditEvent.at))
    return [action for event_id, action in rows if event_id not in before]
