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

    # The usual most (the usual pack below has a row per supply as well).
    usual_most = limits.locator(".limit-rows.usual-most")
    usual_most.get_by_label("Condoms").fill("-5")  # refused: nothing is stored, demo data kept
    limits.get_by_role("button", name="Save usual numbers").click()

    limits = page.locator("#limits")
    assert limits.locator(".limit-row.has-error").count() == 1
    marked = limits.locator(".limit-row.has-error")
    assert "Condoms" in marked.inner_text()
    assert "Give a whole number from 1 to 9999." in marked.inner_text()
    assert fits_the_screen(page)
    limits.screenshot(path=str(screenshot(page, "settings-limits-error")))


def test_the_supply_labels_are_edited_per_language_on_a_phone(page, log_in, screenshot):
    log_in(page, COORDINATOR)
    page.goto("/settings/#supplies")
    supplies = page.locator("#supplies")
    assert supplies.get_by_label("Label (Danish), row 1", exact=True).input_value() == "Kondomer"
    assert supplies.get_by_label("Label (English), row 1", exact=True).input_value() == "Condoms"
    assert fits_the_screen(page)
    # Each label sits on one line with its language's name before it.
    first = supplies.locator(".code-row.code-stored").first
    danish = first.get_by_label("Label (Danish), row 1", exact=True).bounding_box()
    caption = first.locator(".label-language").first.bounding_box()
    assert abs((caption["y"] + caption["height"] / 2) - (danish["y"] + danish["height"] / 2)) < 4
    supplies.screenshot(path=str(screenshot(page, "settings-supplies-languages")))

    supplies.get_by_label("Label (English), row 1", exact=True).fill("Condom packs")
    supplies.get_by_role("button", name="Save supplies").click()
    page.wait_for_url("**/settings/#supplies")
    assert page.locator("#supplies").get_by_label(
        "Label (English), row 1", exact=True
    ).input_value() == ("Condom packs")
    assert "Condom packs" in page.locator("#limits").inner_text()

    # The live server's demo organisation is shared by the browser tests: as it was.
    supplies = page.locator("#supplies")
    supplies.get_by_label("Label (English), row 1", exact=True).fill("Condoms")
    supplies.get_by_role("button", name="Save supplies").click()
    page.wait_for_url("**/settings/#supplies")
    assert "Condoms" in page.locator("#limits").inner_text()


def test_the_usual_pack_is_set_beside_the_usual_numbers_and_fits_the_screen(
    page, log_in, screenshot
):
    log_in(page, COORDINATOR)
    page.goto("/settings/#limits")
    pack = page.locator("#limits .pack-rows")
    assert pack.locator(".pack-row").count() == 7  # one per supply
    assert pack.get_by_label("Condoms").input_value() == "50"  # the demo's usual pack
    assert pack.get_by_label("Leaflet (Thai)").input_value() == ""
    assert fits_the_screen(page)
    page.locator("#limits").screenshot(path=str(screenshot(page, "settings-usual-pack")))


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


def test_an_admin_sets_the_retention_years_on_a_phone(page, log_in, screenshot):
    log_in(page, "admin@demo.outreach.dk")
    page.goto("/settings/#retention")
    part = page.locator("#retention")
    field = part.get_by_label("Delete person-level data after this many years without contact")
    assert field.input_value() == "5"

    field.fill("0")  # refused on its field: nothing is stored
    part.get_by_role("button", name="Save retention").click()
    part = page.locator("#retention")
    assert part.locator(".limit-row.has-error").count() == 1
    assert "Give a whole number of years from 1 to 100." in part.inner_text()
    assert fits_the_screen(page)
    part.screenshot(path=str(screenshot(page, "settings-retention-error")))

    part.get_by_label("Delete person-level data after this many years without contact").fill("7")
    part.get_by_role("button", name="Save retention").click()
    page.wait_for_url("**/settings/#retention")
    part = page.locator("#retention")
    assert part.get_by_label(
        "Delete person-level data after this many years without contact"
    ).input_value() == ("7")
    assert fits_the_screen(page)
    part.screenshot(path=str(screenshot(page, "settings-retention")))

    # The live server's demo organisation is shared by the browser tests: as it was.
    part.get_by_label("Delete person-level data after this many years without contact").fill("5")
    part.get_by_role("button", name="Save retention").click()
    page.wait_for_url("**/settings/#retention")
