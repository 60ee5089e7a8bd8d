"""Hostile input answers 4xx with the JSON envelope, never 500 (issue 11, items 2 and 3):
timestamps at the edge of the calendar, lone surrogates, NUL bytes and bidi controls, JSON
nested deep, huge page numbers, huge lists and dicts; and a database error inside a request
still gets the envelope and the security headers."""

import json
import time
import uuid

import pytest
from sqlalchemy import func, select

from outreach.clinics.models import Clinic
from outreach.db import db
from outreach.errors import MAX_ERRORS
from outreach.visits.models import Visit
from tests.conftest import assert_envelope

EDGES = ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "1999-12-31T23:00:00+00:00"]


@pytest.fixture(autouse=True)
def org_lists(org):
    org.settings = {"supplies": ["condoms"], "indicators": ["debt"]}
    db.session.flush()


@pytest.fixture
def clinic(factory, org):
    return factory.clinic(org, name="Lotus Massage")


@pytest.fixture
def person(factory, org):
    return factory.person(org, "Jasmin")


def visit_body(clinic, **overrides) -> dict:
    values = {
        "clinic_id": str(clinic.id),
        "started_at": "2025-05-06T14:30:00+02:00",
        "ended_at": "2025-05-06T15:05:00+02:00",
        "outcome": "admitted",
        "supplies": {"condoms": 5},
    }
    return {**values, **overrides}


def conversation_body(person, **overrides) -> dict:
    values = {
        "person_id": str(person.id),
        "channel": "phone",
        "occurred_at": "2025-06-01T20:15:00+02:00",
        "topics": ["health_advice"],
    }
    return {**values, **overrides}


def clinic_body(**overrides) -> dict:
    return {"name": "Pearl Spa", "kind": "massage_clinic", "postcode": "8000", **overrides}


def put(client, collection, body):
    return client.put(f"/api/v1/{collection}/{uuid.uuid4()}", json=body)


def timed_put(client, collection, body):
    """(the answer, seconds the server took): the body is encoded before the clock starts."""
    raw = json.dumps(body)
    started = time.perf_counter()
    response = client.put(
        f"/api/v1/{collection}/{uuid.uuid4()}", data=raw, content_type="application/json"
    )
    return response, time.perf_counter() - started


def field_error(response, field: str) -> list[str]:
    payload = assert_envelope(response, 422)
    assert field in payload["errors"], payload
    return payload["errors"][field]


# --- timestamps ---------------------------------------------------------------------------


@pytest.mark.parametrize("edge", EDGES)
@pytest.mark.parametrize("field", ["started_at", "ended_at"])
def test_a_visit_time_outside_the_sane_range_gets_422(nurse_client, clinic, field, edge):
    overrides = {field: edge}
    if field == "ended_at":
        overrides["started_at"] = "2025-05-06T14:30:00+02:00"
    messages = field_error(put(nurse_client, "visits", visit_body(clinic, **overrides)), field)
    assert any("2000" in m for m in messages), messages
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 0


@pytest.mark.parametrize("edge", EDGES)
def test_police_informed_at_outside_the_range_gets_422(nurse_client, clinic, edge):
    body = visit_body(clinic, police_informed=True, police_informed_at=edge)
    field_error(put(nurse_client, "visits", body), "police_informed_at")


