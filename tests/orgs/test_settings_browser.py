"""The settings page's usual numbers at 390×844: they fit the screen, and a wrong number is
marked on its own row. Screenshots: test-artifacts/screenshots/settings-limits*.png."""

import pytest

pytestmark = pytest.mark.browser

COORDINATOR = "coordinator@demo.outreach.dk"


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_wrong_usual_number_is_marked_on_its_row_alone(page, log_in, screenshot):
    log_in(page, COORDINATOR)
    page.goto("/settings/#limits")
    limits = page.locator("#limits")
    assert limits.locator(".limit-row").count() == 8  # persons present and seven supplies
    assert fits_the_screen(page)
    limits.screenshot(path=str(screenshot(page, "settings-limits")))

    limits.get_by_label("Condoms").fill("-5")  # refused: nothing is stored, demo data kept
    limits.get_by_role("button", name="Save usual numbers").click()

    limits = page.locator("#limits")
    assert limits.locator(".limit-row.has-error").count() == 1
    marked = limits.locator(".limit-row.has-error")
    assert "Condoms" in marked.inner_text()
    assert "Give a whole number from 1 to 9999." in marked.inner_text()
    assert fits_the_screen(page)
    limits.screenshot(path=str(screenshot(page, "settings-limits-error")))
