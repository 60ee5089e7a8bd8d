"""The SMS settings page: an admin writes a template per language and sets the team's number
and the limit; a coordinator reads them; the do-not-contact list shows a count only."""

import html
import re

from outreach.db import db
from outreach.orgs.models import Organisation
from outreach.sms import queries


def sms_settings(org):
    db.session.expire_all()
    return queries.sms_settings(db.session.get(Organisation, org.id))


def test_an_admin_saves_a_template_and_its_id_changes_with_each_new_wording(admin_client, org):
    answer = admin_client.form_post(
        "/settings/sms/templates", {"language": "th", "body": "Hej, {name} fra teamet, {phone}"}
    )
    assert answer.status_code == 303
    assert sms_settings(org)["templates"] == [
        {"id": "th-1", "language": "th", "body": "Hej, {name} fra teamet, {phone}"}
    ]
    admin_client.form_post("/settings/sms/templates", {"language": "th", "body": "New words"})
    assert [t["id"] for t in sms_settings(org)["templates"]] == ["th-2"]


def test_the_team_number_is_stored_in_e164_and_a_bad_one_is_named(admin_client, org):
    ok = admin_client.form_post(
        "/settings/sms/options", {"team_phone": "70 10 10 10", "period_days": "21"}
    )
    assert ok.status_code == 303
    assert sms_settings(org)["team_phone"] == "+4570101010"
    assert sms_settings(org)["period_days"] == 21
    bad = admin_client.form_post("/settings/sms/options", {"team_phone": "12", "period_days": "0"})
    assert bad.status_code == 422
    assert sms_settings(org)["period_days"] == 21


def test_a_coordinator_reads_the_page_but_may_not_change_it(coordinator_client):
    assert coordinator_client.get("/settings/sms/").status_code == 200
    refused = coordinator_client.form_post(
        "/settings/sms/templates", {"language": "th", "body": "x"}
    )
    assert refused.status_code == 403


def test_the_template_language_picker_starts_with_the_organisations_languages(
    admin_client, org, factory
):
    """Not at "Abkhazian": the languages of its templates, then of its leads (the most
    frequent first), then the team's usual ones; then all the others by name."""
    admin_client.form_post("/settings/sms/templates", {"language": "pl", "body": "Cześć {name}"})
    factory.lead(org, languages=["uk", "th"])
    factory.lead(org, languages=["uk"])
    db.session.commit()

    page = admin_client.get("/settings/sms/").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="language".*?</select>', page, re.S).group(0)
    groups = re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', select, re.S)
    labels = [html.unescape(label) for label, _ in groups]
    assert labels == ["Your organisation's languages", "Other languages"]
    first = re.findall(r'value="([a-z]+)"', groups[0][1])
    assert first == ["pl", "uk", "th", "da", "en", "ro", "es", "bg", "zh"]
    rest = re.findall(r'value="([a-z]+)"', groups[1][1])
    assert "ab" in rest and not set(first) & set(rest)
    # A language of the second group is still accepted.
    saved = admin_client.form_post("/settings/sms/templates", {"language": "ab", "body": "x"})
    assert saved.status_code == 303
