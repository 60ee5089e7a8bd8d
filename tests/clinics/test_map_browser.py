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


PAYLOAD = '<img src=x onerror="window.__xss = (window.__xss || 0) + 1">'


def test_a_clinic_named_like_html_stays_text_on_the_map_without_csp(browser, live_server, in_db):
    """Issue 11, item 1: the CSP would stop the payload; with it bypassed, the map still never
    makes an element of the name (tooltip and popup)."""
    from tests.browsing import NOT_LOCAL, PHONE, TIMEOUT_MS, form_log_in
    from tests.conftest import PASSWORD, Factory

    def seed():
        factory = Factory()
        org = factory.organisation(name="XSS test organisation")
        factory.clinic(org, name=PAYLOAD)
        return factory.user(org, "coordinator", email="coordinator@xss.example.org").email

    email = in_db(seed)
    context = browser.new_context(
        viewport={"width": 1200, "height": PHONE["height"]},  # wide: the map opens by itself
        base_url=live_server.url,
        locale="en-GB",
        bypass_csp=True,
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.route(NOT_LOCAL, lambda route: route.abort())
    try:
        page = context.new_page()
        form_log_in(page, live_server.app, email, PASSWORD)
        page.wait_for_url(re.compile(r"/clinics/"))
        expect(page.locator("#clinic-map")).to_have_attribute("data-marker-count", "1")

        marker = page.locator("#clinic-map path.clinic-marker")
        marker.hover()
        tooltip = page.locator(".leaflet-tooltip")
        expect(tooltip).to_have_text(PAYLOAD)
        marker.click()
        expect(page.locator(".leaflet-popup-content a").first).to_have_text(PAYLOAD)
        page.wait_for_timeout(300)  # time for an image error to fire, were there one

        assert page.locator("#clinic-map .leaflet-tooltip-pane img").count() == 0
        assert page.locator("#clinic-map .leaflet-popup-pane img").count() == 0
        assert page.locator("img[src=x]").count() == 0
        assert page.evaluate("window.__xss") is None
    finally:
        context.close()
