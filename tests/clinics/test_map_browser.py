"""The coordinator's clinic registry in a real browser on a phone-sized screen."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

COORDINATOR = "coordinator@demo.outreach.dk"


def page_width(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth")


def use_english(page):
    """The demo users read Danish by default; the assertions read the English labels."""
    page.locator(".langswitch button[value=en]").click()
    page.wait_for_load_state()


def test_the_map_shows_exactly_the_clinics_of_the_region_filter(page, log_in, screenshot):
    log_in(page, COORDINATOR)
    use_english(page)
    page.goto("/clinics/")

    page.get_by_label("Region").select_option("midtjylland")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"region=midtjylland"))
    total = int(re.search(r"\d+", page.locator("h1 small").inner_text())[0])
    page.get_by_role("button", name="Show map").click()

    clinic_map = page.locator("#clinic-map")
    expect(clinic_map).to_have_attribute("data-marker-count", re.compile(r"^\d+$"))
    assert total > 0
    assert clinic_map.get_attribute("data-marker-count") == str(total)
    assert page.locator("#clinic-map path.clinic-marker").count() == total
    expect(page.locator("[data-map-caption]")).to_contain_text(f"Clinics on the map: {total}.")
    assert page_width(page) <= 390
    page.locator(".map-toggle").evaluate("button => button.scrollIntoView()")
    screenshot(page, "clinic-list-and-map-390", full_page=False)

    page.locator("td.clinic-name a").first.click()
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", name="Edit clinic")).to_be_visible()
    assert page_width(page) <= 390
    screenshot(page, "clinic-edit-390")


def test_opening_hours_edited_in_the_form_show_on_the_detail_page(page, log_in, screenshot):
    log_in(page, COORDINATOR)
    use_english(page)
    page.goto("/clinics/?q=thai")
    page.locator("td.clinic-name a").first.click()
    page.get_by_role("link", name="Edit").click()

    page.get_by_label("Opening hours are not known").uncheck()
    page.get_by_label("Monday").fill("10:00-14:00, 16:00-22:00")
    page.get_by_role("button", name="Copy Monday to Tuesday–Friday").click()
    page.get_by_label("Saturday").fill("12-18")
    page.get_by_label("Sunday").fill("")
    page.get_by_role("button", name="Save").click()

    expect(page.locator(".flash")).to_contain_text("Clinic saved.")
    hours = page.locator("table.hours-table")
    expect(hours.locator("tr", has_text="Monday")).to_contain_text("10:00–14:00, 16:00–22:00")
    expect(hours.locator("tr", has_text="Friday")).to_contain_text("10:00–14:00, 16:00–22:00")
    expect(hours.locator("tr", has_text="Saturday")).to_contain_text("12:00–18:00")
    expect(hours.locator("tr", has_text="Sunday")).to_contain_text("Closed")
    screenshot(page, "clinic-detail-390")
