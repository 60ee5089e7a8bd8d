"""The admitted visit with two conversations (issue 10, item 11), along the path of
benchmarks/field_visit.py: offline, within 25 taps, and every record reaches the server."""

import uuid

from benchmarks.field_visit import MAX_TAPS, USUAL_PACK, check_records, visit_path
from tests.field.conftest import choose, known_person, open_clinic, server_records, unique


def test_the_admitted_visit_with_two_conversations_takes_at_most_25_taps_and_is_delivered(
    phone, in_db
):
    alias = unique("Ploy")
    _, known_id = known_person(in_db, alias)
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()
    device.go_offline()
    device.reload()

    figures = visit_path(page, {"alias": alias, "id": known_id})

    assert figures.taps <= MAX_TAPS, figures.steps
    assert "tap Usual pack" in figures.steps  # the supplies came from the one-tap pack
    # No scrolling by hand anywhere: the visit fits one screen, and the new person (no one of
    # her name on the phone) has her button above the cards of similar names; tapping it
    # brings her details and the topics after them into view.
    assert not [s for s in figures.steps if s.startswith("scroll")], figures.steps
    new_steps = figures.steps[figures.steps.index("type birth year (0 deleted, 4 typed)") :]
    assert new_steps[1:3] == ["tap New person", "tap a topic"], new_steps
    entries = device.outbox()
    assert check_records(entries, {"alias": alias, "id": known_id}) == []

    device.go_online()
    device.wait_all_sent()
    stored = server_records(in_db, entries)
    assert set(stored) == {e["id"] for e in entries}
    (visit,) = [stored[e["id"]] for e in entries if e["kind"] == "visit"]
    assert visit["supplies"] == USUAL_PACK
    assert visit["persons_present"] == 2 and visit["concern_level"] == "yellow"
    talks = [stored[e["id"]] for e in entries if e["kind"] == "conversation"]
    assert {t["visit_id"] for t in talks} == {visit["id"]}
    assert uuid.UUID(known_id) in {t["person_id"] for t in talks}


def test_indicators_and_police_show_only_with_a_concern_above_green(phone, in_db):
    clinic, _ = known_person(in_db, unique("Nok"))
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()
    open_clinic(page, clinic)
    page.get_by_role("link", name="Log visit").click()
    form = page.locator("form.visit-form")
    indicators = form.locator('fieldset[data-field="indicators"]')
    police = form.locator('fieldset[data-field="police_informed"]')

    assert not indicators.is_visible() and not police.is_visible()
    choose(page, "concern_level", "Green")
    assert not indicators.is_visible() and not police.is_visible()
    choose(page, "concern_level", "Red")
    assert indicators.is_visible() and police.is_visible()
    choose(page, "indicators", "Debt")
    choose(page, "concern_level", "Green")  # what was ticked stays in sight
    assert indicators.is_visible()
    # Every other field is still on the form, below the common path.
    for name in ("started_at", "notes", "supply:leaflet_en"):
        assert form.locator(f'[name="{name}"]').count() == 1
