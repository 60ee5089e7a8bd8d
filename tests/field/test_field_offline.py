"""Offline work end to end: log in once online, lose the server, keep working through a
reload and a browser restart, and see every record arrive exactly once when it is back."""

import re
import uuid

import pytest
from sqlalchemy import func, select

from outreach.auth.models import User
from outreach.db import db
from outreach.persons.models import Conversation, Person
from tests.field.conftest import (
    NURSE,
    choose,
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


def test_a_visit_with_two_conversations_made_offline_arrives_exactly_once(phone, in_db, screenshot):
    known_alias = unique("Ploy Siriwan")
    clinic, known_id = known_person(in_db, known_alias)
    new_alias = unique("Dao")

    device = phone()
    page = device.start_app()
    screenshot(page, "field-login")
    device.log_in()
    device.wait_synced()
    screenshot(page, "field-today")

    device.go_offline()
    device.reload()  # the shell now comes from the service worker
    assert page.locator("header .network").is_visible()

    open_clinic(page, clinic)
    screenshot(page, "field-clinic", full_page=True)
    page.get_by_role("link", name="Log visit").click()
    choose(page, "outcome", "Admitted")
    page.locator('[data-field="supply:condoms"] input').fill("20")
    choose(page, "concern_level", "Yellow")
    choose(page, "indicators", "Debt")  # the demo organisation's English label
    page.locator('fieldset[data-field="concern_level"]').scroll_into_view_if_needed()
    screenshot(page, "field-log-visit-concern")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "field-log-visit")
    page.get_by_role("button", name="Save visit").click()
    page.wait_for_url(re.compile(r"#/visit/[0-9a-f-]{36}$"))
    visit_id = page.url.rsplit("/", 1)[1]

    # A person met before: found by a spelling variant, ranked first (same clinic).
    start_conversation(page, known_alias.replace("Ploy", "Ploi"))
    suggestion = page.locator(f'button.suggestion[data-person-id="{known_id}"]')
    suggestion.wait_for()
    assert page.locator("button.suggestion").first.get_attribute("data-person-id") == known_id
    assert "Met at this clinic" in suggestion.inner_text()
    screenshot(page, "field-add-conversation")
    suggestion.click()
    save_conversation(page, topics=("Health advice", "STI test offered"))

    # Someone new.
    start_conversation(page, new_alias)
    new_person(page)
    save_conversation(page)

    assert device.unsent_pill().inner_text().strip() == "4 unsent"
    screenshot(page, "field-visit", full_page=True)
    entries = device.outbox()
    assert [e["kind"] for e in entries] == ["visit", "conversation", "person", "conversation"]

    # Close the browser and open it again, still without a server.
    device.close()
    page = device.open(offline=True)
    device.start_app()
    assert device.unsent_pill().inner_text().strip() == "4 unsent"
    assert device.outbox() == entries

    device.go_online()
    device.wait_all_sent()
    assert device.outbox() == []

    stored = server_records(in_db, entries)
    assert set(stored) == {e["id"] for e in entries}
    person_id = entries[2]["id"]
    assert stored[entries[1]["id"]]["person_id"] == uuid.UUID(known_id)
    assert stored[entries[3]["id"]]["person_id"] == uuid.UUID(person_id)
    assert stored[visit_id]["supplies"] == {"condoms": 20}
    assert stored[visit_id]["concern_level"] == "yellow"

    def counts():
        return (
            db.session.scalar(
                select(func.count()).where(Conversation.visit_id == uuid.UUID(visit_id))
            ),
            db.session.scalar(select(func.count()).where(Person.alias.matches(new_alias))),
            db.session.scalar(
                select(func.count()).where(Conversation.person_id == uuid.UUID(known_id))
            ),
        )

    assert in_db(counts) == (2, 1, 2)  # the known person: the old conversation and this one


def test_a_session_that_ended_offline_asks_for_a_login_and_loses_nothing(phone, in_db):
    clinic, _ = known_person(in_db, unique("Nok Kanya"))
    new_alias = unique("Fon")
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()

    device.go_offline()
    open_clinic(page, clinic)
    visit_id = log_visit(page, admitted=True, note="Quiet evening")
    start_conversation(page, new_alias)
    new_person(page)
    save_conversation(page)
    entries = device.outbox()
    assert len(entries) == 3

    def end_sessions():  # e.g. logged out on another device, or revoked by an admin
        user = db.session.scalar(select(User).where(User.email == NURSE))
        user.session_version += 1

    in_db(end_sessions)
    device.go_online()
    page.locator(".banner-login").wait_for(timeout=20_000)
    assert device.unsent_pill().inner_text().strip() == "3 unsent"
    assert server_records(in_db, entries) == {}

    page.get_by_role("link", name="Log in again").click()
    page.get_by_label("Password").fill("demo-outreach-2026")
    page.get_by_role("button", name="Log in", exact=True).click()
    device.wait_all_sent()
    stored = server_records(in_db, entries)
    assert set(stored) == {e["id"] for e in entries}
    assert stored[entries[2]["id"]]["visit_id"] == uuid.UUID(visit_id)
    assert (
        in_db(
            lambda: db.session.scalar(select(func.count()).where(Person.alias.matches(new_alias)))
        )
        == 1
    )
