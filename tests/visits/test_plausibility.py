"""Plausibility of a visit's numbers and times (docs/plausibility.md): the impossible is
refused on the exact field, a number above the organisation's usual most is stored with a
warning unless someone confirmed it, and the check is one service the pages use too."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from outreach.db import db
from outreach.errors import FieldErrors
from outreach.orgs import services as org_services
from outreach.visits import services
from outreach.visits.models import Visit
from tests.conftest import assert_envelope

SUPPLIES = ["condoms", "lubricant", "sti_test", "leaflet_th"]


@pytest.fixture(autouse=True)
def org_lists(org):
    org.settings = {"supplies": SUPPLIES, "indicators": []}
    db.session.flush()


@pytest.fixture
def clinic(factory, org):
    return factory.clinic(org, name="Lotus Massage")


def url(visit_id) -> str:
    return f"/api/v1/visits/{visit_id}"


def body(clinic, **overrides) -> dict:
    values = {
        "clinic_id": str(clinic.id),
        "started_at": "2025-05-06T14:30:00+02:00",
        "outcome": "admitted",
        "persons_present": 2,
        "supplies": {"condoms": 50, "lubricant": 10, "leaflet_th": 2},
    }
    values.update(overrides)
    return values


def stored(visit_id) -> Visit | None:
    db.session.expire_all()
    return db.session.get(Visit, uuid.UUID(str(visit_id)))


def test_a_wrong_count_is_refused_naming_only_that_supply(nurse_client, clinic):
    visit_id = uuid.uuid4()

    response = nurse_client.put(
        url(visit_id), json=body(clinic, supplies={"condoms": 50, "lubricant": -3, "sti_test": 2})
    )

    assert assert_envelope(response, 422)["errors"] == {
        "supplies.lubricant": ["Give a whole number from 0 to 10000."]
    }
    assert stored(visit_id) is None


def test_99999_condoms_are_refused_and_the_year_total_keeps(nurse_client, clinic):
    visit_id = uuid.uuid4()

    response = nurse_client.put(url(visit_id), json=body(clinic, supplies={"condoms": 99_999}))

    assert set(assert_envelope(response, 422)["errors"]) == {"supplies.condoms"}
    assert stored(visit_id) is None


def test_an_admitted_visit_with_nobody_present_is_refused_but_not_admitted_may_say_0(
    nurse_client, clinic
):
    refused = nurse_client.put(url(uuid.uuid4()), json=body(clinic, persons_present=0))
    not_admitted = nurse_client.put(
        url(uuid.uuid4()),
        json=body(
            clinic,
            outcome="not_admitted",
            not_admitted_reason="closed",
            persons_present=0,
            supplies={},
        ),
    )

    assert set(assert_envelope(refused, 422)["errors"]) == {"persons_present"}
    assert not_admitted.status_code == 201


def test_a_time_a_little_ahead_of_the_server_is_a_phone_clock_and_accepted(nurse_client, clinic):
    soon = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()

    response = nurse_client.put(url(uuid.uuid4()), json=body(clinic, started_at=soon))

    assert response.status_code == 201


def test_an_unusual_count_is_stored_and_the_answer_warns_about_that_field(nurse_client, clinic):
    visit_id = uuid.uuid4()

    response = nurse_client.put(
        url(visit_id), json=body(clinic, supplies={"condoms": 900, "lubricant": 10})
    )

    assert response.status_code == 201
    assert response.json["warnings"] == [
        {
            "field": "supplies.condoms",
            "value": 900,
            "limit": 200,
            "message": "Unusually high: more than the organisation's usual 200 per visit.",
        }
    ]
    assert stored(visit_id).supplies == {"condoms": 900, "lubricant": 10}


def test_a_confirmed_unusual_count_is_stored_without_warnings(nurse_client, clinic):
    visit_id = uuid.uuid4()

    response = nurse_client.put(
        url(visit_id),
        json=body(clinic, persons_present=30, supplies={"sti_test": 40}, confirmed_unusual=True),
    )

    assert response.status_code == 201
    assert "warnings" not in response.json
    assert "confirmed_unusual" not in response.json
    assert stored(visit_id).persons_present == 30
    assert stored(visit_id).supplies == {"sti_test": 40}


def test_the_confirmation_is_not_part_of_the_record(nurse_client, clinic):
    visit_id = uuid.uuid4()
    first = nurse_client.put(url(visit_id), json=body(clinic, supplies={"condoms": 500}))

    resent = nurse_client.put(
        url(visit_id), json=body(clinic, supplies={"condoms": 500}, confirmed_unusual=True)
    )

    assert resent.status_code == 200
    assert resent.headers["ETag"] == first.headers["ETag"]
    assert resent.json["updated_at"] == first.json["updated_at"]


def test_reading_a_visit_carries_no_warnings(nurse_client, clinic):
    visit_id = uuid.uuid4()
    nurse_client.put(url(visit_id), json=body(clinic, supplies={"condoms": 500}))

    assert "warnings" not in nurse_client.get(url(visit_id)).json


def test_the_organisations_own_limit_decides_what_is_unusual(nurse_client, clinic, org):
    org_services.set_limits(org, persons_present=4, supplies={"condoms": 1000})

    response = nurse_client.put(
        url(uuid.uuid4()), json=body(clinic, persons_present=5, supplies={"condoms": 900})
    )

    assert [(w["field"], w["limit"]) for w in response.json["warnings"]] == [("persons_present", 4)]


def test_the_warning_is_in_the_callers_language(nurse_client, clinic, nurse):
    nurse.locale = "da"
    db.session.flush()

    response = nurse_client.put(url(uuid.uuid4()), json=body(clinic, supplies={"condoms": 900}))

    assert "200" in response.json["warnings"][0]["message"]
    assert "Usædvanlig" in response.json["warnings"][0]["message"]


# --- the service the API and the back-office pages share -------------------------------


def visit_data(clinic, **overrides) -> dict:
    values = {
        "clinic_id": clinic.id,
        "started_at": datetime(2025, 5, 6, 12, 30, tzinfo=UTC),
        "ended_at": None,
        "outcome": "admitted",
        "persons_present": 2,
        "supplies": {"condoms": 50},
        "police_informed_at": None,
    }
    values.update(overrides)
    return values


def test_the_service_names_every_impossible_field_at_once(org, clinic):
    tomorrow = datetime.now(UTC) + timedelta(days=1)

    with pytest.raises(FieldErrors) as refused:
        services.check_plausible(
            org.id,
            visit_data(clinic, persons_present=0, started_at=tomorrow, supplies={"condoms": -1}),
        )

    assert set(refused.value.errors) == {"persons_present", "started_at", "supplies.condoms"}


def test_the_service_returns_the_unusual_numbers_with_their_limits(org, clinic):
    warnings = services.check_plausible(
        org.id, visit_data(clinic, persons_present=16, supplies={"condoms": 200, "sti_test": 21})
    )

    assert [(w["field"], w["value"], w["limit"]) for w in warnings] == [
        ("persons_present", 16, 15),
        ("supplies.sti_test", 21, 20),
    ]


def test_a_conversation_in_the_future_is_refused_on_occurred_at(nurse_client, factory, org):
    person = factory.person(org, "Lek")
    next_year = (datetime.now(UTC) + timedelta(days=365)).isoformat()

    response = nurse_client.put(
        f"/api/v1/conversations/{uuid.uuid4()}",
        json={"person_id": str(person.id), "channel": "phone", "occurred_at": next_year},
    )

    assert set(assert_envelope(response, 422)["errors"]) == {"occurred_at"}


def test_the_openapi_document_describes_the_confirmation_and_the_warnings(client):
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]

    assert schemas["VisitIn"]["properties"]["confirmed_unusual"]["type"] == "boolean"
    assert "warnings" in schemas["VisitOut"]["properties"]
    assert schemas["VisitIn"]["properties"]["supplies"]["additionalProperties"]["maximum"] == 10000
    assert "limits" in schemas["Reference"]["properties"]
