"""A double tap on a save button saves once: the button is disabled while the save runs, and
the form's new records got their ids when it opened, so a second submit would only resend
them. Online and offline: exactly one visit, one person and one conversation."""

import re
import uuid

import pytest
from sqlalchemy import func, select

from outreach.db import db
from outreach.persons.models import Conversation, Person
from outreach.visits.models import Visit
from tests.field.conftest import choose, known_person, open_clinic, unique

pytestmark = pytest.mark.browser

TWO_FAST_CLICKS = """(selector) => {
  const button = document.querySelector(selector);
  button.click();
  button.click();
}"""


def tap_twice(page, form: str, how: str):
    selector = f"form.{form} button[type=submit]"
    if how == "dblclick":
        page.locator(selector).dblclick()
    else:
        page.evaluate(TWO_FAST_CLICKS, selector)


def visit_and_new_person(page, clinic: dict, alias: str, how: str) -> str:
    open_clinic(page, clinic)
    page.get_by_role("link", name="Log visit").click()
    page.wait_for_selector("form.visit-form")
    choose(page, "outcome", "Admitted")
    tap_twice(page, "visit-form", how)
    page.wait_for_url(re.compile(r"#/visit/[0-9a-f-]{36}$"))
    visit_id = page.url.rsplit("/", 1)[1]
    page.get_by_role("link", name="Add conversation").click()
    page.get_by_label("Alias (work name as she gives it)").fill(alias)
    page.locator("button.new-person-button").click()
    choose(page, "gender", "Woman")
    tap_twice(page, "conversation-form", how)
    page.wait_for_url(re.compile(rf"#/visit/{visit_id}$"))
    return visit_id


def count_visits(clinic_id: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Visit).where(Visit.clinic_id == uuid.UUID(clinic_id))
    )


def visits_at(in_db, clinic_id: str) -> int:
    return in_db(lambda: count_visits(clinic_id))


def on_the_server(in_db, clinic_id: str, alias: str, visit_id: str) -> tuple[int, int, int]:
    def count():
        persons = db.session.scalar(
            select(func.count()).select_from(Person).where(Person.alias.matches(alias))
        )
        conversations = db.session.scalar(
            select(func.count())
            .select_from(Conversation)
            .where(Conversation.visit_id == uuid.UUID(visit_id))
        )
        return count_visits(clinic_id), persons, conversations

    return in_db(count)


@pytest.mark.parametrize("how", ["dblclick", "two fast clicks"])
def test_a_double_tap_offline_puts_each_record_in_the_outbox_once(phone, in_db, how):
    clinic, _ = known_person(in_db, unique("Ploy"))
    visits_before = visits_at(in_db, clinic["id"])
    alias = unique("Dao")
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()
    device.go_offline()

    visit_id = visit_and_new_person(page, clinic, alias, how)

    entries = device.outbox()
    assert [e["kind"] for e in entries] == ["visit", "person", "conversation"]
    assert len({e["id"] for e in entries}) == 3
    device.go_online()
    device.wait_all_sent()
    assert on_the_server(in_db, clinic["id"], alias, visit_id) == (visits_before + 1, 1, 1)


@pytest.mark.parametrize("how", ["dblclick", "two fast clicks"])
def test_a_double_tap_online_stores_each_record_once(phone, in_db, how):
    clinic, _ = known_person(in_db, unique("Ploy"))
    visits_before = visits_at(in_db, clinic["id"])
    alias = unique("Dao")
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()

    visit_id = visit_and_new_person(page, clinic, alias, how)

    device.wait_all_sent()
    assert on_the_server(in_db, clinic["id"], alias, visit_id) == (visits_before + 1, 1, 1)
    # The phone's person index has her once: no orphan to be suggested as "met before".
    index = device.evaluate_module("db.js", "await m.getAll('persons')")
    assert [p["alias"] for p in index].count(alias) == 1
