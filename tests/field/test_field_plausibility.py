"""Plausibility in the field app at 390×844: a wrong number is refused on its own field
alone; a number above the organisation's usual most is asked about next to that field, and
the visit is queued only once the nurse ticks that it is right (docs/plausibility.md)."""

import re

import pytest

from tests.field.conftest import (
    choose,
    known_person,
    log_visit,
    open_clinic,
    server_records,
    unique,
)

pytestmark = pytest.mark.browser

DANGER = "rgb(163, 22, 26)"  # --danger in field.css


def open_visit_form(device, in_db):
    clinic, _ = known_person(in_db, unique("Plum"))
    page = device.start_app()
    device.log_in()
    device.wait_synced()
    open_clinic(page, clinic)
    page.get_by_role("link", name="Log visit").click()
    page.wait_for_selector("form.visit-form")
    choose(page, "outcome", "Admitted")
    return page


def supply(page, code):
    return page.locator(f'[data-field="supply:{code}"]')


def marked_inputs(page) -> list[str]:
    """Names of the form's number boxes drawn with the danger border."""
    return page.evaluate(
        f"""() => [...document.querySelectorAll('form.visit-form input[type=number]')]
          .filter((i) => getComputedStyle(i).borderTopColor === '{DANGER}')
          .map((i) => i.name)"""
    )


