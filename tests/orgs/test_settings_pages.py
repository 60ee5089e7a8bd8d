"""The organisation settings page: supply list, indicator checklist and offices, for
coordinators and admins; and the services behind it."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.orgs import queries, services
from outreach.orgs.models import Organisation
from outreach.orgs.queries import organisation_lists
from outreach.visits.models import Visit

AARHUS = (56.1567, 10.2108)
BERLIN = (52.52, 13.405)


def page(response) -> str:
    return response.get_data(as_text=True)


def reload(org: Organisation) -> Organisation:
    db.session.expire_all()
    return db.session.get(Organisation, org.id)


def events(action="organisation.settings") -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def revision_in(html: str, part: str) -> str:
    match = re.search(
        rf'id="{part}-revision" name="{part}-revision" type="hidden" value="(\w*)"', html
    )
    assert match, f"no revision field for {part}"
    return match.group(1)


CURRENT = object()  # the revision the page shows now


@pytest.fixture(autouse=True)
def _posting_org(org):
    """The organisation whose settings the helpers below read the current revision of."""
    global POSTING_ORG
    POSTING_ORG = org


def current_revision(part: str) -> str:
    return queries.settings_revision(reload(POSTING_ORG), part)


def code_rows(part: str, rows: list[tuple], revision=CURRENT) -> dict:
    """The posted form of a code list: rows of (code, labels[, remove]); labels are
    {language: label}, or a string for the label in the default language alone (English in
    the tests, tests/conftest.py)."""
    data = {}
    if revision is CURRENT:
        revision = current_revision(part)
    if revision is not None:
        data[f"{part}-revision"] = revision
    for i, row in enumerate(rows):
        data[f"{part}-rows-{i}-code"] = row[0]
        labels = row[1] if isinstance(row[1], dict) else {"en": row[1]}
        for language, label in labels.items():
            data[f"{part}-rows-{i}-label_{language}"] = label
        if len(row) > 2 and row[2]:
            data[f"{part}-rows-{i}-remove"] = "y"
    return data


def office_rows(rows: list[tuple], revision=CURRENT) -> dict:
    data = {}
    if revision is CURRENT:
        revision = current_revision("offices")
    if revision is not None:
        data["offices-revision"] = revision
    for i, row in enumerate(rows):
        name, lat, lon = row[:3]
        data[f"offices-rows-{i}-name"] = name
        data[f"offices-rows-{i}-lat"] = lat
        data[f"offices-rows-{i}-lon"] = lon
        if len(row) > 3 and row[3]:
            data[f"offices-rows-{i}-remove"] = "y"
    return data


@pytest.fixture
def org_with_lists(org):
    org.settings = {
        "supplies": ["condoms", "leaflet_th"],
        "supply_labels": {
            "condoms": {"da": "Kondomer", "en": "Condoms"},
            "leaflet_th": {"da": "Folder (thai)", "en": "Leaflet (Thai)"},
        },
        "indicators": ["no_own_passport"],
        "offices": [{"name": "Aarhus", "lat": AARHUS[0], "lon": AARHUS[1]}],
    }
    db.session.flush()
    return org


# --- who may use it ----------------------------------------------------------------------------


def test_nurse_gets_403_and_changes_nothing(nurse_client, org_with_lists):
    before = dict(org_with_lists.settings)
    assert nurse_client.get("/settings/").status_code == 403
    for part in ("supplies", "indicators"):
        response = nurse_client.form_post(f"/settings/{part}", code_rows(part, [("x", "X")]))
        assert response.status_code == 403
    response = nurse_client.form_post(
        "/settings/offices", office_rows([("Odense", "55.4", "10.39")])
    )
    assert response.status_code == 403
    assert reload(org_with_lists).settings == before
    assert events() == []


def test_admin_may_edit_settings(admin_client, org_with_lists):
    assert admin_client.get("/settings/").status_code == 200
    response = admin_client.form_post(
        "/settings/supplies", code_rows("supplies", [("condoms", "Kondomer")])
    )
    assert response.status_code == 303


def test_settings_need_a_login(client):
    assert client.get("/settings/").status_code == 302


def test_nav_links_to_settings_for_coordinators(coordinator_client):
    assert 'href="/settings/"' in page(coordinator_client.get("/clinics/"))


def test_nav_has_no_settings_link_for_nurses(nurse_client):
    assert 'href="/settings/"' not in page(nurse_client.get("/clinics/"))


# --- the page -----------------------------------------------------------------------------------


def test_page_shows_codes_labels_and_offices(admin_client, org_with_lists):
    html = page(admin_client.get("/settings/"))
    assert 'value="condoms"' in html and 'value="Leaflet (Thai)"' in html
    assert 'value="Folder (thai)"' in html
    # A code stored before labels existed gets a readable label to start from: a known
    # code's built-in label.
    assert 'value="no_own_passport"' in html and 'value="Does not hold own passport"' in html
    assert 'value="Aarhus"' in html and 'value="56.1567"' in html
    # Stored codes are fixed; new rows are there to add more.
    assert re.search(r'readonly[^>]*value="condoms"|value="condoms"[^>]*readonly', html)
    assert 'name="supplies-rows-2-code"' in html


def test_organisation_without_settings_gets_an_empty_page(coordinator_client):
    response = coordinator_client.get("/settings/")
    assert response.status_code == 200
    assert 'name="supplies-rows-0-code"' in page(response)


# --- editing the lists -------------------------------------------------------------------------


def test_supply_list_edit_round_trips(coordinator_client, org_with_lists):
    rows = [
        ("condoms", {"da": "Kondomer (store)", "en": "Condoms"}),
        ("leaflet_th", {"da": "Folder (thai)", "en": "Thai leaflet"}),
        ("lubricant", {"da": "", "en": "Lube"}),
    ]
    response = coordinator_client.form_post("/settings/supplies", code_rows("supplies", rows))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/settings/#supplies")
    settings = reload(org_with_lists).settings
    assert settings["supplies"] == ["condoms", "leaflet_th", "lubricant"]
    assert settings["supply_labels"] == {
        "condoms": {"da": "Kondomer (store)", "en": "Condoms"},
        "leaflet_th": {"da": "Folder (thai)", "en": "Thai leaflet"},
        "lubricant": {"en": "Lube"},  # Danish left empty: it falls back
    }
    assert organisation_lists(org_with_lists.id)["supplies"] == [
        "condoms",
        "leaflet_th",
        "lubricant",
    ]
    html = page(coordinator_client.get("/settings/"))
    assert 'value="Lube"' in html
    (event,) = events()
    assert event.details == {
        "part": "supplies",
        "added": ["lubricant"],
        "removed": [],
        "relabelled": ["condoms", "leaflet_th"],
    }
    assert event.user_id == coordinator_client.user.id


def test_indicator_checklist_edit_round_trips(coordinator_client, org_with_lists):
    rows = [
        ("no_own_passport", "No own passport"),
        ("debt", {"da": "Gæld til ejeren", "en": "Debt to the owner"}),
    ]
    response = coordinator_client.form_post("/settings/indicators", code_rows("indicators", rows))
    assert response.status_code == 303
    settings = reload(org_with_lists).settings
    assert settings["indicators"] == ["no_own_passport", "debt"]
    assert settings["indicator_labels"]["debt"] == {
        "da": "Gæld til ejeren",
        "en": "Debt to the owner",
    }
    assert settings["supplies"] == ["condoms", "leaflet_th"]  # the other list is untouched


def test_blank_rows_are_ignored(coordinator_client, org_with_lists):
    rows = [
        ("condoms", {"da": "Kondomer", "en": "Condoms"}),
        ("leaflet_th", {"da": "Folder (thai)", "en": "Leaflet (Thai)"}),
        ("", ""),
        ("", {"da": "", "en": ""}),
    ]
    response = coordinator_client.form_post("/settings/supplies", code_rows("supplies", rows))
    assert response.status_code == 303
    assert reload(org_with_lists).settings["supplies"] == ["condoms", "leaflet_th"]
    assert events() == []  # nothing changed, nothing to audit


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("condoms", "Condoms"), ("condoms", "More condoms")], "already on the list"),
        ([("Condoms!", "Condoms")], "lower-case letters"),
        ([("leaflet th", "Leaflet")], "lower-case letters"),
        ([("_condoms", "Condoms")], "lower-case letters"),
        ([("condoms", "")], "Give a label"),
        ([("", "Condoms")], "Give a code"),
        ([("condoms", "Condoms"), ("kondomer", "condoms")], "already has this label"),
        ([("a" * 41, "Long")], "at most 40"),
    ],
)
def test_bad_code_list_shows_errors_and_changes_nothing(
    coordinator_client, org_with_lists, rows, message
):
    before = dict(reload(org_with_lists).settings)
    response = coordinator_client.form_post("/settings/supplies", code_rows("supplies", rows))
    assert response.status_code == 422
    html = page(response)
    assert message in html
    assert 'class="error"' in html
    assert reload(org_with_lists).settings == before
    assert events() == []


def test_refused_form_keeps_what_was_typed(coordinator_client, org_with_lists):
    rows = [("condoms", "Condoms"), ("sti_test", "")]
    html = page(coordinator_client.form_post("/settings/supplies", code_rows("supplies", rows)))
    assert 'value="sti_test"' in html


def test_removing_a_code_keeps_old_visits_intact(
    coordinator_client, coordinator, org_with_lists, factory
):
    clinic = factory.clinic(org_with_lists)
    visit = factory.visit(
        clinic,
        datetime(2024, 5, 1, 12, tzinfo=UTC),
        supplies={"condoms": 20, "leaflet_th": 2},
        indicators=["no_own_passport"],
    )
    response = coordinator_client.form_post(
        "/settings/supplies",
        code_rows("supplies", [("condoms", "Condoms"), ("leaflet_th", "Leaflet (Thai)", True)]),
    )
    assert response.status_code == 303
    settings = reload(org_with_lists).settings
    assert settings["supplies"] == ["condoms"]
    # The phone no longer offers it, but its label is kept for the records that used it.
    assert organisation_lists(org_with_lists.id)["supplies"] == ["condoms"]
    assert settings["supply_labels"]["leaflet_th"] == {
        "da": "Folder (thai)",
        "en": "Leaflet (Thai)",
    }
    assert queries.code_labels(org_with_lists, "supplies", "en")["leaflet_th"] == "Leaflet (Thai)"
    stored = db.session.get(Visit, visit.id)
    assert stored.supplies == {"condoms": 20, "leaflet_th": 2}
    answer = coordinator_client.get(f"/api/v1/visits/{visit.id}")
    assert answer.status_code == 200
    assert answer.json["supplies"] == {"condoms": 20, "leaflet_th": 2}
    (event,) = events()
    assert event.details["removed"] == ["leaflet_th"]


def test_removed_code_can_be_added_again(coordinator_client, org_with_lists):
    coordinator_client.form_post(
        "/settings/supplies",
        code_rows("supplies", [("condoms", "Condoms"), ("leaflet_th", "Leaflet", True)]),
    )
    response = coordinator_client.form_post(
        "/settings/supplies",
        code_rows("supplies", [("condoms", "Condoms"), ("leaflet_th", "Leaflet (Thai)")]),
    )
    assert response.status_code == 303
    assert reload(org_with_lists).settings["supplies"] == ["condoms", "leaflet_th"]


def test_edit_from_an_out_of_date_page_is_refused(coordinator_client, coordinator, org_with_lists):
    revision = revision_in(page(coordinator_client.get("/settings/")), "supplies")
    # Meanwhile another coordinator adds lubricant.
    services.set_code_list(
        org_with_lists,
        "supplies",
        [("condoms", "Condoms"), ("leaflet_th", "Leaflet (Thai)"), ("lubricant", "Lube")],
        coordinator,
    )
    response = coordinator_client.form_post(
        "/settings/supplies",
        code_rows("supplies", [("condoms", "Condoms"), ("sti_test", "STI test")], revision),
    )
    assert response.status_code == 409
    assert "Someone else changed this list" in page(response)
    assert reload(org_with_lists).settings["supplies"] == ["condoms", "leaflet_th", "lubricant"]


def test_edit_changes_only_the_own_organisation(coordinator_client, org_with_lists, other_org):
    other_org.settings = {"supplies": ["condoms"]}
    db.session.flush()
    coordinator_client.form_post(
        "/settings/supplies", code_rows("supplies", [("gloves", "Gloves")])
    )
    assert reload(other_org).settings == {"supplies": ["condoms"]}


def test_settings_post_without_csrf_token_is_refused(coordinator_client, org_with_lists):
    response = coordinator_client.client.post(
        "/settings/supplies", data=code_rows("supplies", [("gloves", "Gloves")])
    )
    assert response.status_code == 400
    assert reload(org_with_lists).settings["supplies"] == ["condoms", "leaflet_th"]


# --- offices ------------------------------------------------------------------------------------


def test_a_coordinator_sees_the_offices_but_cannot_change_them(coordinator_client, org_with_lists):
    before = dict(reload(org_with_lists).settings)
    rows = [("Aarhus", "56.1567", "10.2108")]
    assert coordinator_client.form_post("/settings/offices", office_rows(rows)).status_code == 403
    assert reload(org_with_lists).settings == before
    assert "Only an admin can change the offices." in page(coordinator_client.get("/settings/"))


def test_offices_edit_round_trips(admin_client, org_with_lists):
    rows = [("Aarhus", "56.1567", "10.2108"), ("Aalborg", "57,0488", "9,9217")]
    response = admin_client.form_post("/settings/offices", office_rows(rows))
    assert response.status_code == 303
    assert reload(org_with_lists).settings["offices"] == [
        {"name": "Aarhus", "lat": 56.1567, "lon": 10.2108},
        {"name": "Aalborg", "lat": 57.0488, "lon": 9.9217},
    ]
    assert 'value="Aalborg"' in page(admin_client.get("/settings/"))
    (event,) = events()
    assert event.details == {"part": "offices", "added": ["Aalborg"], "removed": []}


def test_office_can_be_removed(admin_client, org_with_lists):
    rows = [("Aarhus", "56.1567", "10.2108", True), ("Roskilde", "55.6415", "12.0803")]
    assert admin_client.form_post("/settings/offices", office_rows(rows)).status_code == 303
    assert [o["name"] for o in reload(org_with_lists).settings["offices"]] == ["Roskilde"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (("Berlin", str(BERLIN[0]), str(BERLIN[1])), "not in Denmark"),
        (("Null Island", "0", "0"), "not in Denmark"),
        (("Swapped", "10.2108", "56.1567"), "look swapped"),
        (("Aarhus 2", "north", "10.2"), "decimal number"),
        (("", "56.1567", "10.2108"), "Give the office a name"),
        (("Aarhus", "56.16", "10.21"), "already has this name"),
    ],
)
def test_bad_office_shows_errors_and_changes_nothing(admin_client, org_with_lists, row, message):
    before = dict(reload(org_with_lists).settings)
    rows = [("Aarhus", "56.1567", "10.2108"), row]
    response = admin_client.form_post("/settings/offices", office_rows(rows))
    assert response.status_code == 422
    assert message in page(response)
    assert reload(org_with_lists).settings == before
    assert events() == []


# --- the services, without HTTP ------------------------------------------------------------------


def test_set_offices_refuses_a_point_outside_denmark(org, coordinator):
    with pytest.raises(services.SettingsError):
        services.set_offices(
            org, [{"name": "Berlin", "lat": BERLIN[0], "lon": BERLIN[1]}], coordinator
        )
    assert "offices" not in (reload(org).settings or {})


def test_set_code_list_refuses_bad_codes_and_duplicates(org, coordinator):
    with pytest.raises(services.SettingsError):
        services.set_code_list(org, "supplies", [("Bad Code", "Bad")], coordinator)
    with pytest.raises(services.SettingsError):
        services.set_code_list(org, "supplies", [("a", "A"), ("a", "B")], coordinator)
    with pytest.raises(services.SettingsError):
        services.set_code_list(org, "supplies", [("a", " ")], coordinator)
    assert "supplies" not in (reload(org).settings or {})


def test_set_code_list_reports_whether_anything_changed(org, coordinator):
    assert services.set_code_list(org, "indicators", [("debt", "Debt")], coordinator) is True
    assert services.set_code_list(org, "indicators", [("debt", "Debt")], coordinator) is False
    assert len(events()) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) >= 1


# --- the usual most per visit ------------------------------------------------------------------


def limit_rows(persons_present: str, limits: dict[str, str], revision=None) -> dict:
    data = {"limits-persons_present": persons_present}
    if revision is not None:
        data["limits-revision"] = revision
    for i, (code, limit) in enumerate(limits.items()):
        data[f"limits-rows-{i}-code"] = code
        data[f"limits-rows-{i}-limit"] = limit
    return data


def test_page_shows_the_default_usual_numbers_per_supply(coordinator_client, org_with_lists):
    html = page(coordinator_client.get("/settings/"))

    assert 'name="limits-persons_present" type="text" value="15"' in html
    assert 'name="limits-rows-0-limit" type="text" value="200"' in html  # condoms
    assert 'name="limits-rows-1-limit" type="text" value="100"' in html  # leaflet_th
    assert ">Leaflet (Thai)</label>" in html


def test_coordinator_sets_the_usual_numbers_and_phones_get_them(coordinator_client, org_with_lists):
    revision = revision_in(page(coordinator_client.get("/settings/")), "limits")

    response = coordinator_client.form_post(
        "/settings/limits",
        limit_rows("8", {"condoms": "1 000", "leaflet_th": "100"}, revision),
    )

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/settings/#limits")
    assert queries.plausibility_limits(reload(org_with_lists)) == {
        "persons_present": 8,
        "supplies": {"condoms": 1000, "leaflet_th": 100},
    }
    (event,) = events()
    assert event.details == {"part": "limits", "changed": ["persons_present", "condoms"]}
    pulled = coordinator_client.get("/api/v1/sync").json["reference"]["limits"]
    assert pulled["supplies"]["condoms"] == 1000 and pulled["persons_present"] == 8


@pytest.mark.parametrize(
    ("persons_present", "condoms", "field"),
    [
        ("0", "200", "limits-persons_present"),
        ("100", "200", "limits-persons_present"),
        ("15", "-5", "limits-rows-0-limit"),
        ("15", "2.5", "limits-rows-0-limit"),
        ("15", "10000", "limits-rows-0-limit"),
        ("15", "", "limits-rows-0-limit"),
    ],
)
def test_an_impossible_usual_number_is_refused_on_its_field(
    coordinator_client, org_with_lists, persons_present, condoms, field
):
    response = coordinator_client.form_post(
        "/settings/limits", limit_rows(persons_present, {"condoms": condoms, "leaflet_th": "100"})
    )

    assert response.status_code == 422
    html = page(response)
    assert re.search(rf'aria-invalid="true" [^>]*id="{field}"|id="{field}"[^>]*aria-invalid', html)
    assert html.count('aria-invalid="true"') == 1
    assert "Give a whole number from 1 to" in html
    assert "limits" not in reload(org_with_lists).settings


def test_nurse_cannot_set_the_usual_numbers(nurse_client, org_with_lists):
    response = nurse_client.form_post("/settings/limits", limit_rows("50", {"condoms": "5000"}))

    assert response.status_code == 403
    assert "limits" not in reload(org_with_lists).settings


def test_usual_numbers_edited_from_an_old_page_are_refused(coordinator_client, org_with_lists):
    old = revision_in(page(coordinator_client.get("/settings/")), "limits")
    services.set_limits(org_with_lists, 10, {"condoms": 300})

    response = coordinator_client.form_post(
        "/settings/limits", limit_rows("8", {"condoms": "400"}, old)
    )

    assert response.status_code == 409
    assert queries.plausibility_limits(reload(org_with_lists))["supplies"]["condoms"] == 300


def test_saving_the_same_usual_numbers_changes_nothing(coordinator_client, org_with_lists):
    response = coordinator_client.form_post(
        "/settings/limits", limit_rows("15", {"condoms": "200", "leaflet_th": "100"})
    )

    assert response.status_code == 303
    assert "limits" not in reload(org_with_lists).settings
    assert events() == []


# --- posts that would lose the list (issue 11 item 8) ---------------------------------------


@pytest.mark.parametrize("part", ["supplies", "indicators"])
def test_a_post_without_its_revision_changes_nothing(coordinator_client, org_with_lists, part):
    before = organisation_lists(org_with_lists.id)[part]
    response = coordinator_client.form_post(f"/settings/{part}", code_rows(part, [], None))
    assert response.status_code == 422
    assert "Reload the page" in page(response)
    assert organisation_lists(org_with_lists.id)[part] == before


def test_an_offices_post_without_its_revision_changes_nothing(admin_client, org_with_lists):
    response = admin_client.form_post("/settings/offices", office_rows([], None))
    assert response.status_code == 422
    assert reload(org_with_lists).settings["offices"][0]["name"] == "Aarhus"


def test_emptying_a_list_asks_for_confirmation_first(coordinator_client, org_with_lists):
    rows = [("condoms", "Condoms", True), ("leaflet_th", "Leaflet (Thai)", True)]
    response = coordinator_client.form_post("/settings/supplies", code_rows("supplies", rows))
    assert response.status_code == 422
    assert "Tick the box to confirm" in page(response)
    assert organisation_lists(org_with_lists.id)["supplies"] == ["condoms", "leaflet_th"]
    confirmed = {**code_rows("supplies", rows), "supplies-confirm_empty": "y"}
    assert coordinator_client.form_post("/settings/supplies", confirmed).status_code == 303
    assert reload(org_with_lists).settings["supplies"] == []


def pack_rows(limits: dict[str, str], pack: dict[str, str], revision=None) -> dict:
    data = limit_rows("15", limits, revision)
    for i, code in enumerate(limits):
        data[f"limits-rows-{i}-pack"] = pack.get(code, "")
    return data


def test_coordinator_sets_the_usual_pack_and_phones_get_it(coordinator_client, org_with_lists):
    revision = revision_in(page(coordinator_client.get("/settings/")), "limits")

    response = coordinator_client.form_post(
        "/settings/limits",
        pack_rows({"condoms": "200", "leaflet_th": "100"}, {"condoms": "50"}, revision),
    )

    assert response.status_code == 303
    assert queries.usual_pack(reload(org_with_lists)) == {"condoms": 50}
    (event,) = events()
    assert event.details == {"part": "limits", "changed": ["pack"]}
    assert coordinator_client.get("/api/v1/sync").json["reference"]["pack"] == {"condoms": 50}
    html = page(coordinator_client.get("/settings/"))
    assert 'name="limits-rows-0-pack" type="text" value="50"' in html
    assert 'name="limits-rows-1-pack" type="text" value=""' in html


@pytest.mark.parametrize("condoms", ["201", "-1", "lots"])
def test_a_usual_pack_above_the_usual_most_or_not_a_number_is_refused_on_its_field(
    coordinator_client, org_with_lists, condoms
):
    response = coordinator_client.form_post(
        "/settings/limits", pack_rows({"condoms": "200", "leaflet_th": "100"}, {"condoms": condoms})
    )

    assert response.status_code == 422
    html = page(response)
    assert html.count('aria-invalid="true"') == 1
    field = "limits-rows-0-pack"
    assert re.search(rf'aria-invalid="true" [^>]*id="{field}"|id="{field}"[^>]*aria-invalid', html)
    assert "limits" not in reload(org_with_lists).settings
