"""A record the server refuses (422) waits as "needs attention" with the server's message; the
records that depend on it wait behind it; fixed in its form, it goes out, and they follow."""

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from outreach.orgs.models import Organisation
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


@pytest.fixture
def supplies(in_db):
    """set_supplies(codes): the main demo organisation's supply list, restored afterwards."""
    from outreach.demo import MAIN_ORG

    def org():
        return select(Organisation).where(Organisation.name == MAIN_ORG)

    from outreach.db import db

    original = in_db(lambda: list(db.session.scalar(org()).settings["supplies"]))

    def set_supplies(codes):
        def change():
            organisation = db.session.scalar(org())
            organisation.settings = {**organisation.settings, "supplies": list(codes)}
            flag_modified(organisation, "settings")

        in_db(change)

    yield original, set_supplies
    set_supplies(original)


def test_a_refused_visit_needs_attention_is_fixed_and_its_conversation_follows(
    phone, in_db, supplies, screenshot
):
    original, set_supplies = supplies
    clinic, _ = known_person(in_db, unique("Mint"))
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()

    device.go_offline()
    open_clinic(page, clinic)
    visit_id = log_visit(page, supplies={"condoms": 10, "leaflet_es": 2})
    start_conversation(page, unique("Lek"))
    new_person(page)
    save_conversation(page)
    entries = device.outbox()
    assert [e["kind"] for e in entries] == ["visit", "person", "conversation"]

    # Meanwhile a coordinator takes the Spanish leaflet off the organisation's list.
    set_supplies([code for code in original if code != "leaflet_es"])
    device.go_online()
    page.goto(page.url.split("#")[0] + "#/outbox")
    visit_item = page.locator(f'li.outbox-item[data-id="{visit_id}"]')
    visit_item.locator(".outbox-state", has_text="Needs attention").wait_for(timeout=20_000)
    device.wait_until("db.js", "(await m.outboxEntries()).length === 2", timeout_ms=20_000)
    assert "leaflet_es" in visit_item.inner_text()
    assert visit_item.locator(".outbox-message").inner_text() == "The request has invalid fields."
    conversation_item = page.locator(f'li.outbox-item[data-id="{entries[2]["id"]}"]')
    assert "Waits for: Visit" in conversation_item.inner_text()
    assert device.unsent_pill().inner_text().strip() == "2 unsent"
    stored = server_records(in_db, entries)
    assert set(stored) == {entries[1]["id"]}  # the person was independent: she went ahead
    screenshot(page, "field-outbox-attention")

    visit_item.get_by_role("link", name="Fix").click()
    page.wait_for_url(re.compile(rf"#/visit/{visit_id}/edit$"))
    assert "leaflet_es" in page.locator(".form-errors, .field-error").all_inner_texts().__str__()
    leaflet = page.locator('[data-field="supply:leaflet_es"]')
    assert "not on the organisation's list any more" in leaflet.inner_text()
    leaflet.locator("input").fill("0")
    page.get_by_role("button", name="Save visit").click()
    device.wait_all_sent()

    stored = server_records(in_db, entries)
    assert set(stored) == {e["id"] for e in entries}
    assert stored[visit_id]["supplies"] == {"condoms": 10}
