"""The visit and conversation pages in a real browser, on a phone (390 x 844) and a desktop
(1280 px): reached from the clinic page, no sideways scrolling, no CSP violations, a correction
saved. Screenshots go to test-artifacts/screenshots/fieldwork-*.png.

On the demo data of the shared live server; the one correction made is a note on the demo's
newest admitted visit with conversations."""

import re

import pytest
from sqlalchemy import select

from outreach import demo
from outreach.db import db
from outreach.orgs.queries import find_organisation
from outreach.persons.models import Conversation
from outreach.visits.models import Visit

pytestmark = pytest.mark.browser

COORDINATOR = "coordinator@demo.outreach.dk"
NURSE = "nurse@demo.outreach.dk"


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def demo_visit(in_db):
    """(clinic id, visit id, a conversation id) of the newest visit with conversations."""

    def find():
        org = find_organisation(demo.MAIN_ORG)
        visit = (
            select(Visit)
            .join(Conversation, Conversation.visit_id == Visit.id)
            .where(Visit.organisation_id == org.id)
            .order_by(Visit.started_at.desc())
        )
        found = db.session.scalars(visit).first()
        conversation = db.session.scalars(
            select(Conversation).where(Conversation.visit_id == found.id)
        ).first()
        return str(found.clinic_id), str(found.id), str(conversation.id)

    return in_db(find)


@pytest.mark.parametrize("width", [390, 1280])
def test_visit_and_conversation_pages_for_a_coordinator(
    page, log_in, screenshot, demo_visit, width
):
    clinic_id, visit_id, conversation_id = demo_visit
    page.set_viewport_size({"width": width, "height": 844})
    log_in(page, COORDINATOR)
    page.locator(".langswitch button[value=en]").click()
    page.wait_for_load_state()
    page.goto(f"/clinics/{clinic_id}")
    page.locator(f'a[href="/visits/{visit_id}"]').click()
    page.wait_for_url(re.compile(rf"/visits/{visit_id}$"))
    assert page.get_by_role("heading", name="Supplies").is_visible()
    assert fits(page)
    screenshot(page, f"fieldwork-visit-{width}")

    page.get_by_role("link", name="Edit").click()
    page.wait_for_url(re.compile(r"/edit$"))
    assert fits(page)
    screenshot(page, f"fieldwork-visit-edit-{width}")
    page.get_by_label("Notes", exact=True).fill(f"Rettet i browseren ({width}).")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(rf"/visits/{visit_id}$"))
    assert page.get_by_text(f"Rettet i browseren ({width}).").is_visible()

    page.locator(f'a[href="/conversations/{conversation_id}"]').click()
    page.wait_for_url(re.compile(rf"/conversations/{conversation_id}$"))
    assert fits(page)
    screenshot(page, f"fieldwork-conversation-{width}")
    page.get_by_role("link", name="Edit").click()
    page.wait_for_url(re.compile(r"/edit$"))
    assert fits(page)
    screenshot(page, f"fieldwork-conversation-edit-{width}")


def test_a_nurse_reads_the_visit_page_without_an_edit_button(page, log_in, demo_visit):
    _clinic_id, visit_id, _conversation_id = demo_visit
    log_in(page, NURSE)
    page.goto(f"/visits/{visit_id}")
    assert page.locator("h1").is_visible()
    assert page.locator(f'a[href="/visits/{visit_id}/edit"]').count() == 0
