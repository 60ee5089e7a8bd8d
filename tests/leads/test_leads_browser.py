"""The lead pages in a real browser at a phone's 390 px and a desktop's 1280 px, on the demo:
the list, a lead in a group of ads sharing its number, the groups, the form. Nothing is wider
than the screen; the screenshots are for looking at."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

COORDINATOR = "coordinator@demo.outreach.dk"
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
SIZES = {"390": {"width": 390, "height": 844}, "1280": {"width": 1280, "height": 800}}


@pytest.mark.parametrize("size", SIZES)
def test_the_lead_pages_fit_the_screen(page, log_in, screenshot, size):
    page.set_viewport_size(SIZES[size])
    log_in(page, COORDINATOR)

    page.goto("/leads/")
    expect(page.locator("h1")).to_contain_text("Leads")
    exports = page.locator(".export-links")
    expect(exports.get_by_role("link", name="Download CSV")).to_be_visible()
    expect(exports.get_by_role("link", name="Download Excel workbook")).to_be_visible()
    screenshot(page, f"leads-list-{size}", full_page=False)
    assert page.evaluate(OVERFLOW) <= 0
    with page.expect_download() as download:
        exports.get_by_role("link", name="Download Excel workbook").click()
    assert re.fullmatch(r"leads-\d{4}-\d{2}-\d{2}\.xlsx", download.value.suggested_filename)

    page.goto("/leads/groups")
    group = page.locator(".phone-group").first
    expect(group).to_contain_text(re.compile(r"This number appears in \d+ ads on \d+ sites"))
    screenshot(page, f"leads-groups-{size}", full_page=False)
    assert page.evaluate(OVERFLOW) <= 0
    texted = page.locator(".phone-group", has=page.locator(".group-text")).first
    expect(texted).to_contain_text(re.compile(r"Texted \d+ times?, last"))
    texted.scroll_into_view_if_needed()
    texted.screenshot(path=str(screenshot(page, f"leads-groups-texted-{size}", full_page=False)))
    # The clinic of a number with texts shows the same group on its own page.
    with_clinic = page.locator(".phone-group", has=page.locator(".group-text")).filter(
        has_text="Clinic:"
    )
    clinic_link = with_clinic.first.locator("a[href^='/clinics/']").first
    clinic_href = clinic_link.get_attribute("href")
    page.goto(clinic_href)
    expect(page.locator(".phone-group .group-sentence")).to_contain_text(
        re.compile(r"at \d+ clinics?\.\s+Texted \d+ times?, last")
    )
    page.locator(".phone-group").scroll_into_view_if_needed()
    screenshot(page, f"clinic-group-{size}", full_page=False)
    assert page.evaluate(OVERFLOW) <= 0
    page.goto("/leads/groups")

    group.locator(".group-members a", has_text="Lead").first.click()
    expect(page.locator("h1")).to_contain_text("Lead")
    expect(page.locator(".group-sentence")).to_contain_text("This number appears in")
    screenshot(page, f"leads-detail-{size}")
    assert page.evaluate(OVERFLOW) <= 0

    page.goto("/leads/new")
    page.get_by_label("Phone number").fill("12 34")
    page.get_by_label("Address of the ad (URL)").fill("https://annoncer.example/ad/1")
    page.locator("form.lead-form button[type=submit].primary").click()
    expect(page.locator(".field.has-error")).to_contain_text("Not a valid phone number")
    screenshot(page, f"leads-form-error-{size}")
    assert page.evaluate(OVERFLOW) <= 0
