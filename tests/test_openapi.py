"""The OpenAPI document at /api/v1/openapi.json: valid OpenAPI 3, generated from the schemas
that validate requests, and documenting the clinic contract of DESIGN.md §4."""

import pytest
from openapi_spec_validator import validate

from outreach.clinics.models import CLINIC_KINDS, CLINIC_STATUSES
from outreach.orgs.models import REGION_SLUGS

CLINIC = "/api/v1/clinics/{clinic_id}"
CLINICS = "/api/v1/clinics"


@pytest.fixture
def spec(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json


def resolve(spec: dict, node: dict) -> dict:
    """Follow "$ref"s inside the document."""
    while "$ref" in node:
        path = node["$ref"].removeprefix("#/").split("/")
        node = spec
        for part in path:
            node = node[part]
    return node


def body_schema(spec: dict, path: str, method: str) -> dict:
    content = spec["paths"][path][method]["requestBody"]["content"]
    return resolve(spec, content["application/json"]["schema"])


def answer(spec: dict, path: str, method: str, code: int) -> dict:
    return resolve(spec, spec["paths"][path][method]["responses"][str(code)])


def answer_schema(spec: dict, path: str, method: str, code: int) -> dict:
    content = answer(spec, path, method, code)["content"]["application/json"]
    return resolve(spec, content["schema"])


def test_the_document_is_served_without_logging_in(client):
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_the_document_is_valid_openapi_3(spec):
    assert spec["openapi"].startswith("3.")
    validate(spec)


def test_put_clinic_documents_the_request_body_with_the_contracts_fields(spec):
    schema = body_schema(spec, CLINIC, "put")

    assert set(schema["required"]) == {"name", "kind"}
    assert {
        "name",
        "kind",
        "address",
        "postcode",
        "city",
        "lat",
        "lon",
        "region",
        "opening_hours",
        "status",
        "notes",
    } <= set(schema["properties"])


def test_put_clinic_documents_the_binding_code_lists(spec):
    properties = body_schema(spec, CLINIC, "put")["properties"]

    assert properties["kind"]["enum"] == list(CLINIC_KINDS)
    assert properties["status"]["enum"] == list(CLINIC_STATUSES)
    assert [slug for slug in properties["region"]["enum"] if slug] == REGION_SLUGS


def test_put_clinic_refuses_unknown_fields_in_the_document_too(spec):
    assert body_schema(spec, CLINIC, "put")["additionalProperties"] is False


@pytest.mark.parametrize("code", [200, 201, 403, 404, 412, 422])
def test_put_clinic_documents_each_answer(spec, code):
    assert str(code) in spec["paths"][CLINIC]["put"]["responses"]


@pytest.mark.parametrize("code", [200, 201])
def test_put_clinic_answers_carry_the_clinic_and_its_etag(spec, code):
    assert answer_schema(spec, CLINIC, "put", code) == resolve(
        spec, {"$ref": "#/components/schemas/ClinicOut"}
    )
    assert "ETag" in answer(spec, CLINIC, "put", code)["headers"]


@pytest.mark.parametrize("code", [403, 404, 412, 422])
def test_put_clinic_errors_are_documented_as_the_error_envelope(spec, code):
    properties = answer_schema(spec, CLINIC, "put", code)["properties"]

    assert {"code", "message", "errors"} <= set(properties)


def test_put_clinic_documents_the_if_match_header(spec):
    parameters = spec["paths"][CLINIC]["put"].get("parameters", [])

    assert {"in": "header", "name": "If-Match"}.items() <= next(
        p for p in parameters if p["name"] == "If-Match"
    ).items()


def test_the_clinic_id_is_a_uuid_in_the_path(spec):
    (parameter,) = spec["paths"][CLINIC]["parameters"]

    assert (parameter["in"], parameter["name"], parameter["schema"]["format"]) == (
        "path",
        "clinic_id",
        "uuid",
    )


def test_get_clinic_documents_the_clinic_with_its_etag_and_404(spec):
    assert "ETag" in answer(spec, CLINIC, "get", 200)["headers"]
    assert "404" in spec["paths"][CLINIC]["get"]["responses"]


def test_the_clinic_representation_documents_region_source_and_geocode_status(spec):
    properties = resolve(spec, {"$ref": "#/components/schemas/ClinicOut"})["properties"]

    assert {"id", "region", "region_source", "geocode_status", "updated_at"} <= set(properties)


def test_the_clinic_list_documents_its_filters_and_paging(spec):
    names = {p["name"] for p in spec["paths"][CLINICS]["get"]["parameters"]}

    assert names == {
        "region",
        "kind",
        "status",
        "q",
        "not_visited_since",
        "updated_since",
        "page",
        "per_page",
    }


def test_the_clinic_list_documents_items_and_total(spec):
    properties = answer_schema(spec, CLINICS, "get", 200)["properties"]

    assert {"items", "page", "per_page", "total"} <= set(properties)


# --- precise enough for a client generating requests from it (issue 11, item 10) -----------


def test_country_and_language_codes_are_enums(spec):
    person = spec["components"]["schemas"]["PersonIn"]["properties"]
    assert "TH" in person["nationality"]["enum"] and "ZZ" not in person["nationality"]["enum"]
    assert "th" in person["languages"]["items"]["enum"]
    assert person["birth_year"]["minimum"] == 1920


def test_report_years_have_a_range(spec):
    year = next(
        p
        for p in spec["paths"]["/api/v1/reports/annual"]["get"]["parameters"]
        if p["name"] == "year"
    )
    assert year["schema"]["minimum"] == 2000 and year["schema"]["maximum"] >= 2026


def test_timestamps_document_their_range_and_a_pattern_inside_it(spec):
    started_at = spec["components"]["schemas"]["VisitIn"]["properties"]["started_at"]
    assert "2000-01-01" in started_at["description"]
    assert started_at["pattern"].startswith("^(2001|2002|")
    plan_date = spec["components"]["schemas"]["RoutePlanIn"]["properties"]["date"]
    assert plan_date["pattern"].startswith("^(2000|2001|")


def test_a_route_plan_needs_clinic_ids_or_a_region_or_an_area(spec):
    plan = spec["components"]["schemas"]["RoutePlanIn"]
    assert sorted(branch["required"][0] for branch in plan["anyOf"]) == [
        "area",
        "clinic_ids",
        "region",
    ]
    assert plan["not"]["required"] == ["nurses", "staff"]


def test_a_conversation_in_a_visit_has_the_channel_visit(spec):
    in_visit, outside = spec["components"]["schemas"]["ConversationIn"]["oneOf"]
    assert in_visit["properties"]["channel"]["enum"] == ["visit"]
    assert "visit" not in outside["properties"]["channel"]["enum"]
    assert outside["required"] == ["occurred_at"]
