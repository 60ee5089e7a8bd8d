"""The app lock (issue 13 item 2): one tap, the idle time and a long time in the background
lock the app; locked, nothing personal is on screen and the data key is gone; five wrong PINs
need a full login and a new PIN, and the unsent visit still arrives exactly once."""

import re
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from outreach.db import db
from outreach.visits.models import Visit
from tests.field.conftest import PIN, known_person, log_visit, open_clinic, unique

pytestmark = pytest.mark.browser


def test_one_tap_locks_and_leaves_nothing_personal_on_screen(phone, in_db, screenshot):
    known_alias = unique("Lockalias")
    clinic, _ = known_person(in_db, known_alias)
    note = f"Locknote {uuid.uuid4().hex[:8]}"
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()
    open_clinic(page, clinic)
    visit_id = log_visit(page, admitted=True, note=note)
    expect(page.locator("main")).to_contain_text(note)

    page.get_by_role("button", name="Lock the app now").click()
    page.wait_for_url(re.compile(r"#/unlock$"))
    page.wait_for_selector("form.pin-form")
    html = page.content()
    assert note not in html and known_alias not in html and clinic["name"] not in html
    assert device.evaluate_module("db.js", "m.isUnlocked()") is False
    # Nothing sealed can be read by the page while locked.
    assert device.evaluate_module("db.js", "(await m.getAll('visits')).length") == 0
    assert device.evaluate_module("db.js", f"await m.get('visits', '{visit_id}')") is None
    screenshot(page, "field-locked")

    device.unlock(PIN)
    assert page.evaluate("location.hash") == f"#/visit/{visit_id}"  # back where she was
    expect(page.locator("main")).to_contain_text(note)


def test_the_app_locks_itself_after_the_idle_time(phone):
    device = phone()
    page = device.start_app()
    device.log_in()
    page.evaluate("localStorage.setItem('outreach.field.lock_minutes', '0.05')")  # 3 seconds
    device.reload()
    assert device.evaluate_module("db.js", "m.isUnlocked()") is True
    page.wait_for_url(re.compile(r"#/unlock$"), timeout=15_000)
    expect(page.locator("#notice")).to_contain_text("The app locked itself")
    assert device.evaluate_module("db.js", "m.isUnlocked()") is False


BACKGROUND = """async (away) => {
  const db = await import('/static/field/db.js');
  const visibility = (state) => {
    Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  };
  visibility('hidden');
  const realNow = Date.now;
  Date.now = () => realNow() + away;
  visibility('visible');
  Date.now = realNow;
  return db.isUnlocked();
}"""


def test_the_app_locks_after_longer_than_the_idle_time_in_the_background(phone):
    device = phone()
    page = device.start_app()
    device.log_in()
    assert page.evaluate(BACKGROUND, 60_000) is True  # a minute away: still open
    assert page.evaluate(BACKGROUND, 6 * 60_000) is False  # six minutes: locked
    page.wait_for_url(re.compile(r"#/unlock$"))


def test_five_wrong_pins_need_a_full_login_and_the_unsent_visit_arrives_once(
    phone, in_db, screenshot
):
    clinic, _ = known_person(in_db, unique("Pinalias"))
    note = f"Pinnote {uuid.uuid4().hex[:8]}"
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()

    device.go_offline()
    open_clinic(page, clinic)
    visit_id = log_visit(page, admitted=True, note=note)
    assert len(device.outbox()) == 1

    device.reload(pin=None)  # offline: the shell from the service worker, locked
    assert page.evaluate("location.hash") == "#/unlock"
    errors = page.locator(".form-errors")
    for left in (4, 3, 2, 1):
        page.get_by_label("PIN", exact=True).fill("975310")
        page.get_by_role("button", name="Unlock", exact=True).click()
        expect(errors).to_contain_text(
            f"Wrong PIN. Attempts left before a full login is needed: {left}"
        )
    page.get_by_label("PIN", exact=True).fill("975310")
    page.get_by_role("button", name="Unlock", exact=True).click()
    page.wait_for_url(re.compile(r"#/login$"))
    expect(page.locator("form.login")).to_contain_text("unlock the data on this phone")
    # Even the right PIN no longer opens, also after a restart: only the password does.
    device.reload(pin=None)
    assert page.evaluate("location.hash") == "#/login"
    assert device.evaluate_module("db.js", "(await m.outboxEntries()).length") == 1
    screenshot(page, "field-pin-blocked")

    device.go_online()
    device.log_in(pin="602948")  # the password, then a new PIN
    device.wait_all_sent()

    def arrived():
        count = select(func.count()).select_from(Visit).where(Visit.id == uuid.UUID(visit_id))
        return db.session.scalar(count), db.session.get(Visit, uuid.UUID(visit_id)).notes

    assert in_db(arrived) == (1, note)
    device.reload(pin=None)
    device.unlock("602948")
    assert device.evaluate_module("db.js", "m.isUnlocked()") is True
