"""The report page in a real browser on a phone-sized screen: it fits 390 px, its charts
load under the strict CSP, and the copy buttons put the paragraph on the clipboard."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

COORDINATOR = "coordinator@demo.outreach.dk"


def test_the_report_fits_a_phone_and_copies_the_danish_paragraph(page, log_in, screenshot):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, COORDINATOR)
    page.locator(".langswitch button[value=en]").click()
    page.wait_for_load_state()
    page.goto("/reports/")

    expect(page.locator(".key-figures")).to_be_visible()
    charts = page.locator("img.report-chart")
    assert charts.count() >= 1
    for i in range(charts.count()):  # loaded lazily: each when scrolled to
        charts.nth(i).scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=charts.nth(i).element_handle()
        )
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide"

    copy = page.locator("button[data-copy=paragraph-da]")
    expect(copy).to_be_visible()
    copy.click()
    expect(copy.locator("xpath=..").locator("[role=status]")).to_have_text("Copied.")
    pasted = page.evaluate("navigator.clipboard.readText()")
    assert pasted == page.locator("#paragraph-da").inner_text().strip()
    screenshot(page, "report-390")
