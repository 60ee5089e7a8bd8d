"""The persons pages in a real browser on a phone-sized screen (390 x 844): the list, a
person's record, the merge confirmation and the settings page, with no CSP violations and no
horizontal scrolling. Screenshots go to test-artifacts/screenshots/persons-*.png.

On the shared live server with an organisation of its own (the demo data changes), made
with the factory.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest

from outreach.db import db
from outreach.persons import services
from tests.browsing import NOT_LOCAL, PHONE, SCREENSHOTS, TIMEOUT_MS, form_log_in
from tests.conftest import PASSWORD, Factory

pytestmark = pytest.mark.browser

COORDINATOR = "coordinator@browser.example.org"


def _seed() -> dict:
    """An organisation of its own (the demo data changes): a coordinator, clinics, visits and
    persons as the team meets them, with a duplicate pair and one merged record."""
    factory = Factory()
    org = factory.organisation(name="Browser test organisation")
    org.settings = {
        "supplies": ["condoms", "lubricant", "sti_test", "leaflet_th", "leaflet_ro", "leaflet_es"],
        "supply_labels": {
            "condoms": "Condoms",
            "lubricant": "Lubricant",
            "sti_test": "STI self-test kit",
            "leaflet_th": "Leaflet (Thai)",
            "leaflet_ro": "Leaflet (Romanian)",
            "leaflet_es": "Leaflet (Spanish)",
        },
        "indicators": ["debt", "lives_at_workplace", "unprotected_sex_demanded"],
        "offices": [{"name": "Aarhus", "lat": 56.1567, "lon": 10.2108}],
    }
    coordinator = factory.user(org, "coordinator", email=COORDINATOR)
    now = datetime.now(UTC)
    clinics = [
        factory.clinic(org, name="Pearl Spa", city="Roskilde", region_slug="sjaelland"),
        factory.clinic(org, name="Lotus Massage", region_slug="midtjylland"),
        factory.clinic(org, name="Thai Garden", city="Aalborg", region_slug="nordjylland"),
    ]
    visits = [
        factory.visit(clinics[i % 3], now - timedelta(days=3 + 9 * i), created_by_id=coordinator.id)
        for i in range(6)
    ]

    def person(alias, nationality, birth_year, gender="woman", languages=()):
        return factory.person(
            org,
            alias,
            nationality=nationality,
            birth_year=birth_year,
            gender=gender,
            languages=list(languages),
            created_by_id=coordinator.id,
        )

    def talk(who, visit=None, days_ago=None, **fields):
        occurred_at = None if visit else now - timedelta(days=days_ago)
        factory.conversation(who, visit, occurred_at, created_by_id=coordinator.id, **fields)

    jasmin = person("Jasmin", "TH", 1994, languages=["th", "en"])
    yasmin = person("Yasmin", "TH", 1995, languages=["th"])
    nok = person("Nok", "TH", 1990, "trans_woman", ["th"])
    ioana = person("Ioana-Maria", "RO", 1999, languages=["ro"])
    lucia = person("Lucía", "ES", 1988, languages=["es"])
    mai = person("Mai", "VN", 2001, languages=["vi"])
    mai_again = person("May", "VN", 2001, languages=["vi"])
    talk(
        jasmin,
        visits[0],
        topics=["health_advice", "sti_test_offered"],
        concern_level="yellow",
        indicators=["debt", "lives_at_workplace"],
        referral="health_care",
    )
    talk(jasmin, days_ago=40, channel="sms", topics=["rights_information"], concern_level="green")
    talk(yasmin, visits[3], topics=["sti_test_taken"], concern_level="green")
    talk(nok, visits[1], topics=["health_advice"], concern_level="red", referral="shelter")
    talk(ioana, visits[2], topics=["rights_information"])
    talk(lucia, days_ago=300, channel="drop_in", topics=["health_care"])
    talk(mai, visits[4])
    talk(mai_again, visits[5])
    services.merge_persons(coordinator, mai_again.id, mai.id)
    db.session.commit()
    return {"jasmin": str(jasmin.id), "yasmin": str(yasmin.id), "mai": str(mai.id)}


@pytest.fixture(scope="module")
def ids(_live_server):
    """The organisation of this module, seeded once into the live server's database."""
    with _live_server.app.app_context():
        try:
            return _seed()
        finally:
            db.session.remove()