def row_heights(page) -> dict:
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.supplies .stepper')]
          .map((s) => [s.dataset.field, s.querySelector('.stepper-controls')
            .getBoundingClientRect().top - s.getBoundingClientRect().top]))"""
    )


def test_a_negative_count_marks_only_its_own_supply(phone, in_db, screenshot):
    device = phone()
    page = open_visit_form(device, in_db)
    rows_before = row_heights(page)
    supply(page, "condoms").locator("input").fill("-1")

    page.get_by_role("button", name="Save visit").click()

    error = page.locator('.field-error[data-error-for="supplies.condoms"]')
    error.wait_for()
    supply(page, "condoms").scroll_into_view_if_needed()
    screenshot(page, "field-visit-negative-supply")
    assert error.inner_text() == "Give a whole number from 0 to 10000."
    assert marked_inputs(page) == ["supply:condoms"]
    assert page.locator(".has-error").count() == 1
    # Every other row keeps its layout: its buttons stay on the label's line.
    rows_after = row_heights(page)
    assert {k: v for k, v in rows_after.items() if k != "supply:condoms"} == {
        k: v for k, v in rows_before.items() if k != "supply:condoms"
    }
    assert device.outbox() == []


def test_an_unusual_count_is_asked_about_next_to_it_and_saved_once_confirmed(
    phone, in_db, screenshot
):
    device = phone()
    page = open_visit_form(device, in_db)
    supply(page, "condoms").locator("input").fill("900")
    supply(page, "lubricant").locator("input").fill("20")

    page.get_by_role("button", name="Save visit").click()

    warning = supply(page, "condoms").locator(".field-warning")
    warning.wait_for()
    screenshot(page, "field-visit-unusual-supply")
    assert "Are 900 condoms right?" in warning.inner_text()  # the English label
    assert "The usual most is 200 per visit." in warning.inner_text()
    assert page.locator(".field-warning").count() == 1
    assert marked_inputs(page) == ["supply:condoms"]
    assert device.outbox() == []
    assert re.search(r"#/clinic/", page.url)

    warning.get_by_label("Yes, 900 is right").check()
    page.get_by_role("button", name="Save visit").click()
    page.wait_for_url(re.compile(r"#/visit/[0-9a-f-]{36}$"))

    entries = device.outbox()
    assert entries[0]["body"]["supplies"] == {"condoms": 900, "lubricant": 20}
    assert entries[0]["body"]["confirmed_unusual"] is True
    device.wait_all_sent()
    assert server_records(in_db, entries)[entries[0]["id"]]["supplies"]["condoms"] == 900


def test_a_changed_number_is_asked_about_again(phone, in_db):
    device = phone()
    page = open_visit_form(device, in_db)
    box = supply(page, "condoms").locator("input[type=number]")
    box.fill("900")
    page.get_by_role("button", name="Save visit").click()
    supply(page, "condoms").get_by_label("Yes, 900 is right").check()

    box.fill("9000")
    page.get_by_role("button", name="Save visit").click()

    warning = supply(page, "condoms").locator(".field-warning")
    assert "Are 9,000 condoms right?" in warning.inner_text()
    assert not warning.get_by_role("checkbox").is_checked()
    assert device.outbox() == []


def test_the_danish_app_asks_with_the_danish_label(phone, in_db, screenshot):
    device = phone()
    clinic, _ = known_person(in_db, unique("Plum"))
    page = device.start_app()
    device.log_in()
    device.wait_synced()
    open_clinic(page, clinic)
    page.get_by_role("link", name="Log visit").click()
    page.wait_for_selector("form.visit-form")
    form_url = page.url
    page.evaluate("location.hash = '#/menu'")
    page.get_by_role("button", name="Dansk").click()
    page.wait_for_selector("html[lang=da]")
    page.goto(form_url)
    page.wait_for_selector("form.visit-form")
    choose(page, "outcome", "Lukket ind")
    supply(page, "condoms").locator("input").fill("900")

    page.get_by_role("button", name="Gem besøg").click()

    warning = supply(page, "condoms").locator(".field-warning")
    warning.wait_for()
    screenshot(page, "field-visit-unusual-supply-danish")
    assert "Er 900 kondomer rigtigt?" in warning.inner_text()
    assert device.outbox() == []


def test_nobody_present_on_an_admitted_visit_is_refused_on_that_field(phone, in_db):
    device = phone()
    page = open_visit_form(device, in_db)
    page.locator('[data-field="persons_present"] input').fill("0")

    page.get_by_role("button", name="Save visit").click()

    error = page.locator('.field-error[data-error-for="persons_present"]')
    error.wait_for()
    assert "at least 1" in error.inner_text()
    assert marked_inputs(page) == ["persons_present"]
    assert device.outbox() == []


# What an older version of the app might have queued: a count the server refuses.
INJECT = """async ([id]) => {
  const db = await import('/static/field/db.js');
  const entry = (await db.outboxEntries()).find((e) => e.id === id);
  await db.outboxUpdate(entry.seq, {
    body: { ...entry.body, supplies: { ...entry.body.supplies, lubricant: 2.5 } },
  });
}"""


def test_a_count_the_server_refuses_is_marked_on_that_supply_when_fixed(phone, in_db):
    device = phone()
    clinic, _ = known_person(in_db, unique("Fig"))
    page = device.start_app()
    device.log_in()
    device.wait_synced()
    device.go_offline()
    open_clinic(page, clinic)
    visit_id = log_visit(page, supplies={"condoms": 10})
    page.evaluate(INJECT, [visit_id])

    device.go_online()
    page.goto(page.url.split("#")[0] + "#/outbox")
    item = page.locator(f'li.outbox-item[data-id="{visit_id}"]')
    item.locator(".outbox-state", has_text="Needs attention").wait_for(timeout=20_000)
    assert "Supplies handed out, Lubricant: Give a whole number" in item.inner_text()

    item.get_by_role("link", name="Fix").click()
    page.wait_for_url(re.compile(rf"#/visit/{visit_id}/edit$"))
    error = page.locator('.field-error[data-error-for="supplies.lubricant"]')
    error.wait_for()  # the form is drawn after the URL changes
    assert error.is_visible() and "whole number" in error.inner_text()
    assert page.locator(".has-error").count() == 1
    assert marked_inputs(page) == ["supply:lubricant"]
    supply(page, "lubricant").locator("input[type=number]").fill("3")
    page.get_by_role("button", name="Save visit").click()
    device.wait_all_sent()
    stored = server_records(in_db, [{"kind": "visit", "id": visit_id}])
    assert stored[visit_id]["supplies"] == {"condoms": 10, "lubricant": 3}
