"""The settings page at 390×844: the usual numbers fit the screen, and a wrong number is
marked on its own row; the external services choice, and the clinic map without tiles.
Screenshots: test-artifacts/screenshots/settings-limits*.png, settings-external.png,
clinics-map-no-tiles.png."""

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

    limits.get_by_label("Kondomer").fill("-5")  # refused: nothing is stored, demo data kept
    limits.get_by_role("button", name="Save usual numbers").click()

    limits = page.locator("#limits")
    assert limits.locator(".limit-row.has-error").count() == 1
    marked = limits.locator(".limit-row.has-error")
    assert "Kondomer" in marked.inner_text()
    assert "Give a whole number from 1 to 9999." in marked.inner_text()
    assert fits_the_screen(page)
    limits.screenshot(path=str(screenshot(page, "settings-limits-error")))


def test_an_admin_turns_external_services_off_and_the_clinic_map_says_so(page, log_in, screenshot):
    log_in(page, "admin@demo.outreach.dk")
    page.goto("/settings/#external")
    part = page.locator("#external")
    part.get_by_label("No external services").check()
    part.get_by_role("button", name="Save", exact=True).click()

    part = page.locator("#external")
    assert part.get_by_label("No external services").is_checked()
    assert fits_the_screen(page)
    part.screenshot(path=str(screenshot(page, "settings-external")))

    page.goto("/clinics/")
    assert page.locator(".map-note").is_visible()
    assert page.locator("[data-tile-url]").get_attribute("data-tile-url") == ""
    assert fits_the_screen(page)
    page.locator(".registry-map").screenshot(path=str(screenshot(page, "clinics-map-no-tiles")))

    # The live server's demo organisation is shared by the browser tests: as it was.
    page.goto("/settings/#external")
    page.locator("#external").get_by_label("Use them", exact=False).check()
    page.locator("#external").get_by_role("button", name="Save", exact=True).click()
    assert page.locator("#external").get_by_label("Use them", exact=False).is_checked()
