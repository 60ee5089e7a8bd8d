"""Phone layout: every screen fits 360 to 430 px without sideways scrolling, and everything
a thumb taps is at least 44 px in both directions (inline text links excepted)."""

import re

import pytest

from tests.field.conftest import known_person, open_clinic, unique

pytestmark = pytest.mark.browser

# Visible tap targets smaller than 44 x 44 CSS px. A visually hidden radio or checkbox is
# measured by the label around it, which is what the finger touches.
SMALL_TARGETS = """() => {
  const small = [];
  const seen = new Set();
  for (let el of document.querySelectorAll('a, button, input, select, textarea, summary')) {
    const inlineLink = el.tagName === 'A' && !el.classList.contains('button');
    if (inlineLink && el.closest('p, dd, li.conversation-row')) continue;
    if ((el.type === 'radio' || el.type === 'checkbox') && el.closest('label')) {
      if (el.getBoundingClientRect().width <= 1) el = el.closest('label');
    }
    if (seen.has(el)) continue;
    seen.add(el);
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!box.width || !box.height || style.visibility === 'hidden') continue;
    if (el.type === 'checkbox' && el.closest('label')) {
      const label = el.closest('label').getBoundingClientRect();
      if (label.height >= 44) continue;
    }
    if (box.height < 44 || box.width < 44) {
      const text = (el.textContent || el.name || '').trim().slice(0, 30);
      const size = `${Math.round(box.width)}x${Math.round(box.height)}`;
      small.push(`${el.tagName.toLowerCase()}.${el.className} "${text}" ${size}`);
    }
  }
  return small;
}"""

OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def check(page, name: str, problems: list):
    page.wait_for_timeout(150)
    small = page.evaluate(SMALL_TARGETS)
    overflow = page.evaluate(OVERFLOW)
    if small:
        problems.append(f"{name}: small targets {small}")
    if overflow > 0:
        problems.append(f"{name}: {overflow}px sideways overflow")


@pytest.mark.parametrize("width", [360, 430])
def test_every_screen_fits_the_phone_and_has_big_enough_targets(phone, in_db, width):
    clinic, _ = known_person(in_db, unique("Pim"))
    device = phone()
    page = device.page
    page.set_viewport_size({"width": width, "height": 800})
    device.start_app()
    problems = []
    page.evaluate(
        "document.body.append(Object.assign(document.createElement('button'), {id: 'tiny'}))"
    )
    assert any("button" in s for s in page.evaluate(SMALL_TARGETS)), "the check finds nothing"
    page.evaluate("document.getElementById('tiny').remove()")
    check(page, "login", problems)
    device.log_in()
    device.wait_synced()
    check(page, "today", problems)
    open_clinic(page, clinic)
    check(page, "clinic", problems)
    page.get_by_role("link", name="Log visit").click()
    page.locator('fieldset[data-field="outcome"] label').first.click()
    check(page, "log visit", problems)
    page.get_by_role("button", name="Save visit").click()
    page.wait_for_url(re.compile(r"#/visit/"))
    check(page, "visit", problems)
    page.get_by_role("link", name="Add conversation").click()
    page.get_by_label("Alias (work name as she gives it)").fill("Pim")
    page.locator("button.new-person-button").click()
    check(page, "add conversation", problems)
    page.get_by_role("link", name="Talks").click()
    check(page, "conversations", problems)
    page.get_by_role("link", name="New conversation").click()
    check(page, "conversation outside a visit", problems)
    page.get_by_role("link", name="New clinic").click()
    check(page, "new clinic", problems)
    open_clinic(page, clinic)
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Opening hours not known").uncheck()
    check(page, "edit clinic", problems)
    page.get_by_role("link", name="Outbox").click()
    check(page, "outbox", problems)
    page.get_by_role("link", name="Menu").click()
    check(page, "menu", problems)
    assert not problems, "\n".join(problems)
