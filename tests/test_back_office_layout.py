"""The back office's layout in a real browser, at a phone's 390 px and a desktop's 1280 px,
measured by the boxes the browser lays out: a one-row header with a menu, no box running out
of its parent, no page wider than the screen, charts whose text stays the same size, tables
that fit, and an import preview whose problems column is in sight."""

import re
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from outreach.reports import charts

pytestmark = pytest.mark.browser

COORDINATOR = "coordinator@demo.outreach.dk"
DESKTOP = {"width": 1280, "height": 800}
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"

# Boxes whose content is wider than they are, or that stick out of their parent on the right.
SPILLS = """(selector) => {
  const found = [];
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    const parent = el.parentElement.getBoundingClientRect();
    if (el.scrollWidth > el.clientWidth + 1 || box.right > parent.right + 1) {
      found.push(`${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 40)}"`);
    }
  }
  return found;
}"""


@contextmanager
def danish(page):
    """The test browser asks for English; "Førstegangskontakter" is the long Danish word. The
    choice is stored on the account, which the live server's other browser tests share: it is
    set back to English afterwards."""
    page.locator(".langswitch button[value=da]").click()
    page.wait_for_load_state()
    try:
        yield
    finally:
        page.locator(".langswitch button[value=en]").click()
        page.wait_for_load_state()


def header_height(page) -> float:
    return page.locator("header.topbar").bounding_box()["height"]


@pytest.mark.parametrize("path", ["/clinics/", "/reports/", "/routes/", "/persons/"])
def test_the_header_is_one_row_on_a_phone_and_its_menu_reaches_every_page(page, log_in, path):
    log_in(page, COORDINATOR)
    page.goto(path)

    assert header_height(page) < 64
    menu = page.locator("header .navmenu")
    reports = page.locator("header nav a", has_text="Reports")
    expect(reports).to_be_hidden()
    menu.locator("summary").click()
    expect(reports).to_be_visible()
    assert page.evaluate(OVERFLOW) <= 0
    reports.click()
    page.wait_for_url(re.compile(r"/reports/"))


def test_on_a_desktop_the_menu_is_shown_in_the_header_without_a_button(page, log_in, screenshot):
    page.set_viewport_size(DESKTOP)
    log_in(page, COORDINATOR)

    expect(page.locator("header nav a", has_text="Reports")).to_be_visible()
    expect(page.locator("header .navmenu summary")).to_be_hidden()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert header_height(page) < 64
    screenshot(page, "back-office-header-1280", full_page=False)


def test_the_report_key_figures_stay_inside_their_boxes_on_a_phone(page, log_in, screenshot):
    log_in(page, COORDINATOR)
    with danish(page):
        page.goto("/reports/")
        expect(
            page.locator(".key-figures dt", has_text="Førstegangskontakter").first
        ).to_be_visible()
        screenshot(page, "report-key-figures-390", full_page=False)
        assert page.evaluate(SPILLS, ".key-figures dt, .key-figures dd") == []
        assert page.evaluate(OVERFLOW) <= 0


def chart_text_px(page) -> list[float]:
    """The CSS pixel size of the charts' text as shown: the font size they are drawn with,
    scaled as the browser scales each image."""
    size = charts.FONT_SIZE_PT * 96 / 72
    images = page.locator("img.report-chart")
    for i in range(images.count()):  # loaded lazily: each when scrolled to
        images.nth(i).scroll_into_view_if_needed()
        page.wait_for_function("img => img.naturalWidth > 0", arg=images.nth(i).element_handle())
    scales = images.evaluate_all(
        "imgs => imgs.map(img => img.getBoundingClientRect().width / img.naturalWidth)"
    )
    assert scales, "no chart on the page"
    return [round(size * scale, 1) for scale in scales]


def test_chart_text_is_legible_on_a_phone_and_not_huge_on_a_desktop(page, log_in, screenshot):
    log_in(page, COORDINATOR)
    page.goto("/reports/")
    phone = chart_text_px(page)
    page.locator("img.report-chart").first.scroll_into_view_if_needed()
    screenshot(page, "report-chart-390", full_page=False)

    page.set_viewport_size(DESKTOP)
    page.reload()
    desktop = chart_text_px(page)
    screenshot(page, "report-chart-1280")

    assert min(phone) >= 11, phone
    assert max(desktop) <= 16, desktop
    assert max(desktop) - min(phone) <= 3, (phone, desktop)


def test_report_tables_need_no_sideways_scrolling_on_a_phone(page, log_in, screenshot):
    log_in(page, COORDINATOR)
    page.goto("/reports/")

    tables = page.locator(".report-table")
    tables.first.scroll_into_view_if_needed()
    screenshot(page, "report-region-table-390", full_page=False)
    assert tables.count() >= 3
    wide = tables.evaluate_all(
        "els => els.filter(el => el.scrollWidth > el.clientWidth + 1).map(el => el.textContent"
        ".trim().slice(0, 40))"
    )
    assert wide == []
    # Each figure still says what it is: its column's heading is shown beside it.
    first_row = page.locator(".report-table").first.locator("tbody tr").first
    cell = first_row.locator("td").first
    label = cell.evaluate("td => getComputedStyle(td, '::before').content")
    heading = page.locator(".report-table").first.locator("thead th").nth(1).inner_text()
    assert label.strip('"') == heading.strip()


def test_the_import_preview_shows_the_problems_column_on_a_desktop(
    page, log_in, tmp_path, screenshot
):
    page.set_viewport_size(DESKTOP)
    log_in(page, COORDINATOR)
    long_notes = "Ring på døren ved siden af, spørg efter Mai; parkering i gården bag huset. " * 2
    rows = [
        "name,kind,address,postcode,city,lat,lon,region,opening_hours,status,notes,ad_url",
        f'Rosen Massage,massage_clinic,Vestergade 112 2. th.,8000,Aarhus C,56.15,10.2,midtjylland,,active,"{long_notes}",https://example.org/annoncer/rosen-massage-aarhus-vestergade',
        f'Lotus,castle,Algade 1,9000,Aalborg,56.05,9.92,,,,"{long_notes}",https://example.org/annoncer/lotus',
    ]
    path = tmp_path / "klinikker.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    page.goto("/clinics/import")
    page.locator("input[type=file]").set_input_files(str(path))
    page.locator("main form button[type=submit]").click()

    problems = page.locator(".import-table tbody tr.row-invalid .problems-cell").first
    expect(problems).to_be_visible()
    screenshot(page, "import-preview-1280", full_page=False)
    scroller = page.locator(".table-scroll").bounding_box()
    box = problems.bounding_box()
    assert scroller["x"] <= box["x"]
    assert box["x"] + box["width"] <= scroller["x"] + scroller["width"]
    assert page.evaluate(OVERFLOW) <= 0


# WCAG's contrast ratio of two colours given as computed CSS "rgb(r, g, b)".
CONTRAST = """(el) => {
  const rgb = (text) => text.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const style = getComputedStyle(el);
  const [a, b] = [lum(rgb(style.color)), lum(rgb(style.backgroundColor))];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def test_clinic_status_badges_have_4_5_to_1_contrast_and_pages_have_an_icon(page, log_in):
    log_in(page, COORDINATOR)
    page.goto("/clinics/?status=unknown")

    badges = page.locator(".badge")
    assert page.locator(".badge-unknown").count() > 0
    ratios = [badges.nth(i).evaluate(CONTRAST) for i in range(badges.count())]
    assert min(ratios) >= 4.5, ratios
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(icon).ok
