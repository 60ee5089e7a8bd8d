"""The planning page in a real browser on a phone-sized screen: an area drawn on the map,
the routes optimised and drawn, a stop moved; no CSP violation, no sideways scrolling."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

COORDINATOR = "coordinator@demo.outreach.dk"


def page_width(tab) -> int:
    return tab.evaluate("document.scrollingElement.scrollWidth")


def use_english(tab):
    tab.locator(".langswitch button[value=en]").click()
    tab.wait_for_load_state()


def test_the_map_and_its_clinics_are_loaded_only_when_the_coordinator_opens_it(page, log_in):
    log_in(page, COORDINATOR)
    loaded = []
    page.on("request", lambda request: loaded.append(request.url))
    page.goto("/routes/")
    page.wait_for_load_state("networkidle")
    assert not [url for url in loaded if "leaflet" in url or "/api/v1/clinics" in url]

    page.locator("[data-area-picker] summary").click()
    expect(page.locator("[data-area-map] path.leaflet-interactive").first).to_be_attached()
    assert [url for url in loaded if url.endswith("leaflet.js")]


def test_plan_a_day_from_an_area_drawn_on_the_map(page, log_in, screenshot):
    log_in(page, COORDINATOR)
    use_english(page)
    page.goto("/routes/")
    picker = page.locator("[data-area-picker]")
    picker.locator("summary").click()  # the map is loaded when it is opened
    expect(page.locator("[data-area-map] path.leaflet-interactive").first).to_be_attached()
    assert page_width(page) <= 390

    # A rectangle across the middle of the clinics shown on the map.
    page.get_by_role("button", name="Draw a rectangle").click()
    box = page.locator("[data-area-map]").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.2)
    page.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.8)
    expect(page.locator("[data-area-status]")).to_contain_text("Clinics inside the area")
    assert page.locator("input[name=area]").input_value().startswith("[[")
    page.get_by_label("Number of nurses").fill("2")
    screenshot(page, "routing-plan-form-390")
    page.get_by_role("button", name="Find candidates").click()
    page.wait_for_url(re.compile(r"/routes/[0-9a-f-]{36}"))

    page.get_by_role("button", name="Optimise the routes").click()
    page.wait_for_url(re.compile(r"#result"))
    expect(page.locator("[data-plan-map] .stop-marker").first).to_be_visible()
    stops = page.locator("li[data-stop]")
    assert stops.count() == page.locator("[data-plan-map] .stop-marker").count() > 0
    assert page_width(page) <= 390
    page.locator("#result").evaluate("element => element.scrollIntoView()")
    screenshot(page, "routing-result-390", full_page=False)

    if stops.count() > 1:
        first = stops.nth(0).get_attribute("data-name")
        stops.nth(0).get_by_role("button", name="Move down").click()
        page.wait_for_url(re.compile(r"#route-1"))
        assert page.locator("li[data-stop]").nth(1).get_attribute("data-name") == first

    page.get_by_role("link", name="Day sheet").click()
    expect(page.get_by_role("heading", name=re.compile("Day sheet"))).to_be_visible()
    assert page_width(page) <= 390


def demo_plan_id(in_db, base_name: str) -> str:
    """A saved plan of the demo (demo.DEMO_PLANS): the next working days from each office."""
    from sqlalchemy import select

    from outreach.db import db
    from outreach.routing.models import RoutePlan

    return in_db(
        lambda: str(
            db.session.scalars(
                select(RoutePlan.id).where(RoutePlan.base_name == base_name).limit(1)
            ).one()
        )
    )


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 800)])
def test_the_optimise_button_stays_in_reach_and_the_map_has_a_legend(
    page, log_in, in_db, screenshot, width, height
):
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, COORDINATOR)
    use_english(page)
    page.goto(f"/routes/{demo_plan_id(in_db, 'Aalborg')}")
    button = page.get_by_role("button", name="Optimise again")
    expect(button).to_be_in_viewport()
    expect(page.locator("details.candidates-box")).not_to_have_attribute("open", "")
    legend = page.locator(".map-legend")
    expect(legend).to_contain_text("Route 1")
    expect(legend).to_contain_text("Route 2")
    expect(page.locator("[data-plan-map] .stop-marker").first).to_be_visible()
    assert page_width(page) <= width
    screenshot(page, f"routing-plan-top-{width}", full_page=False)
    # Far down the page, by the last stop, the button is still at the top of the screen.
    page.locator("li[data-stop]").last.scroll_into_view_if_needed()
    page.mouse.wheel(0, 400)
    expect(button).to_be_in_viewport()
    assert button.bounding_box()["y"] < 80
    screenshot(page, f"routing-plan-scrolled-{width}", full_page=False)
    screenshot(page, f"routing-plan-full-{width}")


def test_moving_a_stop_to_another_route_keeps_the_page_where_it_was(page, log_in, in_db):
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, COORDINATOR)
    use_english(page)
    page.goto(f"/routes/{demo_plan_id(in_db, 'Aalborg')}")
    first_route = page.locator("li[data-stop][data-route='0']")
    assert first_route.count() >= 2
    stop = first_route.nth(1)
    name = stop.get_attribute("data-name")
    stop.evaluate("element => element.scrollIntoView({block: 'center'})")
    before = page.evaluate("window.scrollY")
    assert before > 300  # well down the page, not at a heading
    stop.get_by_role("button", name="Move", exact=True).click()
    page.wait_for_url(re.compile(r"#route-1$"))
    page.wait_for_load_state("load")
    moved = page.locator("li[data-stop][data-route='1']").last
    assert moved.get_attribute("data-name") == name
    assert abs(page.evaluate("window.scrollY") - before) <= 2


def demo_trip_id(in_db) -> str:
    """The demo's saved trip (demo._trip): three days from Roskilde, nights in Aalborg."""
    from sqlalchemy import select

    from outreach.db import db
    from outreach.routing.models import RoutePlan

    return in_db(
        lambda: str(
            # The oldest trip: a test may have planned another one on the same database.
            db.session.scalars(
                select(RoutePlan.id)
                .where(RoutePlan.end_date.is_not(None))
                .order_by(RoutePlan.created_at)
                .limit(1)
            ).one()
        )
    )


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 800)])
def test_a_trip_shows_each_day_with_its_bases_sheet_and_map(
    page, log_in, in_db, screenshot, width, height
):
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, COORDINATOR)
    use_english(page)
    trip = demo_trip_id(in_db)
    page.goto(f"/routes/{trip}")
    expect(page.get_by_role("button", name="Optimise again")).to_be_in_viewport()
    for n in (1, 2, 3):
        expect(page.locator(f"#day-{n}")).to_contain_text(f"Day {n} of 3")
    expect(page.locator("#day-1")).to_contain_text("From Roskilde to Hotel in Aalborg")
    expect(page.locator("#day-3")).to_contain_text("From Hotel in Aalborg to Roskilde")
    # The hotel is on the map with the home base, and the routes leave from it.
    expect(page.locator("[data-plan-map] .night-marker")).to_have_count(1)
    expect(page.locator("[data-plan-map] .stop-marker").first).to_be_visible()
    assert page_width(page) <= width
    screenshot(page, f"routing-trip-top-{width}", full_page=False)
    page.locator("#day-2").scroll_into_view_if_needed()
    screenshot(page, f"routing-trip-day-2-{width}", full_page=False)

    page.locator("#day-2").get_by_role("link", name="Day sheet").click()
    expect(page.get_by_role("heading", name=re.compile("Day 2 of 3"))).to_be_visible()
    assert page.get_by_role("heading", name=re.compile("Day 1 of 3")).count() == 0
    assert page_width(page) <= width
    screenshot(page, f"routing-trip-sheet-{width}")


