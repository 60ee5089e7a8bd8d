"""The organisation's retention setting (SECURITY.md 21): "delete person-level data after N
years without contact", set by admins on the settings page; default 5, at least 1."""

import re

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.orgs import queries, services
from outreach.orgs.models import Organisation


def reload(org: Organisation) -> Organisation:
    db.session.expire_all()
    return db.session.get(Organisation, org.id)


def revision(org) -> str:
    return queries.settings_revision(reload(org), "retention")


def post(client, org, years: str, rev=None):
    data = {"retention-years": years, "retention-revision": rev or revision(org)}
    return client.form_post("/settings/retention", data)


def settings_events() -> list[AuditEvent]:
    return list(
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == "organisation.settings"))
    )


def test_the_default_is_five_years(org, admin_client):
    assert queries.retention_years(org) == 5
    html = admin_client.get("/settings/").get_data(as_text=True)
    assert 'id="retention"' in html
    assert re.search(r'id="retention-years"[^>]*value="5"', html)


def test_an_admin_sets_the_years_and_it_is_audited(org, admin_client):
    response = post(admin_client, org, " 7 ")

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/settings/#retention")
    assert queries.retention_years(reload(org)) == 7
    (event,) = settings_events()
    assert event.details == {"part": "retention", "old": 5, "new": 7}


@pytest.mark.parametrize("years", ["0", "-1", "2.5", "abc", "", "101", "1e3"])
def test_bad_input_is_refused_on_its_field_and_nothing_changes(org, admin_client, years):
    response = post(admin_client, org, years)

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'aria-invalid="true" [^>]*id="retention-years"', html)
    assert "Give a whole number of years from 1 to 100." in html
    assert f'value="{years}"' in html  # what was typed is kept
    assert "retention_years" not in reload(org).settings
    assert settings_events() == []


def test_one_year_is_the_least(org, admin_client):
    assert post(admin_client, org, "1").status_code == 303
    assert queries.retention_years(reload(org)) == 1


def test_the_error_is_in_danish_for_a_danish_user(org, admin, login):
    admin.locale = "da"
    db.session.flush()
    client = login(admin)

    html = post(client, org, "0").get_data(as_text=True)

    assert "Angiv et helt antal år fra 1 til 100." in html
    assert "Slet persondata efter så mange år uden kontakt" in html


def test_a_coordinator_sees_the_setting_but_cannot_change_it(org, coordinator_client):
    html = coordinator_client.get("/settings/").get_data(as_text=True)
    assert "Delete person-level data after 5 years without contact." in html
    assert 'action="/settings/retention' not in html

    assert post(coordinator_client, org, "2").status_code == 403
    assert queries.retention_years(reload(org)) == 5


def test_a_change_from_an_out_of_date_page_is_refused(org, admin_client):
    old = revision(org)
    services.set_retention_years(org, 3)

    response = post(admin_client, org, "9", old)

    assert response.status_code == 409
    assert queries.retention_years(reload(org)) == 3


def test_a_post_without_its_revision_changes_nothing(org, admin_client):
    response = admin_client.form_post("/settings/retention", {"retention-years": "2"})
    assert response.status_code == 422
    assert queries.retention_years(reload(org)) == 5


def test_the_service_refuses_what_the_form_would(org):
    for years in (0, 101, 2.5, "3", True):
        with pytest.raises(services.SettingsError):
            services.set_retention_years(org, years)
    assert services.set_retention_years(org, 5) is False  # unchanged: no event
    assert settings_events() == []
