"""Saved route plans in the field app's pull: a nurse gets her own routes, a coordinator all,
drafts are never sent, and a plan taken back to draft reaches the phone as withdrawn."""

from datetime import timedelta

import pytest

from outreach.db import db
from outreach.routing import queries, services
from outreach.routing.services import PlanInput

POINTS = [(56.1629, 10.2039), (56.1500, 10.1900), (56.1700, 10.2300), (56.1800, 10.1500)]


@pytest.fixture
def clinics(factory, org):
    return [factory.clinic(org, lat=lat, lon=lon) for lat, lon in POINTS]


def make_plan(user, clinics, *, days_ahead=1, nurses=2):
    plan = services.create_plan(
        user,
        PlanInput(
            day=queries.today() + timedelta(days=days_ahead),
            base_lat=56.1572,
            base_lon=10.2107,
            shift_start="10:00",
            shift_end="12:30",
            nurses=nurses,
            clinic_ids=[c.id for c in clinics],
        ),
    )
    services.optimise(user, plan)
    return plan


def pull(client, cursor=0):
    db.session.commit()  # what the services did, committed as a request would (numbered)
    response = client.get("/api/v1/sync", query_string={"cursor": cursor})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def test_drafts_are_not_sent_to_phones(nurse_client, coordinator, clinics):
    make_plan(coordinator, clinics)
    assert pull(nurse_client)["route_plans"] == []


def test_a_nurse_gets_only_her_own_route(nurse_client, nurse, coordinator, clinics, factory, org):
    colleague = factory.user(org, "nurse")
    plan = make_plan(coordinator, clinics)
    assert len(plan.routes) == 2
    services.save_plan(coordinator, plan, [nurse.id, colleague.id])
    plans = pull(nurse_client)["route_plans"]
    assert len(plans) == 1
    sent = plans[0]
    assert sent["id"] == str(plan.id)
    assert sent["status"] == "saved"
    assert [r["nurse_id"] for r in sent["routes"]] == [str(nurse.id)]
    stops = sent["routes"][0]["stops"]
    assert stops and {"clinic_id", "name", "lat", "lon", "arrival", "departure"} <= set(stops[0])
    assert sent["date"] == plan.date.isoformat()
    assert sent["base"]["lat"] == pytest.approx(56.1572)
    assert sent["shift"] == {"start": "10:00", "end": "12:30"}


def test_a_coordinator_gets_every_route(
    coordinator_client, coordinator, nurse, clinics, factory, org
):
    plan = make_plan(coordinator, clinics)
    services.save_plan(coordinator, plan, [nurse.id, factory.user(org, "nurse").id])
    sent = pull(coordinator_client)["route_plans"]
    assert len(sent[0]["routes"]) == 2


def test_a_plan_back_in_draft_reaches_the_phone_without_routes(
    nurse_client, nurse, coordinator, clinics
):
    plan = make_plan(coordinator, clinics, nurses=1)
    services.save_plan(coordinator, plan, [nurse.id])
    cursor = pull(nurse_client)["cursor"]
    services.optimise(coordinator, plan)  # back to draft until saved again
    answer = pull(nurse_client, cursor)
    assert [(p["id"], p["status"], p["routes"]) for p in answer["route_plans"]] == [
        (str(plan.id), "draft", [])
    ]
    assert pull(nurse_client, answer["cursor"])["route_plans"] == []


def test_past_plans_are_not_sent(nurse_client, nurse, coordinator, clinics):
    plan = make_plan(coordinator, clinics, days_ahead=-1, nurses=1)
    services.save_plan(coordinator, plan, [nurse.id])
    assert pull(nurse_client)["route_plans"] == []


def test_another_organisations_plans_are_never_sent(
    other_coordinator_client, nurse, coordinator, clinics
):
    plan = make_plan(coordinator, clinics, nurses=1)
    services.save_plan(coordinator, plan, [nurse.id])
    assert pull(other_coordinator_client)["route_plans"] == []


def test_the_cursor_moves_past_a_saved_plan(nurse_client, nurse, coordinator, clinics):
    plan = make_plan(coordinator, clinics, nurses=1)
    services.save_plan(coordinator, plan, [nurse.id])
    first = pull(nurse_client)
    assert first["cursor"] >= plan.sync_seq
    assert pull(nurse_client, first["cursor"])["route_plans"] == []


def test_a_deleted_plan_leaves_the_phone_and_every_list(
    nurse_client, coordinator_client, nurse, coordinator, clinics
):
    plan = make_plan(coordinator, clinics, nurses=1)
    services.save_plan(coordinator, plan, [nurse.id])
    cursor = pull(nurse_client)["cursor"]
    response = coordinator_client.form_post(f"/routes/{plan.id}/delete", {})
    assert response.status_code == 303
    answer = pull(nurse_client, cursor)
    assert [(p["id"], p["routes"]) for p in answer["route_plans"]] == [(str(plan.id), [])]
    assert coordinator_client.get(f"/routes/{plan.id}").status_code == 404
    assert coordinator_client.get(f"/api/v1/route-plans/{plan.id}").status_code == 404
    assert coordinator_client.get("/api/v1/route-plans").json["items"] == []
    assert str(plan.id) not in coordinator_client.get("/routes/").get_data(as_text=True)


def test_a_reopened_plan_leaves_the_phone_until_saved_again(
    nurse_client, coordinator_client, nurse, coordinator, clinics
):
    plan = make_plan(coordinator, clinics, nurses=1)
    services.save_plan(coordinator, plan, [nurse.id])
    cursor = pull(nurse_client)["cursor"]
    response = coordinator_client.form_post(f"/routes/{plan.id}/reopen", {})
    assert response.status_code == 303
    answer = pull(nurse_client, cursor)
    assert [(p["status"], p["routes"]) for p in answer["route_plans"]] == [("draft", [])]
    db.session.expire_all()
    assert plan.status == "draft" and plan.routes  # the routes stay to be changed
    services.save_plan(coordinator, plan, [nurse.id])
    again = pull(nurse_client, answer["cursor"])["route_plans"]
    assert [p["status"] for p in again] == ["saved"] and again[0]["routes"]