@pytest.mark.parametrize("edge", EDGES)
def test_a_conversation_time_outside_the_range_gets_422(nurse_client, person, edge):
    body = conversation_body(person, occurred_at=edge)
    field_error(put(nurse_client, "conversations", body), "occurred_at")


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/visits?since={edge}",
        "/api/v1/visits?until={edge}",
        "/api/v1/clinics?updated_since={edge}",
    ],
)
@pytest.mark.parametrize("edge", EDGES[:2])
def test_a_time_filter_outside_the_range_gets_422(coordinator_client, query, edge):
    response = coordinator_client.get(query.format(edge=edge.replace("+", "%2B")))
    assert_envelope(response, 422)


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/clinics?not_visited_since=0001-01-01",
        "/api/v1/clinics?not_visited_since=9999-12-31",
        "/api/v1/route-plans?date_from=0001-01-01",
        "/api/v1/route-plans?date_to=9999-12-31",
    ],
)
def test_a_date_filter_outside_the_range_gets_422(coordinator_client, query):
    assert_envelope(coordinator_client.get(query), 422)


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_route_plan_for_a_date_out_of_range_gets_422(coordinator_client, clinic, day):
    body = {
        "date": day,
        "base": {"lat": 56.15, "lon": 10.2},
        "shift": {"start": "09:00", "end": "17:00"},
        "clinic_ids": [str(clinic.id)],
    }
    field_error(coordinator_client.post("/api/v1/route-plans", json=body), "date")


def test_a_sane_edge_time_is_accepted(nurse_client, clinic):
    body = visit_body(clinic, started_at="2000-01-01T00:00:00+00:00", ended_at=None)
    assert put(nurse_client, "visits", body).status_code == 201


# --- strings ------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["a\ud800b", "a\x00b"])
def test_a_lone_surrogate_or_nul_in_any_string_gets_422_naming_the_field(
    nurse_client, clinic, person, bad
):
    field_error(put(nurse_client, "clinics", clinic_body(name=bad)), "name")
    field_error(put(nurse_client, "clinics", clinic_body(notes=bad)), "notes")
    field_error(put(nurse_client, "persons", {"alias": bad}), "alias")
    field_error(put(nurse_client, "visits", visit_body(clinic, notes=bad)), "notes")
    field_error(put(nurse_client, "conversations", conversation_body(person, notes=bad)), "notes")
    assert db.session.scalar(select(func.count()).select_from(Clinic)) == 1


def test_a_lone_surrogate_in_raw_json_gets_422(nurse_client):
    raw = '{"name": "a\\ud800b", "kind": "massage_clinic"}'
    response = nurse_client.put(
        f"/api/v1/clinics/{uuid.uuid4()}", data=raw, content_type="application/json"
    )
    field_error(response, "name")


def test_a_bad_string_in_a_dict_key_or_a_list_gets_422(nurse_client, clinic, person):
    field_error(put(nurse_client, "visits", visit_body(clinic, supplies={"a\x00": 1})), "supplies")
    body = conversation_body(person, indicators=["de\x00bt"])
    field_error(put(nurse_client, "conversations", body), "indicators")


def test_a_nul_in_a_query_string_gets_422(coordinator_client):
    assert_envelope(coordinator_client.get("/api/v1/clinics?q=a%00b"), 422)


@pytest.mark.parametrize(
    "url, data",
    [
        ("/clinics/new", {"name": "Spa\x00x", "kind": "massage_clinic", "status": "active"}),
        ("/persons/", {"alias": "Mai\x00"}),
        ("/leads/new", {"site": "x", "url": "https://example.dk/a\x00", "status": "new"}),
        ("/settings/offices", {"revision": "1", "offices": "Aarhus\x00"}),
    ],
)
def test_a_nul_in_any_form_gets_a_422_page_and_nothing_is_stored(coordinator_client, url, data):
    # Found by review: the HTML forms stored a NUL byte (PostgreSQL refuses it: a 500 there).
    before = db.session.scalar(select(func.count()).select_from(Clinic))

    response = coordinator_client.form_post(url, data)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "a NUL byte or a lone surrogate" in page
    assert db.session.scalar(select(func.count()).select_from(Clinic)) == before


def test_a_nul_in_a_page_query_gets_a_422_page(coordinator_client):
    response = coordinator_client.get("/clinics?q=a%00b")

    assert response.status_code == 422
    assert "a NUL byte or a lone surrogate" in response.get_data(as_text=True)


@pytest.mark.parametrize("control", ["\u202a", "\u202e", "\u2066", "\u2069"])
def test_bidi_controls_in_names_and_aliases_get_422(nurse_client, control):
    field_error(put(nurse_client, "clinics", clinic_body(name=f"Spa{control}x")), "name")
    field_error(put(nurse_client, "persons", {"alias": f"Mai{control}"}), "alias")


