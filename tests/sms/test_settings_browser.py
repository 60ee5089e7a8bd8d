"""The SMS settings page and the report's screening table at a phone's 390 px: nothing wider
than the screen."""

import pytest

pytestmark = pytest.mark.browser

ADMIN = "admin@demo.outreach.dk"
COORDINATOR = "coordinator@demo.outreach.dk"
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_the_sms_settings_page_fits_a_phone(page, log_in, screenshot):
    log_in(page, ADMIN)
    page.goto("/settings/sms/")
    assert page.locator("h2", has_text="Message templates").is_visible()
    assert page.locator(".sms-template-body").count() >= 1  # other browser tests set theirs
    screenshot(page, "sms-settings-390", full_page=True)
    assert page.evaluate(OVERFLOW) <= 0


def test_the_screening_table_fits_a_phone(page, log_in, screenshot):
    log_in(page, COORDINATOR)
    page.goto("/reports/")
    section = page.locator("#screening")
    section.scroll_into_view_if_needed()
    screenshot(page, "report-screening-390", full_page=False)
    table = section.locator(".report-table")
    assert table.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
    assert page.evaluate(OVERFLOW) <= 0
