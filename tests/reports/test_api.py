"""GET /api/v1/reports/annual and /monthly: the binding body of DESIGN.md §4, roles, 422s."""

import pytest

from outreach.reports import figures, services
from tests.reports.dataset import ANNUAL_2019, build

REPORT_KEYS = {
    "year",
    "region",
    "visits",
    "clinics_visited",
    "admitted_visits",
    "admission_rate",
    "conversations",
    "persons_talked_to",
    "first_time_persons",
    "by_region",
    "by_month",
    "screening",  # issue 14: added beside the binding keys, which stay as they were
}
REGION_KEYS = {
    "region",
    "visits",
    "clinics_visited",
    "admitted_visits",
    "conversations",
    "persons_talked_to",
    "first_time_persons",
}


@pytest.fixture
def data(factory, org, other_org, coordinator):
    return build(factory, org, other_org, coordinator)


def sorted_regions(body):
    return {**body, "by_region": sorted(body["by_region"], key=lambda r: r["region"])}


def test_the_annual_report_answers_the_binding_body(data, coordinator_client):
    response = coordinator_client.get("/api/v1/reports/annual?year=2019")
    assert response.status_code == 200
    body = response.json
    binding = {k: v for k, v in body.items() if k != "screening"}
    assert sorted_regions(binding) == sorted_regions(ANNUAL_2019)
    assert set(body) == REPORT_KEYS
    assert all(set(row) == REGION_KEYS for row in body["by_region"])
    assert all(
        set(row) == {"month", "visits", "admitted_visits", "conversations"}
        for row in body["by_month"]
    )
    assert isinstance(body["admission_rate"], float)
    assert response.headers["X-Report-Source"] == "live"


def test_admins_read_the_report_too(data, admin_client):
    assert admin_client.get("/api/v1/reports/annual?year=2019").status_code == 200


@pytest.mark.parametrize("query", ["year=2019", "year=abc", ""])
def test_nurses_get_403_whatever_they_ask(data, nurse_client, query):
    response = nurse_client.get(f"/api/v1/reports/annual?{query}")
    assert response.status_code == 403
    assert nurse_client.get("/api/v1/reports/monthly?year=2019&month=1").status_code == 403


def test_without_login_the_report_answers_401(client):
    assert client.get("/api/v1/reports/annual?year=2019").status_code == 401


def test_a_personal_api_token_reads_the_report(data, client, coordinator):
    from outreach.auth.services import create_token

    _, token = create_token(coordinator, "report script")
    response = client.get(
        "/api/v1/reports/annual?year=2019", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    assert response.json["visits"] == 6


def test_a_region_filter_answers_that_regions_figures(data, coordinator_client):
    body = coordinator_client.get("/api/v1/reports/annual?year=2019&region=nordjylland").json
    assert body["region"] == "nordjylland"
    assert (body["visits"], body["persons_talked_to"], body["first_time_persons"]) == (2, 4, 3)
    assert body["admission_rate"] == 1.0
    assert len(body["by_region"]) == 3
    assert sum(m["visits"] for m in body["by_month"]) == 2


def test_an_empty_region_means_every_region(data, coordinator_client):
    body = coordinator_client.get("/api/v1/reports/annual?year=2019&region=").json
    assert body["region"] is None and body["visits"] == 6


def test_a_year_without_visits_has_a_null_admission_rate(data, coordinator_client):
    body = coordinator_client.get("/api/v1/reports/annual?year=2005").json
    assert body["admission_rate"] is None
    assert body["visits"] == 0
    assert len(body["by_month"]) == 12 and len(body["by_region"]) == 3


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("year=abc", "year"),
        ("year=2019.5", "year"),
        ("year=1999", "year"),
        ("year=3000", "year"),
        ("", "year"),
        ("year=2019&region=atlantis", "region"),
        ("year=2019&region=syddanmark", "region"),  # a real region, not the organisation's
        ("year=2019&source=cache", "source"),
    ],
)
def test_invalid_queries_answer_422_with_field_errors(data, coordinator_client, query, field):
    response = coordinator_client.get(f"/api/v1/reports/annual?{query}")
    assert response.status_code == 422
    assert field in response.json["errors"]
    assert isinstance(response.json["errors"][field], list)


def test_next_year_is_allowed_and_the_year_after_is_not(coordinator_client):
    next_year = figures.last_valid_year()
    assert coordinator_client.get(f"/api/v1/reports/annual?year={next_year}").status_code == 200
    response = coordinator_client.get(f"/api/v1/reports/annual?year={next_year + 1}")
    assert response.status_code == 422


