"""A record the server refuses (422) waits as "needs attention" with the server's message; the
records that depend on it wait behind it; fixed in its form, it goes out, and they follow."""

import re

import pytest

from tests.field.conftest import (
    known_person,
    log_visit,
    new_person,
    open_clinic,
    save_conversation,
    server_records,
    start_conversation,
    unique,
)

pytestmark = pytest.mark.browser

# What an older version of the app (or a bug) might have queued: more persons than the
# server accepts. The form itself would not let the nurse save it.
INJECT = """async ([id]) => {
  const db = await import('/static/field/db.js');
  const entry = (await db.outboxEntries()).find((e) => e.id === id);
  await db.outboxUpdate(entry.seq, { body: { ...entry.body, persons_present: 500 } });
}"""


def test_a_refused_visit_needs_attention_is_fixed_and_its_conversation_follows(
    phone, in_db, screenshot
):
    clinic, _ = known_person(in_db, unique("Mint"))
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()

    device.go_offline()
    open_clinic(page, clinic)
    visit_id = log_visit(page, supplies={"condoms": 10})
    start_conversation(page, unique("Lek"))
    new_person(page)
    save_conversation(page)
    entries = device.outbox()
    assert [e["kind"] for e in entries] == ["visit", "person", "conversation"]
    page.evaluate(INJECT, [visit_id])

    device.go_online()
    page.goto(page.url.split("#")[0] + "#/outbox")
    visit_item = page.locator(f'li.outbox-item[data-id="{visit_id}"]')
    visit_item.locator(".outbox-state", has_text="Needs attention").wait_for(timeout=20_000)
    device.wait_until("db.js", "(await m.outboxEntries()).length === 2", timeout_ms=20_000)
    refused = device.outbox()[0]
    assert refused["state"] == "attention" and refused["error"]["status"] == 422
    assert visit_item.locator(".outbox-message").inner_text() == refused["error"]["message"]
    assert "Persons present: Must be" in visit_item.inner_text()
    conversation_item = page.locator(f'li.outbox-item[data-id="{entries[2]["id"]}"]')
    assert "Waits for: Visit" in conversation_item.inner_text()
    assert device.unsent_pill().inner_text().strip() == "2 unsent"
    stored = server_records(in_db, entries)
    assert set(stored) == {entries[1]["id"]}  # the person was independent: she went ahead
    screenshot(page, "field-outbox-attention")

    # Nothing goes out again by itself: a refused record waits for the nurse.
    device.evaluate_module("outbox.js", "await m.sendNow()")
    assert len(device.outbox()) == 2

    visit_item.get_by_role("link", name="Fix").click()
    page.wait_for_url(re.compile(rf"#/visit/{visit_id}/edit$"))
    present = page.locator('[data-field="persons_present"]')
    assert present.locator("input").input_value() == "500"
    error = page.locator('.field-error[data-error-for="persons_present"]')
    assert "100" in error.inner_text()
    screenshot(page, "field-fix-visit")
    present.locator("input").fill("4")
    page.get_by_role("button", name="Save visit").click()
    device.wait_all_sent()

    stored = server_records(in_db, entries)
    assert set(stored) == {e["id"] for e in entries}
    assert stored[visit_id]["persons_present"] == 4
    assert stored[entries[2]["id"]]["visit_id"] is not None
