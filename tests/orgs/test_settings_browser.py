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

    # The usual most (the usual pack below has a row per supply as well).
    usual_most = limits.locator(".limit-rows.usual-most")
    usual_most.get_by_label("Kondomer").fill("-5")  # refused: nothing is stored, demo data kept
    limits.get_by_role("button", name="Save usual numbers").click()

    limits = page.locator("#limits")
    assert limits.locator(".limit-row.has-error").count() == 1
    marked = limits.locator(".limit-row.has-error")
    assert "Kondomer" in marked.inner_text()
    assert "Give a whole number from 1 to 9999." in marked.inner_text()
    assert fits_the_screen(page)
    limits.screenshot(path=str(screenshot(page, "settings-limits-error")))


def test_the_usual_pack_is_set_beside_the_usual_numbers_and_fits_the_screen(
    page, log_in, screenshot
):
    log_in(page, COORDINATOR)
    page.goto("/settings/#limits")
    pack = page.locator("#limits .pack-rows")
    assert pack.locator(".pack-row").count() == 7  # one per supply
    assert pack.get_by_label("Kondomer").input_value() == "50"  # the demo's usual pack
    assert pack.get_by_label("Folder (thai)").input_value() == ""
    assert fits_the_screen(page)
    page.locator("#limits").screenshot(path=str(screenshot(page, "settings-usual-pack")))
