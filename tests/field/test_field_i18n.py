"""The phone speaks Danish or English: the choice is a UI preference kept on the phone, and
strings and names come from the server's catalogues (cached for offline use)."""

import re

import pytest

from outreach.field.views import phone_msgids
from tests.field.conftest import known_person, open_clinic, unique

pytestmark = pytest.mark.browser


def test_the_language_switch_changes_the_catalogue_and_is_remembered(phone, live_server):
    device = phone()
    page = device.start_app()
    assert page.evaluate("document.documentElement.lang") == "en"  # the phone's language
    page.get_by_role("button", name="Dansk").click()
    page.wait_for_selector("html[data-ready=true][lang=da]")
    assert page.evaluate("localStorage.getItem('outreach.field.lang')") == "da"
    danish = device.evaluate_module("i18n.js", "[m.countryName('DE'), m.languageName('th')]")
    assert danish == ["Tyskland", "thai"]
    catalogue = page.evaluate("fetch('/field/i18n/da.json').then((r) => r.json())")
    assert set(catalogue) == phone_msgids()
    assert device.evaluate_module("i18n.js", "m.t('Log in')") == catalogue["Log in"]

    device.wait_controlled()
    device.go_offline()  # the catalogue is cached: still Danish without a server
    page.reload()
    page.wait_for_selector("html[data-ready=true][lang=da]")
    assert device.evaluate_module("i18n.js", "m.countryName('DE')") == "Tyskland"
    device.go_online()


def test_the_app_uses_the_preloaded_catalogue_without_fetching_it_again(phone):
    """The shell's <link rel=preload as=fetch crossorigin> must match i18n.js's fetch (mode
    and credentials); if not, Chromium fetches each file twice and warns."""
    device = phone()
    page = device.page
    fetched, warnings = [], []
    catalogue = re.compile(r"/field/(i18n|codes)/")
    page.on("request", lambda r: catalogue.search(r.url) and fetched.append(r.url))
    page.on("console", lambda m: "preload" in m.text and warnings.append(m.text))
    device.start_app()
    page.wait_for_selector("form.login")
    page.wait_for_timeout(3500)  # Chromium warns of a preload unused for 3 s
    assert sorted(fetched) == [
        f"{device.server.url}/field/codes/en.json",
        f"{device.server.url}/field/i18n/en.json",
    ]
    assert warnings == []


def test_code_labels_follow_a_language_switch_made_offline(phone, screenshot):
    """Kinds, weekdays and outcomes come from the pull as msgids and are translated on the
    phone, so the switch relabels them without a server."""
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()
    rows = page.locator("a.clinic-row .clinic-meta")
    assert rows.filter(has_text="Massage clinic").count() > 0
    row = page.locator("a.clinic-row", has_text="Massage clinic").first
    clinic_url = row.get_attribute("href")

    device.go_offline()
    page.get_by_role("link", name="Menu").click()
    page.get_by_role("button", name="Dansk").click()
    page.wait_for_selector("html[lang=da]")
    page.evaluate(f"location.hash = {clinic_url!r}")
    page.wait_for_selector(".clinic-kind")
    assert page.locator(".clinic-kind").inner_text().startswith("Massageklinik")
    screenshot(page, "field-clinic-danish-offline")
    page.evaluate(f"location.hash = {clinic_url + '/edit'!r}")
    page.wait_for_selector(".day-name", state="attached")  # shown once hours are known
    assert page.locator(".day-name").all_text_contents()[:2] == ["Mandag", "Tirsdag"]
    assert page.get_by_role("radio", name="Massageklinik").is_checked()
    page.evaluate("location.hash = '#/today'")
    page.wait_for_selector("a.clinic-row")
    assert rows.filter(has_text="Massageklinik").count() > 0
    assert rows.filter(has_text="Massage clinic").count() == 0
    screenshot(page, "field-today-danish-offline")
    device.go_online()


def visit_form_labels(page) -> tuple[str, str]:
    """The texts of the visit form's supply steppers and indicator checklist."""
    supplies = page.locator('fieldset[data-field="supplies"]')
    indicators = page.locator('fieldset[data-field="indicators"]')
    supplies.wait_for()
    return supplies.inner_text(), indicators.text_content()


def test_supply_and_indicator_labels_are_in_the_phones_language(phone, in_db, screenshot):
    """The organisation's labels come per language in the pull: the English app shows the
    English ones, and a switch to Danish made offline shows the Danish ones."""
    device = phone()
    clinic, _ = known_person(in_db, unique("Quince"))
    page = device.start_app()
    device.log_in()
    device.wait_synced()
    open_clinic(page, clinic)
    page.get_by_role("link", name="Log visit").click()
    page.wait_for_selector("form.visit-form")
    form_url = page.url

    supplies, indicators = visit_form_labels(page)
    assert "Condoms" in supplies and "Leaflet (Thai)" in supplies
    assert "Kondomer" not in supplies and "Folder" not in supplies
    assert "Lives at the workplace" in indicators and "Debt" in indicators
    assert "Bor på arbejdsstedet" not in indicators
    screenshot(page, "field-visit-supplies-english")

    device.go_offline()
    page.evaluate("location.hash = '#/menu'")
    page.get_by_role("button", name="Dansk").click()
    page.wait_for_selector("html[lang=da]")
    page.goto(form_url)
    page.wait_for_selector("form.visit-form")

    supplies, indicators = visit_form_labels(page)
    assert "Kondomer" in supplies and "Folder (thai)" in supplies
    assert "Condoms" not in supplies and "Leaflet" not in supplies
    assert "Bor på arbejdsstedet" in indicators and "Gæld" in indicators
    assert "Lives at the workplace" not in indicators
    screenshot(page, "field-visit-supplies-danish-offline")
    device.go_online()
