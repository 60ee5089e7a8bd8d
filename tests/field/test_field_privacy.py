"""What stays on the phone: no API answer and no personal data in Cache Storage, nothing but
UI preferences in localStorage; logout wipes clinics and persons but never an unsent record
without an explicit, warned choice (SECURITY.md 23)."""

import re

import pytest

from tests.field.conftest import (
    NURSE,
    choose,
    known_person,
    log_visit,
    new_person,
    open_clinic,
    save_conversation,
    server_records,
    unique,
)

pytestmark = pytest.mark.browser

CACHE_DUMP = """async () => {
  const out = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      out.push({ cache: name, url: request.url, body: await response.text() });
    }
  }
  return out;
}"""

COUNTS = """[
  await m.count('clinics'), await m.count('visits'), await m.count('persons'),
  await m.count('conversations'), await m.count('outbox'), Boolean(await m.getMeta('user'))
]"""


def test_cache_storage_holds_no_api_answer_and_no_personal_data(phone, in_db, screenshot):
    known_alias = unique("Marker Known")
    clinic, _ = known_person(in_db, known_alias)
    marker = unique("Marker Newperson")
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()

    # A conversation outside a visit, by phone, with someone new.
    page.get_by_role("link", name="Talks").click()
    page.get_by_role("link", name="New conversation").click()
    page.get_by_label("Alias (work name as she gives it)").fill(marker)
    new_person(page)
    choose(page, "channel", "Phone")
    save_conversation(page)
    device.wait_all_sent()
    assert marker in page.locator(".conversation-list").inner_text()
    screenshot(page, "field-conversations")
    open_clinic(page, clinic)  # clinic and visits read, suggestions computed: all from IndexedDB

    entries = device.evaluate_module("db.js", "(await m.getAll('persons')).length")
    assert entries > 0
    token = device.evaluate_module("db.js", "await m.getMeta('csrf')")
    assert token
    cached = page.evaluate(CACHE_DUMP)
    assert cached, "the service worker cached nothing"
    urls = [c["url"] for c in cached]
    assert any(u.endswith("/field/") for u in urls)
    assert not [u for u in urls if "/api/" in u]
    for item in cached:
        for secret in (marker, known_alias, NURSE, clinic["name"], token):
            assert secret not in item["body"], (secret, item["url"])

    storage = page.evaluate("Object.keys(localStorage)")
    assert set(storage) <= {"outreach.field.lang", "outreach.field.today"}
    for key in storage:
        value = page.evaluate(f"localStorage.getItem('{key}')")
        assert marker not in value and NURSE not in value


def test_logout_wipes_the_local_copy_but_keeps_unsent_records_unless_deleted_on_purpose(
    phone, in_db, screenshot
):
    clinic, _ = known_person(in_db, unique("Noi"))
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()
    device.go_offline()
    open_clinic(page, clinic)
    visit_id = log_visit(page, admitted=False, reason="No answer")
    before = device.evaluate_module("db.js", COUNTS)
    assert before[0] > 0 and before[2] > 0 and before[4] == 1

    page.get_by_role("link", name="Menu").click()
    page.get_by_role("button", name="Log out").click()
    dialog = page.locator("dialog")
    dialog.wait_for()
    screenshot(page, "field-logout-warning")
    assert "Records not sent yet: 1" in dialog.inner_text()
    dialog.get_by_role("button", name="Log out, keep them").click()
    page.wait_for_url(re.compile(r"#/login$"))
    after = device.evaluate_module("db.js", COUNTS)
    assert after == [0, 0, 0, 0, 1, False]
    assert device.unsent_pill().inner_text().strip() == "1 unsent"

    # Back online, the same nurse logs in: the kept visit goes out.
    device.go_online()
    device.log_in()
    device.wait_all_sent()
    assert visit_id in server_records(in_db, [{"kind": "visit", "id": visit_id}])

    # Deleting unsent records takes two explicit confirmations.
    device.wait_synced()
    device.go_offline()
    open_clinic(page, clinic)
    log_visit(page, admitted=False, reason="Closed")
    page.get_by_role("link", name="Menu").click()
    page.get_by_role("button", name="Log out").wait_for()
    screenshot(page, "field-menu")
    page.get_by_role("button", name="Log out").click()
    page.locator("dialog").get_by_role("button", name="Log out and delete them").click()
    page.locator("dialog").get_by_role("button", name="No, keep them").click()
    assert device.evaluate_module("db.js", "await m.count('outbox')") == 1
    page.get_by_role("button", name="Log out").click()
    page.locator("dialog").get_by_role("button", name="Log out and delete them").click()
    page.locator("dialog").get_by_role("button", name="Yes, delete them").click()
    page.wait_for_url(re.compile(r"#/login$"))
    assert device.evaluate_module("db.js", COUNTS) == [0, 0, 0, 0, 0, False]