@pytest.fixture
def phone(browser, live_server, ids):
    """A logged-in coordinator on a phone-sized page; fails the test on a CSP violation."""
    context = browser.new_context(viewport=PHONE, base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    context.route(NOT_LOCAL, lambda route: route.abort())
    page = context.new_page()
    violations = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on("pageerror", lambda error: violations.append(f"JavaScript error: {error}"))
    form_log_in(page, live_server.app, COORDINATOR, PASSWORD)
    page.wait_for_url(re.compile(r"/clinics/"))
    page.locator(".langswitch button[value=en]").click()  # English source strings
    page.wait_for_load_state()
    yield page
    context.close()
    assert not violations, violations


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_persons_list_search_and_merged_toggle(phone):
    phone.locator("header .navmenu summary").click()  # the phone's header keeps its menu shut
    phone.get_by_role("link", name="Persons").click()
    phone.wait_for_url(re.compile(r"/persons/$"))
    rows = phone.locator("table.persons tbody tr")
    assert rows.count() == 6  # May is merged into Mai and hidden
    assert fits_the_screen(phone)
    shoot(phone, "persons-list")

    phone.get_by_label("Alias").fill("jazmine")
    phone.get_by_role("button", name="Search").click()
    aliases = phone.locator("table.persons td.alias a").all_inner_texts()
    assert set(aliases) == {"Jasmin", "Yasmin"}
    assert "jazmine" not in phone.url  # posted, never in the URL
    shoot(phone, "persons-search")

    phone.get_by_label("Alias").fill("")
    phone.get_by_label("Show merged records").check()
    phone.get_by_role("button", name="Apply filters").click()
    phone.wait_for_url(re.compile(r"merged=1"))
    assert rows.count() == 7


def test_back_after_a_search_shows_the_results_again_without_the_alias_in_any_url(phone):
    urls = []
    phone.on("request", lambda request: urls.append(request.url))
    phone.goto("/persons/")
    phone.get_by_label("Alias").fill("jazmine")
    phone.get_by_role("button", name="Search").click()
    phone.wait_for_url(re.compile(r"/persons/\?search=[\w-]+$"))
    results = phone.locator("table.persons td.alias a")
    assert set(results.all_inner_texts()) == {"Jasmin", "Yasmin"}
    assert phone.locator("h1 small").inner_text() == "(2)"  # the matches, not the page cap
    phone.get_by_role("link", name="Jasmin").click()
    phone.wait_for_url(re.compile(r"/persons/[0-9a-f-]{36}$"))
    # Back: a GET again, so no "Confirm form resubmission" page; the results are there.
    phone.go_back()
    phone.wait_for_url(re.compile(r"/persons/\?search="))
    assert set(results.all_inner_texts()) == {"Jasmin", "Yasmin"}
    phone.reload()
    assert set(results.all_inner_texts()) == {"Jasmin", "Yasmin"}
    assert urls and not [url for url in urls if "jazmine" in url.casefold()]


def test_person_page(phone, ids):
    phone.goto(f"/persons/{ids['jasmin']}")
    assert phone.locator("h1").inner_text() == "Jasmin"
    assert phone.locator("table.conversations tbody tr").count() == 2
    assert fits_the_screen(phone)
    shoot(phone, "persons-person")


def test_person_page_with_a_merged_record(phone, ids):
    phone.goto(f"/persons/{ids['mai']}")
    assert phone.locator("table.conversations tbody tr").count() == 2  # hers and May's
    assert phone.get_by_role("link", name="Undo merge").is_visible()
    assert fits_the_screen(phone)
    shoot(phone, "persons-person-merged")
    phone.get_by_role("link", name="Undo merge").click()
    phone.wait_for_url(re.compile(r"/undo$"))
    assert fits_the_screen(phone)
    shoot(phone, "persons-undo-confirm")


def test_merge_confirmation_page(phone, ids):
    phone.goto(f"/persons/{ids['yasmin']}")
    phone.get_by_role("link", name="Same person as…").click()
    phone.wait_for_url(re.compile(r"/same-as$"))
    assert fits_the_screen(phone)
    shoot(phone, "persons-same-as")
    phone.locator(f"a[href$='/merge/{ids['jasmin']}']").click()
    phone.wait_for_url(re.compile(r"/merge/"))
    assert phone.locator(".card.side").count() == 2
    assert phone.get_by_text("Every figure will count them as one person").is_visible()
    assert fits_the_screen(phone)
    shoot(phone, "persons-merge-confirm")


def test_settings_page(phone):
    phone.goto("/settings/")
    assert phone.locator("#supplies .code-stored").count() == 6
    assert fits_the_screen(phone)
    shoot(phone, "settings-page")
    new_code = phone.locator("#supplies .code-new input.code").first
    new_code.fill("Gloves!")
    phone.locator("#supplies .code-new input.label").first.fill("Gloves")
    phone.get_by_role("button", name="Save supplies").click()
    assert phone.locator("#supplies .error").first.is_visible()
    assert phone.locator("#supplies .code-stored").count() == 6  # nothing was stored
    assert fits_the_screen(phone)
    shoot(phone, "settings-error")
