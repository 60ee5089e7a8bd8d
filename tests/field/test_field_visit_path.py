"""The admitted visit with two conversations (issue 10, item 11), along the path of
benchmarks/field_visit.py: offline, within 25 taps, and every record reaches the server."""

import uuid

from benchmarks.field_visit import MAX_TAPS, USUAL_PACK, check_records, visit_path
from tests.field.conftest import known_person, server_records, unique


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
    page.reload()
    page.wait_for_selector("html[data-ready=true]")

    figures = visit_path(page, {"alias": alias, "id": known_id})

    assert figures.taps <= MAX_TAPS, figures.steps
    assert "tap Usual pack" in figures.steps  # the supplies came from the one-tap pack
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
