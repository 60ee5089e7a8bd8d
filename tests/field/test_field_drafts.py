"""Half-filled forms survive a reload and Back: each change is kept as a draft on the phone
(IndexedDB, wiped at logout), and the form opened again offers to continue it or discard it.
Saving removes the draft."""

import re

import pytest

from tests.field.conftest import choose, known_person, open_clinic, unique

pytestmark = pytest.mark.browser


def drafts(device) -> list[dict]:
    return device.evaluate_module("db.js", "await m.drafts()")


def wait_for_draft(device, expression: str):
    """Waits until the one draft kept satisfies `expression` (over `d`)."""
    device.wait_until("db.js", f"(await m.drafts()).some((d) => {expression})")


def answer_the_offer(page, choice: str):
    dialog = page.locator("dialog.dialog")
    dialog.wait_for()
    assert "Continue the draft?" in dialog.inner_text()
    dialog.get_by_role("button", name=choice, exact=True).click()
    dialog.wait_for(state="detached")


def fill_half_a_visit(page):
    page.get_by_role("link", name="Log visit").click()
    page.wait_for_selector("form.visit-form")
    choose(page, "outcome", "Admitted")
    page.locator('[data-field="persons_present"] input').fill("3")
    page.locator('[data-field="supply:condoms"] input').fill("7")
    choose(page, "concern_level", "Yellow")
    choose(page, "police_informed", "Yes")
    page.get_by_label("Note", exact=True).fill("Half a visit")


def test_a_half_filled_visit_comes_back_after_a_reload_and_saving_removes_the_draft(
    phone, in_db, screenshot
):
    clinic, _ = known_person(in_db, unique("Nok"))
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()
    open_clinic(page, clinic)
    fill_half_a_visit(page)
    wait_for_draft(device, "d.fields.notes && d.fields.notes.values[0] === 'Half a visit'")
    (kept,) = drafts(device)

    device.reload()
    page.wait_for_selector("form.visit-form")
    screenshot(page, "field-draft-offer")
    answer_the_offer(page, "Continue draft")

    form = page.locator("form.visit-form")
    assert form.locator('input[name="outcome"][value="admitted"]').is_checked()
    assert form.locator('[data-field="persons_present"] input').input_value() == "3"
    assert form.locator('[data-field="persons_present"]').is_visible()  # revealed again
    assert form.locator('[data-field="supply:condoms"] input').input_value() == "7"
    assert form.locator('input[name="concern_level"][value="yellow"]').is_checked()
    assert form.locator('input[name="police_informed"][value="yes"]').is_checked()
    assert form.get_by_label("Police note").is_visible()
    assert form.get_by_label("Note", exact=True).input_value() == "Half a visit"

    page.get_by_role("button", name="Save visit").click()
    page.wait_for_url(re.compile(r"#/visit/[0-9a-f-]{36}$"))
    visit_id = page.url.rsplit("/", 1)[1]
    assert visit_id == kept["ids"]["id"]  # the draft's own id: a resumed save never doubles
    device.wait_until("db.js", "(await m.drafts()).length === 0")
    device.reload()
    assert page.locator("dialog.dialog").count() == 0


def test_a_draft_left_with_back_is_listed_on_today_and_discarding_it_removes_it(
    phone, in_db, screenshot
):
    clinic, _ = known_person(in_db, unique("Dao"))
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()
    open_clinic(page, clinic)
    fill_half_a_visit(page)
    wait_for_draft(device, "d.fields.notes && d.fields.notes.values[0] === 'Half a visit'")

    page.go_back()  # the clinic
    page.get_by_role("link", name="Today").click()
    unfinished = page.locator("section.drafts a.draft-link")
    unfinished.wait_for()
    assert clinic["name"] in unfinished.inner_text()
    screenshot(page, "field-today-drafts")
    unfinished.click()
    answer_the_offer(page, "Discard")

    form = page.locator("form.visit-form")
    assert not form.locator('input[name="outcome"]:checked').count()
    assert form.get_by_label("Note", exact=True).input_value() == ""
    assert drafts(device) == []


def test_a_conversation_with_a_new_person_comes_back_after_a_reload(phone, in_db):
    clinic, _ = known_person(in_db, unique("Mai"))
    alias = unique("Kanya")
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()
    open_clinic(page, clinic)
    page.get_by_role("link", name="Log visit").click()
    choose(page, "outcome", "Admitted")
    page.get_by_role("button", name="Save visit").click()
    page.wait_for_url(re.compile(r"#/visit/[0-9a-f-]{36}$"))
    page.get_by_role("link", name="Add conversation").click()
    page.get_by_label("Alias (work name as she gives it)").fill(alias)
    page.locator("button.new-person-button").click()
    choose(page, "gender", "Trans woman")
    page.locator('select[name="languages-add"]').select_option("fr")  # not among the chips
    choose(page, "topics", "Health advice")
    wait_for_draft(device, "d.state && d.state.mode === 'new' && d.fields.topics.checked.length")

    device.reload()
    answer_the_offer(page, "Continue draft")

    form = page.locator("form.conversation-form")
    assert form.get_by_label("Alias (work name as she gives it)").input_value() == alias
    assert form.locator(".new-person").is_visible()
    assert form.locator('input[name="gender"][value="trans_woman"]').is_checked()
    assert form.locator('input[name="languages"][value="fr"]').is_checked()
    assert form.locator('input[name="topics"][value="health_advice"]').is_checked()


def test_logging_out_wipes_the_drafts(phone, in_db):
    clinic, _ = known_person(in_db, unique("Lek"))
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()
    open_clinic(page, clinic)
    fill_half_a_visit(page)
    wait_for_draft(device, "true")

    device.evaluate_module("session.js", "(await m.logout(), true)")

    assert drafts(device) == []
