"""Choosing the right person on the phone: six persons with the same work name, told apart by
their cards (nationality, birth year, when and where last met, how many conversations); the
same name is labelled as such, the one met most recently (or born the year she says) comes
first, and "Show more" offers the sixth."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from outreach.auth.models import User
from outreach.clinics.models import Clinic
from outreach.db import db
from tests.conftest import Factory
from tests.field.conftest import NURSE, log_visit, open_clinic, start_conversation, unique

pytestmark = pytest.mark.browser


def six_of_the_same_name(in_db, alias: str) -> tuple[dict, list[str]]:
    """Six persons called `alias`, born 1988-1993, each met once at one clinic, the one born
    1990 most recently (2 days ago), the others 20, 40, ... days ago. Returns (clinic, ids
    from the most recently met)."""

    def create():
        nurse = db.session.scalar(select(User).where(User.email == NURSE))
        names = select(Clinic.name).group_by(Clinic.name).having(func.count() == 1)
        clinic = db.session.scalars(
            select(Clinic)
            .where(
                Clinic.organisation_id == nurse.organisation_id,
                Clinic.status == "active",
                Clinic.name.in_(names),
            )
            .order_by(Clinic.name.desc())
        ).first()
        factory = Factory()
        ids = []
        for n, year in enumerate([1990, 1988, 1989, 1991, 1992, 1993]):
            visit = factory.visit(
                clinic, datetime.now(UTC) - timedelta(days=2 + 20 * n), created_by_id=nurse.id
            )
            person = factory.person(
                nurse.organisation, alias, nationality="HU", birth_year=year, created_by_id=nurse.id
            )
            factory.conversation(person, visit, created_by_id=nurse.id)
            ids.append(str(person.id))
        return {"id": str(clinic.id), "name": clinic.name}, ids

    return in_db(create)


def test_cards_tell_persons_of_the_same_name_apart_and_show_more_offers_the_rest(
    phone, in_db, screenshot
):
    alias = unique("Szandra")
    clinic, ids = six_of_the_same_name(in_db, alias)
    device = phone()
    page = device.page
    device.start_app()
    device.log_in()
    device.wait_synced()
    open_clinic(page, clinic)
    log_visit(page)
    start_conversation(page, alias)

    cards = page.locator("button.suggestion")
    assert cards.count() == 5
    first = cards.first
    assert first.get_attribute("data-person-id") == ids[0]  # met most recently
    assert first.locator(".chip-same_alias").inner_text() == "Same name"
    assert "Similar name" not in page.locator(".suggestions").inner_text()
    met = first.locator(".suggestion-met").inner_text()
    assert re.match(r"Last met \d", met)
    assert clinic["name"] in met
    assert "Conversations: 1" in met
    assert "Hungary" in first.inner_text()
    # Someone of the same name: the nurse looks at the cards before she makes a new person.
    order = page.locator(".suggestions > *").evaluate_all("(els) => els.map((e) => e.className)")
    assert order.index("secondary wide new-person-button") > order.index("suggestion-list")
    screenshot(page, "field-suggestion-cards", full_page=True)

    page.get_by_role("button", name="Show more").click()
    assert cards.count() == 10  # the demo's own Szandras follow, as similar names
    shown = [card.get_attribute("data-person-id") for card in cards.all()]
    assert set(shown[:6]) == set(ids)

    page.get_by_label("Birth year").fill("1993")  # the one met longest ago
    assert cards.first.get_attribute("data-person-id") == ids[5]
    assert cards.count() == 5  # a new search starts with five cards again
