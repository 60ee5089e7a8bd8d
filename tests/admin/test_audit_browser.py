"""The audit log page in a real browser: at a phone's 390 px each event is a stacked card and
nothing is wider than the screen; on a desktop the admin's menu with its new link stays one
row."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ADMIN = "admin@demo.outreach.dk"
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_the_audit_log_reads_on_a_phone(page, log_in, screenshot):
    log_in(page, ADMIN)
    page.locator("header .navmenu summary").click()
    page.locator("header nav a", has_text="Audit log").click()
    page.wait_for_url("**/admin/audit")

    rows = page.locator("table.audit tbody tr")
    expect(rows.first).to_be_visible()
    expect(page.locator("table.audit thead")).to_be_hidden()  # stacked, like the other lists
    assert page.evaluate(OVERFLOW) <= 0
    first = rows.first.bounding_box()
    assert first["width"] <= 390
    expect(rows.first.locator("td.action")).to_contain_text("Logged in")
    screenshot(page, "admin-audit-390")

    page.get_by_label("Action").select_option("auth.login")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/admin/audit?*action=auth.login*")
    assert page.locator("table.audit td.action").all_inner_texts() == ["Logged in"] * rows.count()
    assert page.evaluate(OVERFLOW) <= 0
    screenshot(page, "admin-audit-filtered-390")


def test_the_admins_menu_stays_one_row_on_a_desktop(page, log_in):
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, ADMIN)

    expect(page.locator("header nav a", has_text="Audit log")).to_be_visible()
    assert page.locator("header.topbar").bounding_box()["height"] < 64