def test_the_monthly_report_has_the_figures_of_one_month(data, coordinator_client):
    response = coordinator_client.get("/api/v1/reports/monthly?year=2019&month=5")
    assert response.status_code == 200
    body = response.json
    assert (body["year"], body["month"], body["region"]) == (2019, 5, None)
    assert (body["visits"], body["conversations"], body["first_time_persons"]) == (1, 2, 2)
    assert "by_month" not in body
    assert {row["region"] for row in body["by_region"]} == {
        "nordjylland",
        "midtjylland",
        "sjaelland",
    }


@pytest.mark.parametrize("query", ["year=2019&month=13", "year=2019&month=0", "year=2019"])
def test_the_monthly_report_refuses_a_bad_month(coordinator_client, query):
    response = coordinator_client.get(f"/api/v1/reports/monthly?{query}")
    assert response.status_code == 422
    assert "month" in response.json["errors"]


def test_a_snapshot_is_answered_when_asked_for(data, coordinator_client, app):
    response = coordinator_client.get("/api/v1/reports/annual?year=2019&source=snapshot")
    assert response.status_code == 404
    services.snapshot_period(data.org, figures.Period(2019))
    response = coordinator_client.get("/api/v1/reports/annual?year=2019&source=snapshot")
    assert response.status_code == 200
    binding = {k: v for k, v in response.json.items() if k != "screening"}
    assert sorted_regions(binding) == sorted_regions(ANNUAL_2019)
    assert response.headers["X-Report-Source"] == "snapshot"
    assert response.headers["X-Report-Computed-At"]


def test_the_openapi_document_describes_the_report_endpoints(client):
    spec = client.get("/api/v1/openapi.json").json
    annual = spec["paths"]["/api/v1/reports/annual"]["get"]
    assert {p["name"] for p in annual["parameters"]} >= {"year", "region", "source"}
    assert {"200", "403", "422"} <= set(annual["responses"])
    schema = spec["components"]["schemas"]["AnnualReport"]
    assert set(schema["properties"]) == REPORT_KEYS
    assert "/api/v1/reports/monthly" in spec["paths"]


FILES = ["annual.pdf", "annual.xlsx", "annual.csv"]


@pytest.mark.parametrize("path", FILES)
def test_nurses_get_403_on_the_report_files(data, nurse_client, path):
    response = nurse_client.get(f"/api/v1/reports/{path}?year=2019")
    assert response.status_code == 403
    assert response.mimetype == "application/json"


@pytest.mark.parametrize("path", FILES)
@pytest.mark.parametrize(
    ("query", "field"),
    [("year=1999", "year"), ("year=2019&region=syddanmark", "region"), ("", "year")],
)
def test_the_report_files_refuse_bad_queries_with_the_json_envelope(
    data, coordinator_client, path, query, field
):
    response = coordinator_client.get(f"/api/v1/reports/{path}?{query}")
    assert response.status_code == 422
    assert field in response.json["errors"]


@pytest.mark.parametrize(("query", "field"), [("separator=tab", "separator"), ("table=x", "table")])
def test_the_csv_file_refuses_an_unknown_separator_or_table(data, coordinator_client, query, field):
    response = coordinator_client.get(f"/api/v1/reports/annual.csv?year=2019&{query}")
    assert response.status_code == 422
    assert field in response.json["errors"]


@pytest.mark.parametrize("path", FILES)
def test_a_missing_snapshot_file_is_a_json_404(data, coordinator_client, path):
    response = coordinator_client.get(f"/api/v1/reports/{path}?year=2019&source=snapshot")
    assert response.status_code == 404
    assert response.json["code"] == 404


def test_the_openapi_document_describes_the_report_files(client):
    spec = client.get("/api/v1/openapi.json").json
    for path, content_type in [
        ("annual.pdf", "application/pdf"),
        ("annual.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("annual.csv", "text/csv; charset=utf-8"),
    ]:
        operation = spec["paths"][f"/api/v1/reports/{path}"]["get"]
        assert {p["name"] for p in operation["parameters"]} >= {"year", "region", "source"}
        assert {"200", "403", "404", "422"} <= set(operation["responses"])
        assert content_type in operation["responses"]["200"]["content"]
        assert "Content-Disposition" in operation["responses"]["200"]["headers"]
    csv_operation = spec["paths"]["/api/v1/reports/annual.csv"]["get"]
    assert {p["name"] for p in csv_operation["parameters"]} >= {"separator", "table"}
