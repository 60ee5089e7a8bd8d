"""Back-office forms are sent once: a double click, or a second click while the first save is
on its way (a slow server), sends one request (static/js/forms.js, loaded by base.html); the
button is usable again when Back shows the page from the browser's memory."""

import re

import pytest
from sqlalchemy import func, select

from outreach.clinics.models import Clinic
from outreach.db import db

pytestmark = pytest.mark.browser

COORDINATOR = "coordinator@demo.outreach.dk"
SAVE = "form.clinic-form button[type=submit]"


def clinics_named(in_db, name: str) -> int:
    return in_db(
        lambda: db.session.scalar(
            select(func.count()).select_from(Clinic).where(Clinic.name == name)
        )
    )


@pytest.mark.parametrize("how", ["dblclick", "second click while sending"])
def test_a_second_click_on_save_sends_nothing_more(page, in_db, log_in, how):
    log_in(page, COORDINATOR)
    page.goto("/clinics/new")
    name = f"Once Only Spa {how}"
    page.get_by_label("Name").fill(name)
    held = []  # the server is slow: each POST waits here until let through

    def hold(route):
        if route.request.method == "POST":
            held.append(route)
        else:
            route.continue_()

    page.route("**/clinics/new", hold)

    if how == "dblclick":
        page.locator(SAVE).dblclick()
    else:  # from inside the page: Playwright waits for a page that is loading another one
        page.evaluate(
            "(selector) => { const save = document.querySelector(selector);"
            " save.click(); setTimeout(() => save.click(), 300); }",
            SAVE,
        )
    page.wait_for_timeout(800)  # both clicks made, the first request on its way
    sent = len(held)
    for route in held:
        route.continue_()
    page.wait_for_url(re.compile(r"/clinics/[0-9a-f-]{36}$"))

    assert sent == 1
    assert clinics_named(in_db, name) == 1
    page.unroute("**/clinics/new")
    page.go_back()  # the form again, perhaps from the browser's memory: it can be sent again
    page.wait_for_selector("form.clinic-form")
    assert page.locator(SAVE).is_enabled()
