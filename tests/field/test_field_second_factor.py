"""The field app's login with a second factor (SECURITY.md 5): the server asks for the code
(reason second_factor_required) and the login screen shows a code field; a wrong code says so;
an account that must set up a second factor first is sent to the browser. A nurse without one
logs in as before (every other field test)."""

import uuid

import pytest
from playwright.sync_api import expect

from outreach.orgs.services import set_nurse_second_factor
from tests.browsing import next_code
from tests.conftest import PASSWORD, Factory

pytestmark = pytest.mark.browser

COORDINATOR = "coordinator@demo.outreach.dk"


def give_password(page, email, password):
    page.wait_for_selector("form.login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()


def test_a_coordinator_gives_her_code_on_the_phone(phone, live_server, screenshot):
    from outreach.demo import DEMO_PASSWORD

    device = phone()
    page = device.start_app()
    give_password(page, COORDINATOR, DEMO_PASSWORD)

    code = page.get_by_label("Code")
    expect(code).to_be_visible()
    expect(page.locator(".form-errors")).to_contain_text(
        "Give the code from your authenticator app."
    )
    assert page.evaluate("location.hash") != "#/today"
    screenshot(page, "field-login-code")

    code.fill("12345")  # five digits: neither a code nor a recovery code
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.locator(".form-errors")).to_contain_text("The code is wrong or was used already.")

    code.fill(next_code(live_server.app, COORDINATOR))
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url("**#/pin")  # her first login on this phone: the app PIN (issue 13)
    device.set_pin()
    assert device.problems == []


def test_a_nurse_who_must_set_up_a_second_factor_is_sent_to_the_browser(phone, in_db):
    def seed():
        factory = Factory()
        org = factory.organisation(name=f"Nurses with a second factor {uuid.uuid4().hex[:6]}")
        set_nurse_second_factor(org, True)
        return factory.user(org, "nurse").email

    email = in_db(seed)
    device = phone()
    page = device.start_app()
    give_password(page, email, PASSWORD)

    errors = page.locator(".form-errors")
    expect(errors).to_contain_text("Set it up in a browser first")
    expect(errors.get_by_role("link", name="Log in in the browser")).to_have_attribute(
        "href", "/login"
    )
    expect(page.get_by_label("Code")).to_be_hidden()
