"""Browser tests: a live server with its own database and the demo data, driven through
Debian's Chromium by Playwright (sync API). Nothing leaves 127.0.0.1: every other request,
such as map tiles, is aborted, so the tests behave the same offline.
"""

import re
from pathlib import Path

import pytest
from flask_migrate import upgrade

from outreach import demo
from outreach.db import db
from tests.browsing import NOT_LOCAL, PHONE, SCREENSHOTS, TIMEOUT_MS, serve
from tests.conftest import database_url, make_app


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The base URL of a real HTTP server on 127.0.0.1 with the demo organisations loaded."""
    app = make_app(database_url(tmp_path_factory, "live"))
    with app.app_context():
        upgrade()
        demo.load()
        db.session.commit()
        db.session.remove()
    with serve(app) as url:
        yield url


@pytest.fixture
def page(browser, live_server):
    """A phone-sized page in a fresh context; fails the test on a CSP violation."""
    context = browser.new_context(viewport=PHONE, base_url=live_server, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    context.route(NOT_LOCAL, lambda route: route.abort())
    page = context.new_page()
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.on("pageerror", lambda error: violations.append(f"JavaScript error: {error}"))
    yield page
    context.close()
    assert not violations, violations


@pytest.fixture
def screenshot():
    """take(page, name): a screenshot (full page unless told) under test-artifacts/screenshots/
    (git-ignored), to look at after the run."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.fixture
def log_in():
    """log_in(page, email): through the login form, with the demo password."""

    def _log_in(page, email: str, password: str = demo.DEMO_PASSWORD) -> None:
        page.goto("/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.locator("form button[type=submit].primary").click()
        page.wait_for_url(re.compile(r"/clinics/"))

    return _log_in