def test_the_coordinator_plans_a_trip_on_the_form(page, log_in, screenshot):
    log_in(page, COORDINATOR)
    use_english(page)
    page.goto("/routes/")
    page.get_by_label("Nordjylland").check()
    page.get_by_label("Base", exact=True).select_option(label="Roskilde")
    page.locator("details.trip-fields summary").click()
    page.get_by_label("Days", exact=True).fill("2")
    expect(page.locator("[data-trip-day='3']")).to_be_hidden()  # only the days asked for
    page.locator("input[name=night_2_place]").fill("Aalborg")
    page.get_by_label("Shift starts", exact=True).fill("07:30")
    page.get_by_label("Shift ends", exact=True).fill("19:30")
    page.locator("input[name=shift_2_start]").fill("08:00")
    page.locator("input[name=shift_2_end]").fill("19:30")
    assert page_width(page) <= 390
    page.locator("details.trip-fields").scroll_into_view_if_needed()
    screenshot(page, "routing-trip-form-390", full_page=False)
    page.get_by_role("button", name="Find candidates").click()
    page.wait_for_url(re.compile(r"/routes/[0-9a-f-]{36}"))
    # Two days of one nurse from the region's top candidates: a few seconds on a busy
    # machine (docs/routing.md, "Trips").
    page.get_by_role("button", name="Optimise the routes").click(timeout=60_000)
    page.wait_for_url(re.compile(r"#result"), timeout=60_000)
    expect(page.locator("#day-1")).to_contain_text("From Roskilde to Aalborg")
    expect(page.locator("#day-2")).to_contain_text("From Aalborg to Roskilde")
    expect(page.locator("li[data-stop]").first).to_be_visible()
    assert page_width(page) <= 390
