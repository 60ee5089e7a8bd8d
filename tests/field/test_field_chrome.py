"""The field app's chrome at 390 x 844: the unsent count in the header claims nothing before a
login and is named by what it shows, and a notice never lies over a button."""

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.field.conftest import known_person, log_visit, open_clinic, start_conversation, unique

pytestmark = pytest.mark.browser

# Visible buttons, links and fields that the notice is drawn over.
COVERED = """() => {
  const notice = document.getElementById('notice');
  const n = notice.getBoundingClientRect();
  const covered = [];
  for (const el of document.querySelectorAll('a, button, input, select, textarea, label')) {
    if (notice.contains(el)) continue;
    const b = el.getBoundingClientRect();
    if (!b.width || !b.height) continue;
    if (b.left < n.right && n.left < b.right && b.top < n.bottom && n.top < b.bottom) {
      // Lies over it: the notice is what is drawn where they meet (the sticky header, say,
      // is drawn over a notice scrolled under it, and its links stay usable).
      const x = (Math.max(b.left, n.left) + Math.min(b.right, n.right)) / 2;
      const y = (Math.max(b.top, n.top) + Math.min(b.bottom, n.bottom)) / 2;
      const top = document.elementFromPoint(x, y);
      if (top && notice.contains(top)) {
        covered.push(`${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 30)}"`);
      }
    }
  }
  return covered;
}"""


def covered_by_the_notice(page) -> list[str]:
    expect(page.locator("#notice")).to_be_visible()
    return page.evaluate(COVERED)


def test_the_login_screen_shows_no_all_sent_before_anyone_logged_in(phone):
    device = phone()
    page = device.start_app()
    page.wait_for_selector("form.login")

    expect(device.unsent_pill()).to_be_hidden()
    device.log_in()
    expect(device.unsent_pill()).to_have_text("All sent")


def test_the_unsent_count_is_named_by_the_text_it_shows(phone):
    device = phone()
    device.start_app()
    device.log_in()

    pill = device.unsent_pill()
    expect(pill).to_have_text("All sent")
    assert pill.get_attribute("aria-label") is None
    expect(device.page.get_by_role("link", name="All sent", exact=True)).to_be_visible()


def test_a_notice_never_lies_over_a_button_or_the_suggestions(phone, in_db):
    alias = unique("Noi")
    clinic, _ = known_person(in_db, alias)
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()
    open_clinic(page, clinic)

    log_visit(page)  # "Visit saved on the phone."
    assert covered_by_the_notice(page) == []
    start_conversation(page, alias)
    expect(page.locator(".suggestion").first).to_be_visible()
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    assert covered_by_the_notice(page) == []

    page.locator(".suggestion").first.click()
    page.locator('fieldset[data-field="topics"] label').first.click()
    page.get_by_role("button", name="Save conversation").click()
    page.wait_for_url(lambda url: "/conversation" not in url)
    assert covered_by_the_notice(page) == []
    # Sending the outbox redraws the visit screen: measure the screen it settles on.
    device.wait_all_sent()
    done = page.get_by_role("link", name="Done")
    # The redraw after sending may still replace the screen (slow under load): scroll the
    # link of the screen that is there once it stays.
    for _ in range(20):
        try:
            done.scroll_into_view_if_needed(timeout=2000)
            break
        except PlaywrightError:
            page.wait_for_timeout(250)
    else:
        raise AssertionError("the visit screen kept being redrawn")
    assert covered_by_the_notice(page) == []
    page.screenshot(path="test-artifacts/screenshots/field-notice-done-390.png")