def test_right_to_left_text_itself_is_accepted(nurse_client):
    assert put(nurse_client, "persons", {"alias": "مريم"}).status_code == 201


# --- structure ----------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [1000, 100_000])
def test_json_nested_deep_gets_a_4xx_envelope(nurse_client, depth):
    raw = '{"name": "x", "kind": "massage_clinic", "opening_hours": ' + "[" * depth
    raw += "]" * depth + "}"
    response = nurse_client.put(
        f"/api/v1/clinics/{uuid.uuid4()}", data=raw, content_type="application/json"
    )
    assert_envelope(response, 422)


def test_json_nested_moderately_deep_gets_422(nurse_client):
    deep = {"mon": 1}
    for _ in range(200):
        deep = {"mon": deep}
    assert_envelope(put(nurse_client, "clinics", clinic_body(opening_hours=deep)), 422)


@pytest.mark.parametrize("collection", ["route-plans", "clinics", "visits", "persons"])
def test_a_huge_page_number_gets_422(coordinator_client, collection):
    response = coordinator_client.get(f"/api/v1/{collection}?page=9223372036854775807")
    field_error(response, "page")


# --- amplification ------------------------------------------------------------------------


def test_a_huge_topic_list_is_refused_fast_with_a_short_answer(nurse_client, person):
    body = conversation_body(person, topics=["x"] * 400_000)
    response, seconds = timed_put(nurse_client, "conversations", body)
    assert seconds < 2
    field_error(response, "topics")
    assert len(response.get_data()) < 2000


@pytest.mark.parametrize("field", ["supplies", "opening_hours"])
def test_a_huge_dict_is_refused_fast(nurse_client, clinic, field):
    many = {f"k{i}": 1 for i in range(100_000)}
    if field == "supplies":
        body, collection = visit_body(clinic, supplies=many), "visits"
    else:
        body, collection = clinic_body(opening_hours=many), "clinics"
    response, seconds = timed_put(nurse_client, collection, body)
    assert seconds < 2
    field_error(response, field)
    assert len(response.get_data()) < 5000


def test_a_422_lists_at_most_max_errors_and_counts_the_rest(nurse_client):
    body = {f"unknown_{i}": i for i in range(500)}
    payload = assert_envelope(put(nurse_client, "persons", body), 422)
    assert len(payload["errors"]) <= MAX_ERRORS + 1
    assert payload["errors"]["_truncated"] == [f"{501 - MAX_ERRORS} more errors not listed."]


def test_every_input_list_and_dict_has_a_documented_bound(client):
    spec = client.get("/api/v1/openapi.json").json
    unbounded = []

    def visit(schema, where):
        if not isinstance(schema, dict):
            return
        if "$ref" in schema:
            return
        if schema.get("type") == "array" and "maxItems" not in schema:
            unbounded.append(where)
        dict_like = schema.get("type") == "object" and "properties" not in schema
        if dict_like and "maxProperties" not in schema:
            unbounded.append(where)
        for key, value in schema.items():
            if isinstance(value, dict):
                visit(value, f"{where}.{key}")

    inputs = [name for name in spec["components"]["schemas"] if name.endswith(("In", "Query"))]
    inputs += ["Merge", "Save", "Login"]
    for name in inputs:
        for field, schema in (
            spec["components"]["schemas"].get(name, {}).get("properties", {}).items()
        ):
            visit(schema, f"{name}.{field}")
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if "$ref" in parameter:  # a shared one, such as the ETag's If-None-Match
                    shared = spec["components"]["parameters"]
                    parameter = shared[parameter["$ref"].rsplit("/", 1)[1]]
                visit(parameter.get("schema"), f"{method} {path} {parameter['name']}")
    assert not unbounded, unbounded


def test_an_oversize_body_gets_the_413_envelope(app, nurse_client):
    raw = b'{"alias": "' + b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1) + b'"}'
    response = nurse_client.put(
        f"/api/v1/persons/{uuid.uuid4()}", data=raw, content_type="application/json"
    )
    assert_envelope(response, 413)


