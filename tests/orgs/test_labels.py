"""Supply and indicator labels per language: what each language shows, what the settings page
stores, and the fallbacks. The tests run with English as the default language
(tests/conftest.py); a test that needs a Danish deployment sets DEFAULT_LOCALE itself."""

import re

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.orgs import queries, services
from outreach.orgs.models import Organisation
from tests.orgs import test_settings_pages
from tests.orgs.test_settings_pages import code_rows, page, revision_in


@pytest.fixture
def danish_deployment(app, monkeypatch):
    monkeypatch.setitem(app.config, "DEFAULT_LOCALE", "da")


@pytest.fixture(autouse=True)
def _posting_org(org):
    """code_rows() posts the settings' current revision of this organisation."""
    test_settings_pages.POSTING_ORG = org


@pytest.fixture
def labelled(org):
    org.settings = {
        "supplies": ["condoms", "gloves", "leaflet_xx"],
        "supply_labels": {
            "condoms": {"da": "Kondomer (pakke)", "en": "Condom packs"},
            "gloves": {"da": "Handsker"},
            "leaflet_xx": {"en": "Leaflet (XX)"},
        },
        "indicators": ["debt"],
        "indicator_labels": {"debt": {"da": "Gæld til ejeren", "en": "Debt to the owner"}},
    }
    db.session.flush()
    return org


def reload(org: Organisation) -> Organisation:
    db.session.expire_all()
    return db.session.get(Organisation, org.id)


def settings_events() -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.action == "organisation.settings")
    return list(db.session.scalars(stmt))


# --- what each language shows -------------------------------------------------------------------


def test_each_language_shows_the_organisations_label_in_it(labelled):
    assert queries.code_labels(labelled, "supplies", "da")["condoms"] == "Kondomer (pakke)"
    assert queries.code_labels(labelled, "supplies", "en")["condoms"] == "Condom packs"
    assert queries.code_labels(labelled, "indicators", "da") == {"debt": "Gæld til ejeren"}


def test_a_language_without_a_label_falls_back_to_the_default_languages(
    labelled, danish_deployment
):
    # gloves is no known code and has only a Danish label, the default language's.
    assert queries.code_labels(labelled, "supplies", "en")["gloves"] == "Handsker"


def test_a_known_code_without_a_label_in_a_language_gets_its_built_in_label(org):
    org.settings = {"supplies": ["condoms"], "supply_labels": {"condoms": {"en": "Rubbers"}}}
    assert queries.code_labels(org, "supplies", "da") == {"condoms": "Kondomer"}
    assert queries.code_labels(org, "supplies", "en") == {"condoms": "Rubbers"}


def test_a_label_stored_as_one_string_is_the_default_languages(org, danish_deployment):
    org.settings = {"supplies": ["gloves"], "supply_labels": {"gloves": "Handsker"}}
    assert queries.code_labels(org, "supplies", "da") == {"gloves": "Handsker"}
    assert queries.code_labels(org, "supplies", "en") == {"gloves": "Handsker"}
    assert queries.stored_labels(org, "supplies") == {"gloves": {"da": "Handsker"}}


def test_the_pages_show_labels_in_the_readers_language(labelled, coordinator_client, coordinator):
    html = page(coordinator_client.get("/settings/"))
    limits = html[html.index('id="limits"') :]
    assert "Condom packs" in limits and "Kondomer (pakke)" not in limits
    coordinator.locale = "da"
    db.session.flush()
    html = page(coordinator_client.get("/settings/"))
    limits = html[html.index('id="limits"') :]
    assert "Kondomer (pakke)" in limits and "Condom packs" not in limits


# --- the settings page edits both languages ------------------------------------------------------


def test_the_settings_page_has_a_label_field_per_language(labelled, coordinator_client):
    html = page(coordinator_client.get("/settings/"))
    assert re.search(r'name="supplies-rows-0-label_da"[^>]*value="Kondomer \(pakke\)"', html)
    assert re.search(r'name="supplies-rows-0-label_en"[^>]*value="Condom packs"', html)
    # An empty label shows what will be shown instead.
    assert re.search(r'name="supplies-rows-1-label_da"[^>]*placeholder="Handsker"', html)
    assert "Label (Danish)" in html and "Label (English)" in html


def test_both_languages_are_stored_and_audited(labelled, coordinator_client):
    rows = [
        ("condoms", {"da": "Kondomer (pakke)", "en": "Condoms"}),
        ("gloves", {"da": "Handsker", "en": "Gloves"}),
        ("leaflet_xx", {"da": "Folder (XX)", "en": "Leaflet (XX)"}),
    ]
    response = coordinator_client.form_post("/settings/supplies", code_rows("supplies", rows))

    assert response.status_code == 303
    assert reload(labelled).settings["supply_labels"] == {code: labels for code, labels in rows}
    (event,) = settings_events()
    assert event.details["relabelled"] == ["condoms", "gloves", "leaflet_xx"]
    assert "Gloves" not in str(event.details)  # codes are audited, not the text


def test_the_default_languages_label_is_required_the_other_is_not(labelled, coordinator_client):
    before = dict(reload(labelled).settings)
    rows = [("condoms", {"da": "Kondomer", "en": ""}), ("gloves", {"da": "Handsker", "en": ""})]
    rows.append(("leaflet_xx", {"en": "Leaflet (XX)"}))

    response = coordinator_client.form_post("/settings/supplies", code_rows("supplies", rows))

    assert response.status_code == 422
    assert page(response).count("Give a label.") == 2  # condoms and gloves, in English
    assert reload(labelled).settings == before


def test_a_danish_deployment_requires_the_danish_label(labelled, coordinator, danish_deployment):
    with pytest.raises(services.SettingsError):
        services.set_code_list(labelled, "supplies", [("gloves", {"en": "Gloves"})], coordinator)
    services.set_code_list(labelled, "supplies", [("gloves", {"da": "Handsker"})], coordinator)
    assert reload(labelled).settings["supply_labels"]["gloves"] == {"da": "Handsker"}


def test_the_same_label_twice_is_refused_only_within_one_language(labelled, coordinator_client):
    rows = [
        ("condoms", {"da": "Kondomer", "en": "Condoms"}),
        ("gloves", {"da": "Condoms", "en": "Gloves"}),  # another language's text: allowed
        ("leaflet_xx", {"da": "Folder", "en": "condoms"}),
    ]
    response = coordinator_client.form_post("/settings/supplies", code_rows("supplies", rows))
    assert response.status_code == 422
    assert page(response).count("Another item already has this label.") == 1


def test_changing_only_the_other_language_from_an_old_page_is_a_conflict(
    labelled, coordinator_client, coordinator
):
    revision = revision_in(page(coordinator_client.get("/settings/")), "indicators")
    services.set_code_list(
        labelled, "indicators", [("debt", {"da": "Gæld til ejeren", "en": "Debt"})], coordinator
    )
    response = coordinator_client.form_post(
        "/settings/indicators",
        code_rows("indicators", [("debt", {"en": "Owes the owner"})], revision),
    )
    assert response.status_code == 409
    assert reload(labelled).settings["indicator_labels"]["debt"]["en"] == "Debt"
