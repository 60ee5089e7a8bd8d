"""Setting up a second factor at 390×844, in Danish (the app's default language): the QR code
loads under the CSP, the page fits the screen, a first code finishes it and the recovery codes
are shown once. Screenshots: test-artifacts/screenshots/second-factor-enrol-da.png,
second-factor-recovery-codes-da.png, second-factor-code-da.png."""

import re
import uuid
from urllib.parse import urlsplit

import pyotp
import pytest

from tests.browsing import next_code
from tests.conftest import PASSWORD, TOTP_CLOCK, Factory

pytestmark = pytest.mark.browser


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def coordinator_of_her_own(in_db, enrolled: bool) -> str:
    """A coordinator of an organisation of her own: logging in in Danish saves her language,
    which must not change the demo users other browser tests log in as."""

    def seed():
        factory = Factory()
        org = factory.organisation(name=f"Second factor org {uuid.uuid4().hex[:6]}")
        return factory.user(org, "coordinator", second_factor_on=enrolled).email

    return in_db(seed)


@pytest.fixture
def newcomer(in_db):
    """Without a second factor yet."""
    return coordinator_of_her_own(in_db, enrolled=False)


@pytest.fixture
def enrolled(in_db):
    return coordinator_of_her_own(in_db, enrolled=True)


def password_step_in_danish(page, email):
    page.goto("/login")
    page.locator(".langswitch button[value=da]").click()
    page.locator("html[lang=da]").wait_for(state="attached")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit].primary").click()
    page.wait_for_url(lambda url: urlsplit(url).path != "/login")


def test_a_coordinator_sets_up_her_second_factor_on_a_phone_in_danish(
    page, live_server, newcomer, screenshot
):
    password_step_in_danish(page, newcomer)

    assert urlsplit(page.url).path == "/login/second-factor"
    assert page.locator("h1").inner_text() == "Sæt en anden faktor op"
    qr = page.locator("img.qr")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    assert qr.bounding_box()["width"] <= 390
    assert fits_the_screen(page)
    screenshot(page, "second-factor-enrol-da")

    secret = page.locator("code.secret-once").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    page.locator("input[name=code]").fill(pyotp.TOTP(secret).at(TOTP_CLOCK()))
    page.get_by_role("button", name="Afslut opsætningen").click()

    codes = page.locator("ul.recovery-codes code")
    assert codes.count() == 10
    assert fits_the_screen(page)
    screenshot(page, "second-factor-recovery-codes-da")
    page.get_by_role("link", name="Fortsæt").click()
    page.wait_for_url(lambda url: not urlsplit(url).path.startswith("/login"))
    assert page.request.get("/api/v1/auth/me").json()["email"] == newcomer


def test_the_code_step_in_danish_fits_a_phone(page, live_server, enrolled, screenshot):
    password_step_in_danish(page, enrolled)

    assert urlsplit(page.url).path == "/login/code"
    assert page.locator("h1").inner_text() == "Log ind: kode"
    assert fits_the_screen(page)
    screenshot(page, "second-factor-code-da")
    page.locator("input[name=code]").fill("12345")  # five digits: no code, no recovery code
    page.locator("form button[type=submit].primary").click()
    assert "Koden er forkert eller er allerede brugt." in page.locator(".field").inner_text()
    page.locator("input[name=code]").fill(next_code(live_server.app, enrolled))
    page.locator("form button[type=submit].primary").click()
    page.wait_for_url(lambda url: urlsplit(url).path not in ("/login", "/login/code"))