# --- the error handler --------------------------------------------------------------------


def test_a_database_error_answers_the_500_envelope_with_security_headers(
    monkeypatch, coordinator_client
):
    """A failed flush leaves the session's transaction failed (PendingRollbackError on any
    later use); the handler rolls back first, so the envelope and the headers still come."""
    from outreach.clinics import queries

    def failing_list(*args, **kwargs):
        db.session.add(Clinic(name=None, kind="massage_clinic"))  # NOT NULL columns
        db.session.flush()

    monkeypatch.setattr(queries, "list_clinics", failing_list)
    response = coordinator_client.get("/api/v1/clinics")
    assert_envelope(response, 500)
    assert "Content-Security-Policy" in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    monkeypatch.undo()
    assert coordinator_client.get("/api/v1/clinics").status_code == 200


# --- the same on the HTML pages -----------------------------------------------------------


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_the_clinic_list_shows_an_error_for_a_date_out_of_range(coordinator_client, day):
    response = coordinator_client.get(f"/clinics/?not_visited_since={day}")
    assert response.status_code == 200
    assert "2000-01-01" in response.get_data(as_text=True)


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_the_planning_form_refuses_a_date_out_of_range(coordinator_client, day):
    response = coordinator_client.form_post("/routes/", {"date": day, "service_minutes": "40"})
    assert response.status_code in (200, 422)
    assert "2000-01-01" in response.get_data(as_text=True)


def test_the_person_list_bounds_its_page(coordinator_client):
    assert coordinator_client.get("/persons/?page=9223372036854775807").status_code == 200


# --- whole numbers ----------------------------------------------------------------------------

FRACTIONS = [2.5, 2.5890419884777833e-42]  # the second one schemathesis sent; int() makes it 0


@pytest.mark.parametrize("number", FRACTIONS)
def test_a_fraction_in_a_whole_number_field_gets_422_never_a_truncated_save(
    nurse_client, coordinator_client, clinic, person, number
):
    """Every integer field of every body: a fraction is refused on its own field, where a
    plain marshmallow Integer would quietly store int(value)."""
    suggestion = {"alias": "Jasmin", "birth_year": number}
    field_error(nurse_client.post("/api/v1/persons/suggestions", json=suggestion), "birth_year")
    limit = {"alias": "Jasmin", "limit": number}
    field_error(nurse_client.post("/api/v1/persons/suggestions", json=limit), "limit")
    field_error(put(nurse_client, "persons", {"alias": "Mai", "birth_year": number}), "birth_year")
    field_error(
        put(nurse_client, "visits", visit_body(clinic, persons_present=number)), "persons_present"
    )
    field_error(
        put(nurse_client, "visits", visit_body(clinic, supplies={"condoms": number})),
        "supplies.condoms",
    )
    plan = {
        "date": "2025-06-02",
        "base": {"lat": 56.15, "lon": 10.2},
        "shift": {"start": "09:00", "end": "17:00"},
        "clinic_ids": [str(clinic.id)],
    }
    for field in ("nurses", "service_minutes"):
        answer = coordinator_client.post("/api/v1/route-plans", json={**plan, field: number})
        field_error(answer, field)
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 0


def test_a_whole_float_is_a_whole_number(nurse_client, clinic):
    """JSON has one number type: 5.0 is 5."""
    answer = put(nurse_client, "visits", visit_body(clinic, supplies={"condoms": 5.0}))
    assert answer.status_code == 201, answer.json
    assert answer.json["supplies"] == {"condoms": 5}


def test_every_integer_field_is_the_whole_number_field():
    """One integer field in every schema: outreach.inputs.Integer."""
    from pathlib import Path

    import outreach

    root = Path(outreach.__file__).parent
    plain = [
        f"{path.relative_to(root)}:{number}"
        for path in root.rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "fields.Integer(" in line and path.name != "inputs.py"
    ]
    assert not plain, plain
